using System.Text.Json;
using MCProxy.Configuration;
using MCProxy.Gateway;
using MCProxy.Health;
using MCProxy.Protocol;
using MCProxy.Reconciliation;
using MCProxy.Supervision;

namespace MCProxy.Admin;

/// <summary>
/// <c>GET /admin/status</c>: everything <c>mcproxy status</c> shows. The admin socket is the operator's door, so it
/// carries what /health gives loopback callers (error texts, config errors, the config path) plus each child's
/// memory and CPU (<see cref="ChildUsage"/>, from /proc at the time of asking) and where the gateway listens.
/// Never stderr lines (that is /admin/logs, redacted) and never environment values.
/// </summary>
internal sealed class AdminStatus(
    GatewayOptions options,
    ServerRegistry servers,
    SessionRegistry sessions,
    GatewayReadiness readiness,
    ConfigState config,
    ReconcileLoop reloads,
    Security.Authenticator authenticator,
    AdminSocket socket,
    Func<IReadOnlyList<string>> listenUrls,
    TimeProvider time)
{
    private readonly DateTimeOffset _started = time.GetUtcNow();

    public byte[] Build() => JsonRpcWriter.Build(w =>
    {
        var entries = servers.Entries;
        var snapshot = config.Current;
        w.WriteStartObject();
        w.WriteString("status"u8, !readiness.IsReady ? "starting"
            : entries.Any(e => e.State is not (ServerState.Ready or ServerState.Disabled)) || !snapshot.IsValid ? "degraded" : "ok");
        w.WriteBoolean("ready"u8, readiness.IsReady);
        w.WriteString("version"u8, McpProtocol.Version);
        w.WriteNumber("pid"u8, Environment.ProcessId);
        w.WriteNumber("uptimeSeconds"u8, Math.Round((time.GetUtcNow() - _started).TotalSeconds, 1));
        w.WriteNumber("sessions"u8, sessions.Count);
        w.WriteStartObject("listen"u8);
        w.WriteString("host"u8, options.Host);
        w.WriteNumber("port"u8, ActualPort() ?? options.Port);
        w.WriteBoolean("tls"u8, options.TlsCert is not null);
        w.WriteBoolean("auth"u8, authenticator.IsEnabled);
        w.WriteString("adminSocket"u8, socket.Path);
        w.WriteEndObject();
        w.WriteStartObject("config"u8);
        w.WriteString("path"u8, snapshot.Path);
        w.WriteString("envFile"u8, Path.GetFullPath(options.ResolvedEnvFile));
        w.WriteString("status"u8, snapshot.IsValid ? "valid" : "invalid");
        w.WriteString("lastGoodAt"u8, snapshot.LastGoodAt);
        w.WriteNumber("reloads"u8, reloads.ReloadCount);
        w.WriteBoolean("watching"u8, !options.NoReload);
        w.WriteString("separator"u8, options.Separator);
        w.WriteStartArray("errors"u8);
        foreach (var error in snapshot.Errors)
        {
            error.WriteTo(w);
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartArray("servers"u8);
        var table = ProcessTree.Snapshot();
        foreach (var entry in entries)
        {
            WriteServer(w, entry, table);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>One server, as in <c>servers</c> above (also the answer of a restart).</summary>
    public byte[] BuildServer(ServerEntry entry) => JsonRpcWriter.Build(w => WriteServer(w, entry, ProcessTree.Snapshot()));

    private static void WriteServer(Utf8JsonWriter w, ServerEntry entry, IReadOnlyList<ProcessInfo> table)
    {
        var status = entry.Supervisor?.Status;
        var definition = entry.Definition.Config;
        w.WriteStartObject();
        w.WriteString("name"u8, entry.Name);
        w.WriteString("state"u8, entry.State.ToString().ToLowerInvariant());
        w.WriteBoolean("enabled"u8, definition?.Enabled ?? false);
        w.WriteString("kind"u8, definition?.Remote is { } remote ? remote.Transport.ToString().ToLowerInvariant() : "stdio");
        if (definition?.Remote is { } r)
        {
            w.WriteString("url"u8, r.DisplayUrl);
        }
        else if (definition is not null)
        {
            w.WriteString("command"u8, definition.Command);
        }
        Aggregation.ServerStatusWriter.WriteCounts(w, status, (w, pid) =>
        {
            if (ChildUsage.Of(pid, table) is { } usage)
            {
                w.WriteNumber("rssBytes"u8, usage.RssBytes);
                w.WriteNumber("cpuSeconds"u8, Math.Round(usage.CpuSeconds, 2));
                w.WriteNumber("processes"u8, usage.Processes);
            }
        });
        if (status?.LastError is { } lastError)
        {
            w.WriteString("lastError"u8, lastError);
        }
        if (status is not null)
        {
            w.WriteString("since"u8, status.Since);
        }
        var errors = entry.Definition.IsValid ? entry.PendingErrors : entry.Definition.Errors;
        if (errors is { Count: > 0 })
        {
            w.WriteStartArray("configErrors"u8);
            foreach (var error in errors)
            {
                error.WriteTo(w);
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    /// <summary>The TCP port Kestrel really bound (differs from the option with --port 0).</summary>
    private int? ActualPort()
    {
        foreach (var url in listenUrls())
        {
            if (!url.Contains("unix:", StringComparison.Ordinal) && Uri.TryCreate(url, UriKind.Absolute, out var uri))
            {
                return uri.Port;
            }
        }
        return null;
    }
}
