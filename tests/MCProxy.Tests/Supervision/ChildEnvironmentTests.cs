using System.Collections;
using MCProxy.Supervision;

namespace MCProxy.Tests.Supervision;

public class ChildEnvironmentTests
{
    private static Hashtable Gateway() => new()
    {
        ["PATH"] = "/usr/local/bin:/usr/bin", ["HOME"] = "/var/lib/mcproxy", ["LANG"] = "C.UTF-8", ["TZ"] = "UTC",
        ["TMPDIR"] = "/tmp", ["USER"] = "mcproxy",
        ["NOTIFY_SOCKET"] = "/run/systemd/notify", ["WATCHDOG_USEC"] = "30000000", ["INVOCATION_ID"] = "abc",
        ["B_TOKEN"] = "b-secret-0123456789", ["MCPROXY_TOKEN"] = "gateway-token-0123456789", ["DOTNET_gcServer"] = "0",
        ["LD_PRELOAD"] = "/evil.so", ["path"] = "lower-case is another variable",
    };

    [Fact]
    public void Build_InheritAll_KeepsTheGatewaysEnvironmentMinusServiceManagerVariables()
    {
        var env = ChildEnvironment.Build(Gateway(), new Dictionary<string, string> { ["K"] = "v" }, "m-1");
        Assert.Equal("b-secret-0123456789", env["B_TOKEN"]);
        Assert.Equal("0", env["DOTNET_gcServer"]);
        Assert.Equal("v", env["K"]);
        Assert.Equal("m-1", env[ChildEnvironment.MarkerVariable]);
        Assert.DoesNotContain("NOTIFY_SOCKET", env.Keys);
        Assert.DoesNotContain("WATCHDOG_USEC", env.Keys);
        Assert.DoesNotContain("INVOCATION_ID", env.Keys);
    }

    [Fact]
    public void Build_NotInheritAll_KeepsOnlyTheEssentialsTheServersEnvAndTheMarker()
    {
        var env = ChildEnvironment.Build(Gateway(), new Dictionary<string, string> { ["A_KEY"] = "a-own", ["HOME"] = "/srv/a" }, "m-2",
            inheritAll: false);
        Assert.Equal(new Dictionary<string, string>
        {
            ["PATH"] = "/usr/local/bin:/usr/bin", ["HOME"] = "/srv/a", ["LANG"] = "C.UTF-8", ["TZ"] = "UTC", ["TMPDIR"] = "/tmp",
            ["USER"] = "mcproxy", ["A_KEY"] = "a-own", [ChildEnvironment.MarkerVariable] = "m-2",
        }, env);
    }

    [Fact]
    public void Build_NotInheritAll_ServerEnvMayNameAnyVariable_ServiceManagerVariablesStayOut()
    {
        var env = ChildEnvironment.Build(Gateway(), new Dictionary<string, string> { ["B_TOKEN"] = "given-on-purpose" }, "m-3", inheritAll: false);
        Assert.Equal("given-on-purpose", env["B_TOKEN"]);
        Assert.DoesNotContain("NOTIFY_SOCKET", env.Keys);
        Assert.DoesNotContain("MCPROXY_TOKEN", env.Keys);
    }

    [Fact]
    public void Build_NotInheritAll_MissingEssentialsAreNotInvented()
    {
        var env = ChildEnvironment.Build(new Hashtable { ["PATH"] = "/bin", ["NOTIFY_SOCKET"] = "/run/n" }, new Dictionary<string, string>(), "m",
            inheritAll: false);
        Assert.Equal([ChildEnvironment.MarkerVariable, "PATH"], env.Keys.Order(StringComparer.Ordinal));
    }
}
