using MCProxy.Aggregation;
using MCProxy.Configuration;
using MCProxy.Gateway;
using MCProxy.Health;
using MCProxy.Protocol;
using MCProxy.Supervision;

namespace MCProxy.Admin;

/// <summary>
/// The status page's state as one JSON object: the gateway's status, every server as <c>/health</c> writes it
/// (<see cref="ServerStatusWriter"/>), and per server under <c>live</c> its child's resident memory and its recent
/// calls per second and median duration.
/// NOTE 1: reading children's memory walks /proc, so the figures are sampled at most once per
/// <see cref="UsageMaxAge"/> and shared by every open page; the JSON itself is cheap and built per message.
/// </summary>
internal sealed class StatusPageFeed(ServerRegistry servers, RecentCalls calls, GatewayReadiness readiness, ConfigState config,
    SessionRegistry sessions, TimeProvider time)
{
    public static readonly TimeSpan UsageMaxAge = TimeSpan.FromSeconds(1);

    private volatile UsageSample? _usage;

    /// <summary>The state; with <paramref name="details"/> each server's error texts too (never its stderr).</summary>
    public byte[] Build(bool details)
    {
        var entries = servers.Entries;
        var usage = Usage(entries);
        calls.Retain(entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal));
        var degraded = entries.Any(e => e.State is not (ServerState.Ready or ServerState.Disabled)) || !config.Current.IsValid;
        return JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteString("status"u8, !readiness.IsReady ? "starting" : degraded ? "degraded" : "ok");
            w.WriteBoolean("ready"u8, readiness.IsReady);
            w.WriteString("version"u8, McpProtocol.Version);
            w.WriteNumber("sessions"u8, sessions.Count);
            w.WriteString("config"u8, config.Current.IsValid ? "valid" : "invalid");
            w.WriteBoolean("details"u8, details);
            w.WriteStartArray("servers"u8);
            foreach (var entry in entries)
            {
                ServerStatusWriter.Write(w, entry, details ? StatusDetail.Errors : StatusDetail.StatesOnly);
            }
            w.WriteEndArray();
            w.WriteStartObject("live"u8);
            foreach (var entry in entries)
            {
                var (perSecond, median) = calls.Read(entry.Name);
                w.WriteStartObject(entry.Name);
                if (usage.RssBytes.TryGetValue(entry.Name, out var rss))
                {
                    w.WriteNumber("rssBytes"u8, rss);
                }
                else
                {
                    w.WriteNull("rssBytes"u8);
                }
                w.WriteNumber("callsPerSecond"u8, Math.Round(perSecond, 2));
                if (median is { } ms)
                {
                    w.WriteNumber("p50Ms"u8, Math.Round(ms, 1));
                }
                else
                {
                    w.WriteNull("p50Ms"u8);
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private UsageSample Usage(IReadOnlyList<ServerEntry> entries)
    {
        var now = time.GetUtcNow();
        if (_usage is { } cached && now - cached.At < UsageMaxAge)
        {
            return cached;
        }
        // Two pages racing here both read /proc once; the later sample wins, both are right.
        var rss = new Dictionary<string, long>(StringComparer.Ordinal);
        IReadOnlyList<ProcessInfo>? table = null;
        foreach (var entry in entries)
        {
            if (entry.Supervisor?.Status.Pid is { } pid)
            {
                table ??= ProcessTree.Snapshot();
                if (ChildUsage.Of(pid, table) is { } usage)
                {
                    rss[entry.Name] = usage.RssBytes;
                }
            }
        }
        var sample = new UsageSample(now, rss);
        _usage = sample;
        return sample;
    }

    private sealed record UsageSample(DateTimeOffset At, IReadOnlyDictionary<string, long> RssBytes);
}
