using System.Diagnostics;
using System.Diagnostics.Metrics;
using MCProxy.Aggregation;
using MCProxy.Protocol;
using MCProxy.Reconciliation;
using MCProxy.Security;

namespace MCProxy.Telemetry;

/// <summary>
/// The gateway's own <see cref="Meter"/> (<c>MCProxy</c>, one instance per gateway) and what feeds it: every audit
/// record (calls, refusals), reloads, and at each scrape the servers, children, sessions and config state
/// (<c>GatewayMetrics.Observed.cs</c>). Counting rides on events (AuditLog.Recorded, ReconcileLoop.Reloading and
/// Reloaded, wired in <see cref="MetricsEndpoint"/>), so the call path has no metrics code of its own.
/// NOTE 1: label values are bounded by the configuration, never by what a client sends: a refused call names a tool
/// only when the catalogue routes it, otherwise the tool is <c>(unknown)</c> and the server empty.
/// </summary>
internal sealed partial class GatewayMetrics : IDisposable
{
    public const string MeterName = "MCProxy";
    public const string UnknownTool = "(unknown)";

    /// <summary>The server label of the gateway's own tools (mcproxy__status, the discover tools) and spilled results.</summary>
    public const string GatewayServer = "mcproxy";

    private readonly Meter _meter = new(MeterName, McpProtocol.Version);
    private readonly Counter<long> _toolCalls;
    private readonly Counter<long> _calls;
    private readonly Histogram<double> _callDuration;
    private readonly Counter<long> _received;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _rateLimited;
    private readonly Counter<long> _unauthenticated;
    private readonly Counter<long> _reloads;
    private readonly Histogram<double> _reloadDuration;
    private readonly CatalogPublisher _catalog;
    private readonly TimeProvider _time;
    private long _reloadStarted;

    public GatewayMetrics(CatalogPublisher catalog, Supervision.ServerRegistry servers, Gateway.SessionRegistry sessions,
        Configuration.ConfigState config, AuditLog audit, TimeProvider time)
    {
        _catalog = catalog;
        _time = time;
        _toolCalls = _meter.CreateCounter<long>("mcproxy.tool.calls", "{call}",
            "tools/call requests by server, exposed tool name and outcome (ok, error: a JSON-RPC error or an isError result, timeout, denied by policy)");
        _calls = _meter.CreateCounter<long>("mcproxy.calls", "{call}",
            "Calls relayed or refused by method (tools/call, prompts/get, resources/read), server and outcome");
        _callDuration = _meter.CreateHistogram("mcproxy.call.duration", "s",
            "Time from a call's arrival to its answer, for calls a server answered (or failed to)", advice: new InstrumentAdvice<double>
            {
                HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
            });
        _received = _meter.CreateCounter<long>("mcproxy.received", "By", "Bytes of call requests received from clients, by server");
        _sent = _meter.CreateCounter<long>("mcproxy.sent", "By", "Bytes of call answers sent to clients, by server");
        _rateLimited = _meter.CreateCounter<long>("mcproxy.requests.rate_limited", "{request}",
            "Requests turned away by the per-identity rate limit (429)");
        _unauthenticated = _meter.CreateCounter<long>("mcproxy.requests.unauthenticated", "{request}",
            "Requests refused for a missing or unknown token (401)");
        _reloads = _meter.CreateCounter<long>("mcproxy.config.reloads", "{reload}",
            "Config reloads whose files changed, by result: applied, or rejected (the last good config kept running)");
        _reloadDuration = _meter.CreateHistogram("mcproxy.config.reload.duration", "s",
            "Time to apply a changed, valid config (servers started, stopped and settled)", advice: new InstrumentAdvice<double>
            {
                HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
            });
        CreateObserved(servers, sessions, config, audit);
    }

    public Meter Meter => _meter;

    /// <summary>Counts one audit record (AuditLog.Recorded): a call, a refusal or a failed sign-in.</summary>
    public void OnAudit(AuditRecord record)
    {
        switch (record.Outcome)
        {
            case AuditOutcome.RateLimited:
                _rateLimited.Add(1);
                return;
            case AuditOutcome.Unauthenticated:
                _unauthenticated.Add(1);
                return;
        }
        if (record.Method is not ("tools/call" or "prompts/get" or "resources/read") || record.Tool is not { } name)
        {
            return;
        }
        var (server, tool) = Resolve(record.Method, name, record.Server);
        var outcome = record.Outcome switch
        {
            AuditOutcome.Ok => "ok",
            AuditOutcome.Timeout => "timeout",
            AuditOutcome.Denied => "denied",
            _ => "error",
        };
        var serverTag = new KeyValuePair<string, object?>("server", server);
        if (record.Method == "tools/call")
        {
            _toolCalls.Add(1, serverTag, new("tool", tool), new("outcome", outcome));
        }
        _calls.Add(1, new("method", record.Method), serverTag, new("outcome", outcome));
        if (record.Server is not null)
        {
            _callDuration.Record(record.DurationMs / 1000, serverTag);
        }
        _received.Add(record.BytesIn, serverTag);
        _sent.Add(record.BytesOut, serverTag);
    }

    /// <summary>A changed, valid config is about to be applied (ReconcileLoop.Reloading).</summary>
    public void OnReloading() => Interlocked.Exchange(ref _reloadStarted, _time.GetTimestamp());

    /// <summary>A reload attempt ended (ReconcileLoop.Reloaded): applied, or rejected with errors.</summary>
    public void OnReloaded(ReloadOutcome outcome)
    {
        _reloads.Add(1, new KeyValuePair<string, object?>("result", outcome.Applied ? "applied" : "rejected"));
        var started = Interlocked.Exchange(ref _reloadStarted, 0);
        if (outcome.Applied && started != 0)
        {
            _reloadDuration.Record(_time.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>
    /// The server and tool labels of a call (NOTE 1): a routed call names its server; a refused one is looked up in
    /// the catalogue (tools, prompts, resources and templates); the gateway's own tools count under "mcproxy".
    /// </summary>
    private (string Server, string Tool) Resolve(string method, string name, string? server)
    {
        if (server is not null)
        {
            return (server, name);
        }
        var catalog = _catalog.Current;
        var route = method switch
        {
            "tools/call" => catalog.Tools.Routes.GetValueOrDefault(name),
            "prompts/get" => catalog.Prompts.Routes.GetValueOrDefault(name),
            _ when name.StartsWith(Output.SpillStore.UriPrefix, StringComparison.Ordinal) => new ToolRoute("", name),
            _ => UriCatalog.Resolve(name, catalog.Resources, catalog.Templates),
        };
        return route is null ? ("", UnknownTool) : (route.Server.Length == 0 ? GatewayServer : route.Server, name);
    }

    public void Dispose() => _meter.Dispose();
}
