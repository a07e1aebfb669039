using MCProxy.Configuration;
using MCProxy.Aggregation;
using MCProxy.Gateway;
using MCProxy.Hosting;
using MCProxy.Supervision;
using MCProxy.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace MCProxy.Tests.Gateway;

public class SessionReaperTests
{
    [Fact]
    public void ReapOnce_RemovesOnlyIdleStreamableSessionsWithoutAStream()
    {
        var time = new FakeTimeProvider();
        var servers = new ServerRegistry();
        var separator = new GatewaySeparator("__");
        var catalog = new CatalogPublisher(servers, new BuiltInTools(servers, separator), separator, NullLogger<CatalogPublisher>.Instance);
        var options = new GatewayOptions { SessionIdleTimeout = TimeSpan.FromMinutes(30) };
        var sessions = new SessionRegistry(options, NullLogger<SessionRegistry>.Instance);
        var reaper = new SessionReaper(sessions, options, time);

        var idle = new StreamableSession("idle", time.GetUtcNow());
        var streaming = new StreamableSession("streaming", time.GetUtcNow());
        Assert.NotNull(streaming.TryAttachStream(() => { }));
        var legacy = new LegacySseSession("legacy", time.GetUtcNow());
        Assert.True(sessions.TryAdd(idle));
        Assert.True(sessions.TryAdd(streaming));
        Assert.True(sessions.TryAdd(legacy));

        time.Advance(TimeSpan.FromMinutes(29));
        var recent = new StreamableSession("recent", time.GetUtcNow());
        Assert.True(sessions.TryAdd(recent));
        Assert.Equal(0, reaper.ReapOnce());

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, reaper.ReapOnce());
        Assert.False(sessions.TryGet("idle", out _));
        Assert.True(sessions.TryGet("streaming", out _));   // an open GET stream keeps a session
        Assert.True(sessions.TryGet("legacy", out _));      // legacy sessions end with their connection
        Assert.True(sessions.TryGet("recent", out _));
    }
}
