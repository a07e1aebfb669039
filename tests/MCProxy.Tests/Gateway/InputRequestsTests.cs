using MCProxy.Configuration;
using MCProxy.Gateway;
using MCProxy.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace MCProxy.Tests.Gateway;

/// <summary>The sealed requestState handle of multi-round-trip calls: bound, tamper-evident, expiring.</summary>
public class InputRequestsTests
{
    private static InputRequests Create(TimeProvider time)
    {
        var sessions = new SessionRegistry(new GatewayOptions(), NullLogger<SessionRegistry>.Instance);
        return new InputRequests(time, new ServerRequestRelay(sessions, time, NullLogger<ServerRequestRelay>.Instance), NullLogger<InputRequests>.Instance);
    }

    [Fact]
    public void AHandle_OpensForItsServerToolAndIdentity_AndGivesBackTheChildsState()
    {
        var inputs = Create(new FakeTimeProvider());
        var handle = inputs.Seal("files", "write", "alice", "step \"2\" ✓");
        Assert.True(inputs.TryOpen(handle, "files", "write", "alice", out var state, out var problem), problem);
        Assert.Equal("step \"2\" ✓", state);
        Assert.True(inputs.TryOpen(inputs.Seal("files", "write", "alice", null), "files", "write", "alice", out state, out _));
        Assert.Null(state);
    }

    [Theory]
    [InlineData("files", "read", "alice", "another tool")]
    [InlineData("other", "write", "alice", "another tool")]
    [InlineData("files", "write", "bob", "another identity")]
    public void AHandle_IsRefusedForAnotherCall(string server, string tool, string identity, string expected)
    {
        var inputs = Create(new FakeTimeProvider());
        var handle = inputs.Seal("files", "write", "alice", "s");
        Assert.False(inputs.TryOpen(handle, server, tool, identity, out _, out var problem));
        Assert.Contains(expected, problem);
    }

    [Fact]
    public void AHandle_Expires()
    {
        var time = new FakeTimeProvider();
        var inputs = Create(time);
        var handle = inputs.Seal("files", "write", "alice", "s");
        time.Advance(InputRequests.HandleLifetime - TimeSpan.FromSeconds(1));
        Assert.True(inputs.TryOpen(handle, "files", "write", "alice", out _, out _));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(inputs.TryOpen(handle, "files", "write", "alice", out _, out var problem));
        Assert.Contains("expired", problem);
    }

    [Fact]
    public void AHandle_FromAnotherKey_OrAltered_IsRefused()
    {
        var time = new FakeTimeProvider();
        var mine = Create(time);
        var theirs = Create(time); // no MCPROXY_STATE_KEY: each process has its own key
        var handle = theirs.Seal("files", "write", "alice", "s");
        Assert.False(mine.TryOpen(handle, "files", "write", "alice", out _, out var problem));
        Assert.Contains("not one this gateway issued", problem);
        var own = mine.Seal("files", "write", "alice", "s");
        var parts = own.Split('.');
        var payload = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Pad(parts[1])));
        var altered = parts[0] + "." + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(payload.Replace("alice", "mallory")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_') + "." + parts[2];
        Assert.False(mine.TryOpen(altered, "files", "write", "mallory", out _, out _));
        Assert.False(mine.TryOpen("garbage", "files", "write", "alice", out _, out _));
        Assert.False(mine.TryOpen("mcpx1.!!!.???", "files", "write", "alice", out _, out _));
    }

    private static string Pad(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
    }
}
