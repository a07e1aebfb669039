using System.Text.Json.Nodes;

namespace MCProxy.FunctionalTests.Infrastructure;

/// <summary>Config entries that start the C# test server with switches.</summary>
internal static class TestServers
{
    public static JsonObject Entry(string name, params string[] switches) => Entry(name, null, switches);

    public static JsonObject Entry(string name, double? timeoutSeconds, params string[] switches)
    {
        var args = new JsonArray(TestServerPaths.TestServerDll);
        foreach (var s in switches)
        {
            args.Add(s);
        }
        var entry = new JsonObject { ["name"] = name, ["command"] = TestServerPaths.DotnetHost, ["args"] = args };
        if (timeoutSeconds is { } t)
        {
            entry["timeout"] = t;
        }
        return entry;
    }

    public static string Config(params JsonObject[] entries) =>
        new JsonObject { ["servers"] = new JsonArray(entries.Select(e => e.DeepClone()).ToArray()) }.ToJsonString();
}
