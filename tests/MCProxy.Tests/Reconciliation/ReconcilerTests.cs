using System.Diagnostics;
using MCProxy.Aggregation;
using MCProxy.Configuration;
using MCProxy.Reconciliation;
using MCProxy.Supervision;
using Microsoft.Extensions.Logging.Abstractions;

namespace MCProxy.Tests.Reconciliation;

/// <summary>The applier over real (cheap) child processes: `sleep` never answers initialize, so servers stay starting.</summary>
public sealed class ReconcilerTests : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly ServerRegistry _registry = new();
    private Reconciler? _reconciler;

    public async ValueTask DisposeAsync()
    {
        if (_reconciler is not null)
        {
            await _reconciler.StopAllAsync().WaitAsync(Bound);
        }
    }

    private Reconciler Create(SupervisorOptions options)
    {
        var separator = new GatewaySeparator("__");
        var catalog = new CatalogPublisher(_registry, new BuiltInTools(_registry, separator), separator, NullLogger<CatalogPublisher>.Instance);
        var reaper = new OrphanReaper(new GatewayOptions { ReapOrphans = false }, TimeProvider.System, NullLogger<OrphanReaper>.Instance);
        var factory = new SupervisorFactory(options, TimeProvider.System, UpstreamHandlers.None, reaper, NullLoggerFactory.Instance);
        return _reconciler = new Reconciler(_registry, catalog, factory, TimeProvider.System, NullLogger<Reconciler>.Instance);
    }

    private static ServerDefinition Server(string name, string command, params string[] args) =>
        new(name, new ServerConfig { Name = name, Command = command, Args = args }, []);

    private static GatewayConfig Config(params ServerDefinition[] servers) => new(servers);

    private ServerSupervisor SupervisorOf(string name)
    {
        Assert.True(_registry.TryGet(name, out var entry), $"'{name}' is not registered");
        return Assert.IsType<ServerSupervisor>(entry.Supervisor);
    }

    /// <summary>Waits (event-driven, bounded) until the supervisor's status satisfies <paramref name="condition"/>.</summary>
    private static async Task<ServerStatus> WaitForStatus(ServerSupervisor supervisor, Func<ServerStatus, bool> condition)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(ServerSupervisor s)
        {
            if (condition(s.Status))
            {
                reached.TrySetResult();
            }
        }
        supervisor.Changed += OnChanged;
        try
        {
            if (!condition(supervisor.Status))
            {
                await reached.Task.WaitAsync(Bound);
            }
            return supervisor.Status;
        }
        finally
        {
            supervisor.Changed -= OnChanged;
        }
    }

    private static bool Alive(int pid) => NativeMethods.kill(pid, 0) == 0;

    /// <summary>
    /// Processes of group <paramref name="pgid"/> that still run. Zombies do not count: with ReapOrphans off, an orphan
    /// killed with its group waits for PID 1 to reap it, and a container's PID 1 may never do so.
    /// </summary>
    private static int LiveGroupMembers(int pgid) => Directory.EnumerateDirectories("/proc")
        .Where(dir => int.TryParse(Path.GetFileName(dir), out _))
        .Select(dir =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null; // exited while listed, or not ours to read
            }
        })
        .Select(stat => stat?[(stat.LastIndexOf(')') + 2)..].Split(' '))
        .Count(f => f is { Length: > 3 } && f[0] != "Z" && f[2] == pgid.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task ApplyAsync_RemovedServerIgnoringStdinAndTerm_LeavesRegistryAtOnceAndStopAllWaitsForIt()
    {
        var options = new SupervisorOptions
        {
            StdinGrace = TimeSpan.FromSeconds(1.5), TermGrace = TimeSpan.FromSeconds(1.5), KillGrace = TimeSpan.FromSeconds(2),
        };
        var reconciler = Create(options);
        await reconciler.ApplyAsync(Config(Server("stubborn", "sh", "-c", "trap '' TERM; sleep 30"), Server("other", "sleep", "30")), settle: false);
        var supervisor = SupervisorOf("stubborn");
        var pid = (await WaitForStatus(supervisor, s => s.Pid is not null)).Pid!.Value;

        var clock = Stopwatch.StartNew();
        var plan = await reconciler.ApplyAsync(Config(Server("other", "sleep", "30")), settle: true).WaitAsync(Bound);
        var applyTook = clock.Elapsed;

        Assert.Equal(["stubborn"], plan.Remove);
        Assert.False(_registry.TryGet("stubborn", out _));
        Assert.Equal(["other"], _registry.Entries.Select(e => e.Name));
        Assert.True(applyTook < options.StdinGrace, $"the reload waited {applyTook} for a removed server's stop");
        Assert.NotEqual(ServerState.Stopped, supervisor.Status.State);
        Assert.True(Alive(pid)); // it ignores EOF and SIGTERM: only the ladder's SIGKILL ends it
        Assert.True(LiveGroupMembers(pid) >= 1);

        var stopAll = reconciler.StopAllAsync();
        Assert.False(stopAll.IsCompleted);
        await stopAll.WaitAsync(Bound);

        Assert.Equal(ServerState.Stopped, supervisor.Status.State);
        Assert.False(Alive(pid));
        Assert.Equal(0, LiveGroupMembers(pid)); // the trapped sleep went with it
        Assert.True(clock.Elapsed >= options.StdinGrace + options.TermGrace - TimeSpan.FromMilliseconds(100),
            $"stopped after {clock.Elapsed}: the ladder cannot have run both graces");
    }

    [Fact]
    public async Task ApplyAsync_DisabledServer_RegisteredWithoutSupervisor()
    {
        var reconciler = Create(new SupervisorOptions());
        var disabled = new ServerDefinition("off", new ServerConfig { Name = "off", Command = "sleep", Args = ["30"], Enabled = false }, []);

        var plan = await reconciler.ApplyAsync(Config(disabled), settle: true).WaitAsync(Bound);

        Assert.Equal(["off"], plan.Add.Select(d => d.Name));
        Assert.True(_registry.TryGet("off", out var entry));
        Assert.Null(entry.Supervisor);
        Assert.Equal(ServerState.Disabled, entry.State);
        Assert.Same(disabled, entry.Definition);
    }

    [Fact]
    public async Task ApplyAsync_InvalidServerFromStart_RegisteredAsInvalidWithoutSupervisor()
    {
        var reconciler = Create(new SupervisorOptions());
        var invalid = new ServerDefinition("broken", null, [new ConfigError("broken", "$.servers[0].command", "\"command\" is required")]);

        await reconciler.ApplyAsync(Config(invalid), settle: true).WaitAsync(Bound);

        Assert.True(_registry.TryGet("broken", out var entry));
        Assert.Null(entry.Supervisor);
        Assert.Equal(ServerState.Invalid, entry.State);
    }

    [Fact]
    public async Task ApplyAsync_InvalidEditOfRunningServer_KeepsItRunningWithPendingErrors()
    {
        var reconciler = Create(new SupervisorOptions
        {
            StdinGrace = TimeSpan.FromMilliseconds(200), TermGrace = TimeSpan.FromMilliseconds(500), KillGrace = TimeSpan.FromSeconds(1),
        });
        var good = Server("a", "sleep", "30");
        await reconciler.ApplyAsync(Config(good), settle: false);
        var supervisor = SupervisorOf("a");
        var pid = (await WaitForStatus(supervisor, s => s.Pid is not null)).Pid!.Value;
        var errors = new[] { new ConfigError("a", "$.servers[0].timeout", "\"timeout\" must be a positive number of seconds") };

        var plan = await reconciler.ApplyAsync(Config(new ServerDefinition("a", null, errors)), settle: true).WaitAsync(Bound);

        Assert.Equal(["a"], plan.InvalidKept.Select(d => d.Name));
        Assert.True(_registry.TryGet("a", out var entry));
        Assert.Same(supervisor, entry.Supervisor);
        Assert.Same(good, entry.Definition); // the last good definition stays in force
        Assert.Equal(errors, entry.PendingErrors);
        Assert.Equal(pid, supervisor.Status.Pid);
        Assert.True(Alive(pid));

        await reconciler.ApplyAsync(Config(good), settle: true).WaitAsync(Bound); // the edit is reverted
        Assert.True(_registry.TryGet("a", out entry));
        Assert.Same(supervisor, entry.Supervisor);
        Assert.Null(entry.PendingErrors);
    }

    [Fact]
    public async Task ApplyAsync_ChangedServer_OldInstanceStoppedBeforeNewStarts()
    {
        var reconciler = Create(new SupervisorOptions
        {
            StdinGrace = TimeSpan.FromMilliseconds(200), TermGrace = TimeSpan.FromMilliseconds(500), KillGrace = TimeSpan.FromSeconds(1),
        });
        await reconciler.ApplyAsync(Config(Server("a", "sleep", "30")), settle: false);
        var old = SupervisorOf("a");
        var oldPid = (await WaitForStatus(old, s => s.Pid is not null)).Pid!.Value;

        var plan = await reconciler.ApplyAsync(Config(Server("a", "sleep", "31")), settle: false).WaitAsync(Bound);

        Assert.Equal(["a"], plan.Restart.Select(d => d.Name));
        Assert.Equal(ServerState.Stopped, old.Status.State);
        Assert.False(Alive(oldPid));
        var replacement = SupervisorOf("a");
        Assert.NotSame(old, replacement);
        Assert.Equal(["31"], replacement.Config.Args);
    }
}
