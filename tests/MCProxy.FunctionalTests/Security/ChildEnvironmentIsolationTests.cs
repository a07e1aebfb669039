using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;

namespace MCProxy.FunctionalTests.Security;

/// <summary>
/// <c>"inheritEnv": false</c> keeps one server's secrets from another: a child starts with only the essentials of
/// the gateway's environment plus its own <c>env</c>. The gateway runs as its own process (an in-process gateway
/// would hand children the test host's environment), and each child's environment is read from /proc.
/// </summary>
public sealed class ChildEnvironmentIsolationTests
{
    private const string BToken = "b-token-from-process-env-0123456789";
    private const string BDotToken = "b-token-from-dotenv-0123456789";
    private const string GatewayOnly = "gateway-only-value-0123456789";

    private static readonly string[] Essentials = ["PATH", "HOME", "LANG", "TZ", "TMPDIR", "USER"];

    [Fact]
    public async Task InheritEnvFalse_ServerACannotReadServerBsToken()
    {
        var dir = Directory.CreateTempSubdirectory("mcproxy-isolation-").FullName;
        try
        {
            var dotEnv = Path.Combine(dir, ".env");
            await File.WriteAllTextAsync(dotEnv, $"B_DOT_TOKEN={BDotToken}\n");
            foreach (var secret in new[] { BToken, BDotToken, GatewayOnly })
            {
                Evidence.Secret(secret);
            }
            var a = TestServers.Entry("a");
            var b = TestServers.Entry("b");
            b["env"] = new JsonObject { ["B_TOKEN"] = "${B_TOKEN}", ["B_DOT_TOKEN"] = "${B_DOT_TOKEN}" };
            var c = TestServers.Entry("c");
            c["inheritEnv"] = true;
            var config = new JsonObject { ["inheritEnv"] = false, ["servers"] = new JsonArray(a, b, c) }.ToJsonString();
            var gatewayEnvironment = new Dictionary<string, string> { ["B_TOKEN"] = BToken, ["MCPROXY_TEST_GATEWAY_ONLY"] = GatewayOnly };

            await using var gateway = await ExternalGateway.StartAsync(config, gatewayEnvironment, "--env-file", dotEnv);

            var servers = (await gateway.HealthAsync())["servers"]!.AsArray().ToDictionary(s => (string)s!["name"]!, s => s!);
            Assert.All(servers.Values, s => Assert.Equal("ready", (string)s["state"]!));
            var envA = Environ((int)servers["a"]["pid"]!);
            var envB = Environ((int)servers["b"]["pid"]!);
            var envC = Environ((int)servers["c"]["pid"]!);

            // A: the essentials (as the gateway has them) and the marker, nothing else of the gateway's.
            Assert.Empty(envA.Keys.Except(Essentials).Except(["MCPROXY_CHILD"]));
            foreach (var name in Essentials.Where(n => Environment.GetEnvironmentVariable(n) is not null))
            {
                Assert.Equal(Environment.GetEnvironmentVariable(name), envA[name]);
            }
            var textA = string.Join("\n", envA.Select(kv => kv.Key + "=" + kv.Value));
            Assert.DoesNotContain(BToken, textA);
            Assert.DoesNotContain(BDotToken, textA);
            Assert.DoesNotContain(GatewayOnly, textA);
            Assert.DoesNotContain("DOTNET_GCHeapHardLimit", envA.Keys); // set on the gateway by ExternalGateway

            // A's own code cannot find it either.
            var asked = await gateway.RpcAsync("tools/call", new JsonObject
            {
                ["name"] = "a__env", ["arguments"] = new JsonObject { ["name"] = "B_TOKEN" },
            });
            Assert.Equal("(unset)", (string)asked["result"]!["content"]![0]!["text"]!);

            // B: its own env (from the gateway's environment and from .env), still none of the gateway's other variables.
            Assert.Equal(BToken, envB["B_TOKEN"]);
            Assert.Equal(BDotToken, envB["B_DOT_TOKEN"]);
            Assert.Empty(envB.Keys.Except(Essentials).Except(["MCPROXY_CHILD", "B_TOKEN", "B_DOT_TOKEN"]));

            // C overrides the file's default: the whole gateway environment (which is why B_TOKEN should not live there),
            // but never .env values it did not ask for.
            Assert.Equal(GatewayOnly, envC["MCPROXY_TEST_GATEWAY_ONLY"]);
            Assert.Equal(BToken, envC["B_TOKEN"]);
            Assert.DoesNotContain("B_DOT_TOKEN", envC.Keys);
            Assert.DoesNotContain(BDotToken, string.Join("\n", envC.Values));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The environment a process was started with.</summary>
    private static Dictionary<string, string> Environ(int pid)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = entry.IndexOf('=');
            environment[eq < 0 ? entry : entry[..eq]] = eq < 0 ? "" : entry[(eq + 1)..];
        }
        return environment;
    }
}
