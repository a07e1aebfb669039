using System.Diagnostics.Metrics;
using MCProxy.Supervision;

namespace MCProxy.Telemetry;

/// <summary>What a scrape reads instead of counting: servers, children's usage, sessions, the config file's state.</summary>
internal sealed partial class GatewayMetrics
{
    private static readonly string[] Doors = ["streamable-http", "sse", "streamable-http-listen"];

    private ServerRegistry? _servers;
    private ServerSample[] _sample = [];

    /// <summary>One server as a scrape sees it; <see cref="Usage"/> only for a running stdio child.</summary>
    private readonly record struct ServerSample(string Name, bool Up, int Restarts, int Tools, ChildUsage? Usage);

    private void CreateObserved(ServerRegistry servers, Gateway.SessionRegistry sessions, Configuration.ConfigState config, Security.AuditLog audit)
    {
        _servers = servers;
        _meter.CreateObservableGauge("mcproxy.server.up", () => PerServer(s => s.Up ? 1 : 0), "{server}",
            "1 when the server is ready (connected, tools listed), else 0");
        _meter.CreateObservableCounter("mcproxy.child.restarts", () => PerServer(s => s.Restarts), "{restart}",
            "Restarts of the server's child (reconnects of a remote server) since it was configured");
        _meter.CreateObservableGauge("mcproxy.server.tools", () => PerServer(s => s.Tools), "{tool}", "Tools the server lists");
        _meter.CreateObservableGauge("mcproxy.child.resident_memory", () => PerChild(u => u.RssBytes), "By",
            "Resident memory of the child and every process it started, from /proc");
        _meter.CreateObservableCounter("mcproxy.child.cpu", () => PerChild(u => u.CpuSeconds), "s",
            "CPU time (user + system) of the child and its live descendants, from /proc; drops when one of them exits");
        _meter.CreateObservableGauge("mcproxy.child.processes", () => PerChild(u => (double)u.Processes), "{process}",
            "Processes in the child's tree (the child included)");
        _meter.CreateObservableGauge("mcproxy.sessions", () =>
        {
            var all = sessions.All.ToArray();
            return Doors.Select(door => new Measurement<int>(all.Count(s => s.Transport == door), new KeyValuePair<string, object?>("door", door)));
        }, "{session}", "Open client sessions by door (streamable-http is /mcp, sse is GET /sse, streamable-http-listen a 2026-07-28 subscriptions/listen stream)");
        _meter.CreateObservableGauge("mcproxy.config.valid", () => config.Current.IsValid ? 1 : 0, "",
            "1 when the last read of the config file was valid, 0 while an invalid file waits to be fixed (the last good one runs)");
        _meter.CreateObservableGauge("mcproxy.config.last_success_timestamp", () => config.Current.LastGoodAt.ToUnixTimeMilliseconds() / 1000.0, "s",
            "When the running config was last loaded or reloaded successfully (Unix time)");
        _meter.CreateObservableCounter("mcproxy.audit.dropped", () => audit.Dropped, "{record}",
            "Audit records the audit file could not take (queue full or file unwritable); the log still has them");
        _meter.CreateObservableGauge("mcproxy.build.info", () => new Measurement<int>(1, new KeyValuePair<string, object?>("version", Protocol.McpProtocol.Version)),
            "", "Always 1; the version label is the gateway's");
    }

    /// <summary>
    /// Reads every server's status, and /proc once for all children, ahead of a scrape: the observable instruments
    /// then report from this one sample instead of reading /proc per instrument.
    /// </summary>
    public void Sample()
    {
        var entries = _servers?.Entries ?? [];
        var pids = entries.Select(e => e.Supervisor?.Status.Pid).OfType<int>().ToArray();
        IReadOnlyList<ProcessInfo> table = pids.Length > 0 ? ProcessTree.Snapshot() : [];
        Volatile.Write(ref _sample, entries.Select(e =>
        {
            var status = e.Supervisor?.Status;
            return new ServerSample(e.Name, status?.State == ServerState.Ready, status?.Restarts ?? 0, status?.Tools.Count ?? 0,
                status?.Pid is { } pid ? ChildUsage.Of(pid, table) : null);
        }).ToArray());
    }

    private IEnumerable<Measurement<int>> PerServer(Func<ServerSample, int> value) =>
        Volatile.Read(ref _sample).Select(s => new Measurement<int>(value(s), new KeyValuePair<string, object?>("server", s.Name)));

    private IEnumerable<Measurement<double>> PerChild(Func<ChildUsage, double> value) =>
        Volatile.Read(ref _sample).Where(s => s.Usage is not null)
            .Select(s => new Measurement<double>(value(s.Usage!.Value), new KeyValuePair<string, object?>("server", s.Name)));
}
