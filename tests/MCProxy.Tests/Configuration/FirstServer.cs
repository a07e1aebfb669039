using MCProxy.Configuration;
using MCProxy.Reconciliation;

namespace MCProxy.Tests.Configuration;

/// <summary>Loads a file whose first server is the entry under test, beside a valid one that must stay valid.</summary>
internal static class FirstServer
{
    private static readonly EnvironmentSource Env = new(new Dictionary<string, string>(), new Dictionary<string, string>());

    public static ServerDefinition Load(string entry)
    {
        var result = ConfigLoader.Load($$$"""{"servers":[{{{entry}}},{"name":"bystander","command":"x"}]}""", Env, "__");
        Assert.True(result.IsValid, string.Join("\n", result.FileErrors));
        Assert.True(result.Config!.Servers[1].IsValid, string.Join("\n", result.Config.Servers[1].Errors));
        return result.Config.Servers[0];
    }
}
