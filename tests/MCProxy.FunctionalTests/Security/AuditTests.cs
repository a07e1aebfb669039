using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;

namespace MCProxy.FunctionalTests.Security;

/// <summary>The audit trail: a record per call, refusal and failed sign-in, in a rotated JSONL file and the log.</summary>
public sealed class AuditTests
{
    private const string Token = "audit-token-0123456789abcdef";
    private const string Limited = "limited-token-0123456789abcd";

    [Fact]
    public async Task Calls_Refusals_AndFailedSignIns_AreAudited_InARotatedFile_WithoutSecrets()
    {
        var dir = Directory.CreateTempSubdirectory("mcproxy-audit-").FullName;
        var file = Path.Combine(dir, "audit", "audit.jsonl");
        var servers = new JsonArray(TestServers.Entry("a"));
        var config = "{\"servers\": " + servers.ToJsonString() + ", \"auth\": {\"tokens\": [" +
                     "{\"name\": \"ops\", \"token\": \"" + Token + "\", \"allow\": [\"*\"], \"deny\": [\"a__crash\"]}]," +
                     "\"rateLimit\": {\"perIdentityPerMinute\": 40}}," +
                     "\"audit\": {\"file\": \"" + file + "\", \"maxBytes\": 8192, \"keep\": 2}}";
        await using var gateway = await GatewayFixture.StartAsync(config);

        async Task<int> PostAsync(string? token, string body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/sse") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await gateway.Http.SendAsync(request);
            return (int)response.StatusCode;
        }
        const string arguments = """{"message":"audited"}""";
        var call = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a__echo","arguments":""" + arguments + "}}";
        await PostAsync(Token, """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"a__crash","arguments":{}}}""");
        Assert.Equal(401, await PostAsync(null, """{"jsonrpc":"2.0","id":1,"method":"ping"}"""));
        Assert.Equal(401, await PostAsync(Limited, call));
        for (var i = 0; i < 45; i++)
        {
            await PostAsync(Token, call); // the denied call counted too: 39 pass, then rate-limited
        }
        await gateway.Logs.WaitForAsync(l => l.Contains("\"outcome\":\"rateLimited\""), count: 5);
        // The file is written behind a queue: wait until the last rate-limited record is on disk.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string[] lines;
        do
        {
            lines = new[] { file + ".2", file + ".1", file }.Where(File.Exists).SelectMany(File.ReadAllLines).ToArray();
            if (lines.Count(l => l.Contains("\"rateLimited\"")) >= 5) break;
            await Task.Delay(20);
        } while (DateTime.UtcNow < deadline);

        Assert.True(File.Exists(file + ".1"), "the file was not rotated at 8192 bytes");
        Assert.False(File.Exists(file + ".3"), "more rotated files than keep=2");
        Assert.All(Directory.GetFiles(Path.GetDirectoryName(file)!), f => Assert.True(new FileInfo(f).Length <= 8192, $"{f} is over maxBytes"));
        var records = lines.Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var ok = records.First(r => (string)r["outcome"]! == "ok");
        foreach (var key in new[] { "time", "identity", "session", "door", "server", "tool", "durationMs", "outcome", "bytesIn", "bytesOut", "argsSha256" })
        {
            Assert.True(ok.ContainsKey(key), $"no {key} in {ok.ToJsonString()}");
        }
        Assert.Equal("ops", (string)ok["identity"]!);
        Assert.Equal("a", (string)ok["server"]!);
        Assert.Equal("a__echo", (string)ok["tool"]!);
        Assert.Equal("post-sse", (string)ok["door"]!);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(arguments))), (string)ok["argsSha256"]!);
        Assert.False(ok.ContainsKey("arguments")); // only with includeArguments
        Assert.Contains(records, r => (string)r["outcome"]! == "rateLimited");
        Assert.Contains(records, r => (string)r["outcome"]! == "unauthenticated");
        Assert.Contains(records, r => (string)r["outcome"]! == "denied" && (string)r["tool"]! == "a__crash");

        Evidence.Keep(Path.GetDirectoryName(file)!, "*");
        var everything = string.Join("\n", lines) + string.Join("\n", gateway.Logs.Lines);
        Assert.DoesNotContain(Token, everything);
        Assert.DoesNotContain(Limited, everything);
        Assert.Contains(gateway.Logs.Lines, l => l.Contains("[700]") && l.Contains("\"outcome\":\"ok\""));
    }
}
