using MCProxy.Configuration;
using MCProxy.Reconciliation;

namespace MCProxy.Tests.Configuration;

/// <summary>A server's <c>"limits"</c>: memoryMB, cpuSeconds, openFiles.</summary>
public sealed class ChildLimitsConfigTests
{
    private static ServerDefinition LoadOne(string entry) => FirstServer.Load(entry);

    [Fact]
    public void Load_AllThreeLimits_AreRead()
    {
        var definition = LoadOne("""{"name":"a","command":"x","limits":{"memoryMB":512,"cpuSeconds":3600,"openFiles":1024}}""");
        Assert.True(definition.IsValid, string.Join("\n", definition.Errors));
        Assert.Equal(new ChildLimits(512, 3600, 1024), definition.Config!.Limits);
    }

    [Fact]
    public void Load_EachLimitIsOptional_AndNoLimitsIsNone()
    {
        Assert.Equal(new ChildLimits(MemoryMB: 64), LoadOne("""{"name":"a","command":"x","limits":{"memoryMB":64}}""").Config!.Limits);
        Assert.Equal(new ChildLimits(OpenFiles: 256), LoadOne("""{"name":"a","command":"x","limits":{"openFiles":256}}""").Config!.Limits);
        Assert.Same(ChildLimits.None, LoadOne("""{"name":"a","command":"x"}""").Config!.Limits);
        Assert.Same(ChildLimits.None, LoadOne("""{"name":"a","command":"x","limits":{}}""").Config!.Limits);
        Assert.Same(ChildLimits.None, LoadOne("""{"name":"a","command":"x","limits":null}""").Config!.Limits);
    }

    [Theory]
    [InlineData("""{"memoryMB":0}""", "$.servers[0].limits.memoryMB")]
    [InlineData("""{"memoryMB":-5}""", "$.servers[0].limits.memoryMB")]
    [InlineData("""{"memoryMB":1.5}""", "$.servers[0].limits.memoryMB")]
    [InlineData("""{"memoryMB":"512"}""", "$.servers[0].limits.memoryMB")]
    [InlineData("""{"cpuSeconds":0}""", "$.servers[0].limits.cpuSeconds")]
    [InlineData("""{"cpuSeconds":true}""", "$.servers[0].limits.cpuSeconds")]
    [InlineData("""{"openFiles":-1}""", "$.servers[0].limits.openFiles")]
    [InlineData("""{"openFiles":99999999999}""", "$.servers[0].limits.openFiles")]
    [InlineData("""{"memoryMb":512}""", "$.servers[0].limits.memoryMb")]
    [InlineData("""[512]""", "$.servers[0].limits")]
    public void Load_BadLimit_MakesOnlyThatServerInvalid_NamingTheField(string limits, string path)
    {
        var definition = LoadOne($$"""{"name":"a","command":"x","limits":{{limits}}}""");
        Assert.False(definition.IsValid);
        var error = Assert.Single(definition.Errors);
        Assert.Equal(path, error.Path);
        Assert.Equal("a", error.Server);
    }

    [Fact]
    public void Load_EveryBadLimit_IsReported()
    {
        var definition = LoadOne("""{"name":"a","command":"x","limits":{"memoryMB":0,"cpuSeconds":-1,"openFiles":"many"}}""");
        Assert.Equal(["$.servers[0].limits.memoryMB", "$.servers[0].limits.cpuSeconds", "$.servers[0].limits.openFiles"],
            definition.Errors.Select(e => e.Path));
        Assert.Contains("positive whole number of MiB", definition.Errors[0].Message);
    }

    [Fact]
    public void Load_LimitsOnARemoteServer_IsAnError()
    {
        var definition = LoadOne("""{"name":"r","url":"https://mcp.example.com/mcp","limits":{"memoryMB":512}}""");
        Assert.False(definition.IsValid);
        var error = Assert.Single(definition.Errors);
        Assert.Equal("$.servers[0].limits", error.Path);
        Assert.Contains("stdio servers only", error.Message);
    }

    [Fact]
    public void Compute_ChangedLimit_RestartsOnlyThatServer()
    {
        ServerDefinition Server(string name, ChildLimits limits) =>
            new(name, new ServerConfig { Name = name, Command = "x", Limits = limits }, []);
        var actual = new[] { Server("a", new ChildLimits(MemoryMB: 512)), Server("b", new ChildLimits(OpenFiles: 64)) }.ToDictionary(d => d.Name);

        var plan = ConfigDiff.Compute(actual, new GatewayConfig([Server("a", new ChildLimits(MemoryMB: 256)), Server("b", new ChildLimits(OpenFiles: 64))]));

        Assert.Equal(["a"], plan.Restart.Select(d => d.Name));
        Assert.Equal(["b"], plan.Unchanged);
        Assert.True(ConfigDiff.Compute(actual, new GatewayConfig([Server("a", new ChildLimits(MemoryMB: 512)), Server("b", new ChildLimits(OpenFiles: 64))])).IsEmpty);
    }
}
