using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;

namespace MCProxy.FunctionalTests.Output;

/// <summary>Output caps with spill to mcproxy://results/…, and redaction of what children answer.</summary>
public sealed class ResultFilterTests
{
    private const string Alice = "alice-token-0123456789abcdef";
    private const string Bob = "bob-token-0123456789abcdef0";

    private static async Task<JsonObject> RpcAsync(GatewayFixture gateway, string token, string method, JsonObject prms)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sse")
        {
            Content = new StringContent(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method, ["params"] = prms }.ToJsonString(),
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await gateway.Http.SendAsync(request);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    [Fact]
    public async Task ABigResult_IsCutOnAUtf8Boundary_WithANoteAndALink_AndOnlyItsCallerReadsItInFull()
    {
        var a = TestServers.Entry("a");
        a["maxOutputBytes"] = 4096;
        var config = new JsonObject
        {
            ["servers"] = new JsonArray(a, TestServers.Entry("b")),
            ["auth"] = JsonNode.Parse($$"""{"tokens": [{"name": "alice", "token": "{{Alice}}", "allow": ["*"]}, {"name": "bob", "token": "{{Bob}}", "allow": ["*"]}]}"""),
        }.ToJsonString();
        await using var gateway = await GatewayFixture.StartAsync(config);
        // Multi-byte text: a cut that ignored UTF-8 would leave half a character.
        var message = string.Concat(Enumerable.Repeat("größer—", 2000));
        var cut = await RpcAsync(gateway, Alice, "tools/call", new JsonObject { ["name"] = "a__echo", ["arguments"] = new JsonObject { ["message"] = message } });
        var content = cut["result"]!["content"]!.AsArray();
        var kept = (string)content[0]!["text"]!;
        Assert.True(Encoding.UTF8.GetByteCount(kept) < 4096 && kept.Length > 1000, $"kept {kept.Length} chars");
        Assert.StartsWith(kept, message); // a prefix, whole characters only
        var note = (string)content[1]!["text"]!;
        Assert.Contains("cut to 4096 bytes", note);
        var link = content[2]!.AsObject();
        Assert.Equal("resource_link", (string)link["type"]!);
        var uri = (string)link["uri"]!;
        Assert.StartsWith("mcproxy://results/", uri);
        var contentBytes = Encoding.UTF8.GetByteCount(content.ToJsonString(new System.Text.Json.JsonSerializerOptions
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // as the gateway writes it: UTF-8, not \u escapes
        }));
        Assert.True(contentBytes <= 4096 + 512, $"content is {contentBytes} bytes");

        var full = await RpcAsync(gateway, Alice, "resources/read", new JsonObject { ["uri"] = uri });
        var original = JsonNode.Parse((string)full["result"]!["contents"]![0]!["text"]!)!;
        Assert.Equal(message, (string)original["content"]![0]!["text"]!); // the whole original result
        var other = await RpcAsync(gateway, Bob, "resources/read", new JsonObject { ["uri"] = uri });
        Assert.Equal(-32002, (int)other["error"]!["code"]!); // for anyone else it does not exist

        // Server b has no cap: the same call comes back whole.
        var whole = await RpcAsync(gateway, Alice, "tools/call", new JsonObject { ["name"] = "b__echo", ["arguments"] = new JsonObject { ["message"] = message } });
        Assert.Equal(message, (string)whole["result"]!["content"]![0]!["text"]!);
    }

    [Fact]
    public async Task Redaction_MasksBuiltinPatterns_ConfiguredSecrets_AndCustomRules_InResultsErrorsAndHealth_AndTheAuditCountsThem()
    {
        const string secret = "child-secret-value-0123456789";
        var dir = Directory.CreateTempSubdirectory("mcproxy-redact-").FullName;
        var auditFile = Path.Combine(dir, "audit.jsonl");
        var a = TestServers.Entry("a");
        a["env"] = new JsonObject { ["API_SECRET"] = "${API_SECRET}" };
        a["redact"] = JsonNode.Parse("""{"rules": [{"pattern": "internal-[0-9]+", "replace": "internal-#"}]}""");
        var config = new JsonObject
        {
            ["servers"] = new JsonArray(a),
            ["redact"] = "default",
            ["audit"] = new JsonObject { ["file"] = auditFile },
        }.ToJsonString();
        Evidence.Secret(secret);
        await using var gateway = await GatewayFixture.StartAsync(config, dotEnv: $"API_SECRET={secret}\n");

        var env = await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "a__env", ["arguments"] = new JsonObject { ["name"] = "API_SECRET" } });
        Assert.Equal("[REDACTED]", (string)env["result"]!["content"]![0]!["text"]!); // the child really has it; the client never sees it

        const string leaky = "key AKIAIOSFODNN7EXAMPLE, token ghp_abcdefghijklmnopqrstuvwxyz0123456789, host internal-42, " +
                             "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----";
        var echoed = await gateway.RpcAsync("tools/call", new JsonObject
        {
            ["name"] = "a__echo", ["arguments"] = new JsonObject { ["message"] = leaky, ["stderr"] = true },
        });
        var text = (string)echoed["result"]!["content"]![0]!["text"]!;
        Assert.DoesNotContain("AKIAIOSFODNN7EXAMPLE", text);
        Assert.DoesNotContain("ghp_abcdefghij", text);
        Assert.DoesNotContain("MIIEow", text);
        Assert.Contains("internal-#", text);
        Assert.Contains("[REDACTED AWS KEY]", text);

        // The stderr tail /health shows is masked the same way.
        await gateway.Logs.WaitForAsync(l => l.Contains("AKIA") || l.Contains("key [REDACTED"), seconds: 10);
        var health = await gateway.Http.GetStringAsync("/health");
        Assert.Contains("[REDACTED AWS KEY]", health);
        Assert.DoesNotContain("AKIAIOSFODNN7EXAMPLE", health);

        // The audit record counts what was masked.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        JsonNode? record = null;
        while (record is null && DateTime.UtcNow < deadline)
        {
            record = File.Exists(auditFile)
                ? File.ReadAllLines(auditFile).Select(l => JsonNode.Parse(l)!).FirstOrDefault(r => (string?)r["tool"] == "a__echo")
                : null;
            if (record is null) await Task.Delay(20);
        }
        Assert.NotNull(record);
        Assert.True((int)record!["redactions"]! >= 4, record.ToJsonString());
        Evidence.Keep(dir, "*audit*");
    }
}
