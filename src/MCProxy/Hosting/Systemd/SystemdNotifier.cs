using System.Net.Sockets;
using System.Text;

namespace MCProxy.Hosting.Systemd;

/// <summary>
/// sd_notify over <c>$NOTIFY_SOCKET</c>. Stands in for <c>Microsoft.Extensions.Hosting.Systemd</c>'s
/// <c>SystemdNotifier</c>, which is not on our package mirror. A leading '@' names the abstract namespace.
/// Sending never throws: a service manager that went away must not take the gateway with it.
/// </summary>
internal sealed class SystemdNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endpoint;

    /// <param name="socketPath">The value of NOTIFY_SOCKET (rule 19: read once at the edge); null disables.</param>
    public SystemdNotifier(string? socketPath)
    {
        if (string.IsNullOrEmpty(socketPath))
        {
            return;
        }
        _endpoint = new UnixDomainSocketEndPoint(socketPath[0] == '@' ? "\0" + socketPath[1..] : socketPath);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    public static SystemdNotifier FromEnvironment() => new(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    public bool IsEnabled => _socket is not null;

    /// <summary>Sends one datagram of newline-separated assignments, e.g. "READY=1\nSTATUS=…".</summary>
    public bool Notify(string state)
    {
        if (_socket is null)
        {
            return false;
        }
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), _endpoint!);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>CLOCK_MONOTONIC in microseconds, as RELOADING=1 wants it (Stopwatch uses that clock on Linux).</summary>
    public static long MonotonicMicroseconds() =>
        (long)(System.Diagnostics.Stopwatch.GetTimestamp() / (System.Diagnostics.Stopwatch.Frequency / 1_000_000.0));

    public void Dispose() => _socket?.Dispose();
}
