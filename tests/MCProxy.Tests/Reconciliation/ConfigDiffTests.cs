using MCProxy.Configuration;
using MCProxy.Reconciliation;

namespace MCProxy.Tests.Reconciliation;

public class ConfigDiffTests
{
    private static ServerDefinition Valid(string name, string arg = "1", bool enabled = true) =>
        new(name, new ServerConfig { Name = name, Command = "x", Args = [arg], Enabled = enabled }, []);

    private static ServerDefinition Invalid(string name) => new(name, null, [new ConfigError(name, "$", "bad")]);

    private static Dictionary<string, ServerDefinition> Actual(params ServerDefinition[] defs) => defs.ToDictionary(d => d.Name);

    [Fact]
    public void Compute_FromEmpty_AddsEverything()
    {
        var plan = ConfigDiff.Compute(Actual(), new GatewayConfig([Valid("a"), Invalid("b")]));
        Assert.Equal(["a", "b"], plan.Add.Select(d => d.Name));
        Assert.Empty(plan.Remove);
        Assert.Empty(plan.Restart);
    }

    [Fact]
    public void Compute_SortsEachServerIntoExactlyOneBucket()
    {
        var plan = ConfigDiff.Compute(
            Actual(Valid("same"), Valid("changed"), Valid("gone"), Valid("toggled"), Valid("breaks"), Invalid("fixed")),
            new GatewayConfig([Valid("same"), Valid("changed", "2"), Valid("toggled", enabled: false), Invalid("breaks"),
                Valid("fixed"), Valid("new")]));
        Assert.Equal(["same"], plan.Unchanged);
        Assert.Equal(["changed", "toggled", "fixed"], plan.Restart.Select(d => d.Name));
        Assert.Equal(["gone"], plan.Remove);
        Assert.Equal(["new"], plan.Add.Select(d => d.Name));
        Assert.Equal(["breaks"], plan.InvalidKept.Select(d => d.Name));
        Assert.Equal("+1 added (new), -1 removed (gone), ~3 restarted (changed, toggled, fixed), 2 unchanged (1 kept on their last good config: breaks)",
            plan.Summary());
    }

    [Fact]
    public void Compute_EnvValueChange_Restarts()
    {
        var before = new ServerDefinition("a", new ServerConfig { Name = "a", Command = "x", Env = new Dictionary<string, string> { ["K"] = "1" } }, []);
        var after = new ServerDefinition("a", new ServerConfig { Name = "a", Command = "x", Env = new Dictionary<string, string> { ["K"] = "2" } }, []);
        Assert.Single(ConfigDiff.Compute(Actual(before), new GatewayConfig([after])).Restart);
        Assert.True(ConfigDiff.Compute(Actual(before), new GatewayConfig([before])).IsEmpty);
    }
}
