using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using MCProxy.FunctionalTests.Infrastructure;
using MCProxy.Hosting.Systemd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace MCProxy.FunctionalTests.Hosting;

/// <summary>What the gateway tells systemd, received on a real unix datagram socket standing in for NOTIFY_SOCKET.</summary>
public sealed class SystemdNotifyTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mcproxy-notify-").FullName;
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly Channel<string> _messages = Channel.CreateUnbounded<string>();
    private readonly Task _receiver;

    public SystemdNotifyTests()
    {
        _socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(_dir, "notify.sock")));
        _receiver = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            try
            {
                while (true)
                {
                    var n = await _socket.ReceiveAsync(buffer);
                    _messages.Writer.TryWrite(Encoding.UTF8.GetString(buffer, 0, n));
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // closed at dispose
            }
        });
    }

    private readonly List<string> _skipped = [];

    /// <summary>The next message matching <paramref name="match"/>; earlier non-matching ones stay for later waits
    /// (the lifetime's READY=1 and our STATUS= may arrive in either order).</summary>
    private async Task<string> NextAsync(Func<string, bool> match)
    {
        var found = _skipped.FirstOrDefault(match);
        if (found is not null)
        {
            _skipped.Remove(found);
            return found;
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var message = await _messages.Reader.ReadAsync(timeout.Token);
            if (match(message)) return message;
            _skipped.Add(message);
        }
    }

    [Fact]
    public async Task Lifecycle_ReadyStatusReloadWatchdogStopping()
    {
        var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a"), TestServers.Entry("bad", "--exit-at-start", "1")),
            configure: services =>
            {
                services.AddSingleton<ISystemdNotifier>(new DatagramNotifier(Path.Combine(_dir, "notify.sock")));
                // The package's lifetime, as under systemd: READY=1 once the host started, STOPPING=1 on stop.
                services.AddSingleton<IHostLifetime, SystemdLifetime>();
                services.AddSingleton(new WatchdogInterval(TimeSpan.FromMilliseconds(200)));
            });
        try
        {
            await NextAsync(m => m == "READY=1");
            Assert.True(gateway.Services.GetRequiredService<MCProxy.Health.GatewayReadiness>().IsReady, "READY=1 before the first start settled");
            await NextAsync(m => m.Contains("STATUS=1/2 servers ready"));
            await NextAsync(m => m.Contains("1 failed: bad"));
            await NextAsync(m => m == "WATCHDOG=1"); // repeats, so waiting for it skips nothing the test needs

            await gateway.WriteConfigAsync(TestServers.Config(TestServers.Entry("a"), TestServers.Entry("b")));
            var reloading = await NextAsync(m => m.StartsWith("RELOADING=1", StringComparison.Ordinal));
            var usec = long.Parse(reloading.Split('\n').Single(l => l.StartsWith("MONOTONIC_USEC=", StringComparison.Ordinal))["MONOTONIC_USEC=".Length..]);
            Assert.InRange(usec, 1, SystemdNotifyService.MonotonicMicroseconds());
            var readyAgain = await NextAsync(m => m.Contains("READY=1"));
            Assert.Contains("STATUS=2/2 servers ready", readyAgain);

            await gateway.StopAsync();
            await NextAsync(m => m.StartsWith("STOPPING=1", StringComparison.Ordinal));
        }
        finally
        {
            await gateway.DisposeAsync();
        }
    }

    [Fact]
    public async Task Watchdog_IsWithheld_WhileTheHttpServerDoesNotAnswer()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a")),
            configure: services =>
            {
                services.AddSingleton<ISystemdNotifier>(new DatagramNotifier(Path.Combine(_dir, "notify.sock")));
                services.AddSingleton(new WatchdogInterval(TimeSpan.FromMilliseconds(200)));
            });
        await NextAsync(m => m == "WATCHDOG=1");

        // Kestrel stops answering while the rest of the gateway (timers, reconcile loop) runs on.
        await gateway.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().StopAsync(CancellationToken.None);
        await gateway.Logs.WaitForAsync(l => l.Contains("watchdog ping withheld"));
        while (_messages.Reader.TryRead(out _))
        {
            // Drop what was sent before the first withheld ping.
        }
        _skipped.Clear();
        await gateway.Logs.WaitForAsync(l => l.Contains("watchdog ping withheld"), count: 3);
        var sent = new List<string>();
        while (_messages.Reader.TryRead(out var message))
        {
            sent.Add(message);
        }
        Assert.DoesNotContain("WATCHDOG=1", sent);
    }

    /// <summary>sd_notify to a socket the test owns (the package's notifier reads NOTIFY_SOCKET from the environment).</summary>
    private sealed class DatagramNotifier(string path) : ISystemdNotifier
    {
        public bool IsEnabled => true;

        public void Notify(ServiceState state)
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(state.ToString()), new UnixDomainSocketEndPoint(path));
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        await _receiver;
        Directory.Delete(_dir, recursive: true);
    }
}
