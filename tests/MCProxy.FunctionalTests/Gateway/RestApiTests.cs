using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace MCProxy.FunctionalTests.Gateway;

/// <summary>
/// The REST door for scripts, as curl sees it: servers, tools (per identity, by tag), calls with the arguments as the
/// body, the same auth, policy, audit and rate limit as the MCP doors, and an OpenAPI document that matches the routes.
/// </summary>
public sealed class RestApiTests
{
    private const string AdminToken = "rest-admin-token-0123456789ab";
    private const string BotToken = "rest-bot-token-0123456789abcd";

    private static string Config(string? rateLimit = null)
    {
        var a = TestServers.Entry("a", "--counting");
        a["tags"] = new JsonArray("db");
        var b = TestServers.Entry("b", "--counting");
        b["tags"] = new JsonArray("web", "prod");
        var rate = rateLimit is null ? "" : ", \"rateLimit\": {\"perIdentityPerMinute\": " + rateLimit + "}";
        return "{\"servers\": " + new JsonArray(a, b).ToJsonString() + ", \"auth\": {\"tokens\": [" +
               "{\"name\": \"admin\", \"token\": \"" + AdminToken + "\", \"allow\": [\"*\"]}," +
               "{\"name\": \"bot\", \"token\": \"" + BotToken + "\", \"allow\": [\"a__*\"], \"deny\": [\"a__crash\"]}]" + rate + "}}";
    }

    private static async Task<(int Status, HttpResponseMessage Response, JsonNode? Body)> SendAsync(GatewayFixture gateway, HttpMethod method,
        string path, string? token, string? body = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType);
        }
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        var response = await gateway.Http.SendAsync(request);
        JsonNode? parsed = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            parsed = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        }
        return ((int)response.StatusCode, response, parsed);
    }

    private static async Task<JsonNode> GetJsonAsync(GatewayFixture gateway, string path, string token)
    {
        var (status, _, body) = await SendAsync(gateway, HttpMethod.Get, path, token);
        Assert.Equal(200, status);
        return body!;
    }

    private static async Task<string[]> ToolNamesAsync(GatewayFixture gateway, string path, string token) =>
        (await GetJsonAsync(gateway, path, token))["tools"]!.AsArray().Select(t => (string)t!["name"]!).ToArray();

    private static async Task<string> CallsOfBAsync(GatewayFixture gateway)
    {
        var (status, _, body) = await SendAsync(gateway, HttpMethod.Post, "/api/tools/b__calls", AdminToken, "{}");
        Assert.Equal(200, status);
        return (string)body!["content"]![0]!["text"]!;
    }

    [Fact]
    public async Task ServersAndTools_ListWhatTheIdentitySees_AndTagNarrowsByServerTag()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config());

        var servers = (await GetJsonAsync(gateway, "/api/servers", AdminToken))["servers"]!.AsArray();
        Assert.Equal(["a", "b"], servers.Select(s => (string)s!["name"]!));
        Assert.All(servers, s =>
        {
            Assert.Equal("ready", (string)s!["state"]!);
            Assert.True((int)s["tools"]! > 5);
            Assert.True(s.AsObject().ContainsKey("lastError")); // an authenticated caller sees what /health shows it
        });

        var tools = (await GetJsonAsync(gateway, "/api/tools", AdminToken))["tools"]!.AsArray();
        var echo = tools.Single(t => (string)t!["name"]! == "a__echo")!;
        Assert.Equal("a", (string)echo["server"]!);
        Assert.Equal(["db"], echo["tags"]!.AsArray().Select(t => (string)t!));
        Assert.Equal("Echoes the message back", (string)echo["description"]!);
        Assert.Equal("string", (string)echo["inputSchema"]!["properties"]!["message"]!["type"]!);
        var status = tools.Single(t => (string)t!["name"]! == "mcproxy__status")!;
        Assert.Null(status["server"]); // the gateway's own tool
        Assert.Empty(status["tags"]!.AsArray());

        // The bot's list is exactly its tools/list over MCP: the policy filters both the same way.
        var bot = await ToolNamesAsync(gateway, "/api/tools", BotToken);
        var message = """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""";
        var (_, _, listed) = await SendAsync(gateway, HttpMethod.Post, "/sse", BotToken, message);
        Assert.Equal(listed!["result"]!["tools"]!.AsArray().Select(t => (string)t!["name"]!), bot);
        Assert.All(bot, t => Assert.StartsWith("a__", t));
        Assert.DoesNotContain("a__crash", bot);

        var db = await ToolNamesAsync(gateway, "/api/tools?tag=db", AdminToken);
        Assert.Contains("a__echo", db);
        Assert.All(db, t => Assert.StartsWith("a__", t));
        Assert.All(await ToolNamesAsync(gateway, "/api/tools?tag=web", AdminToken), t => Assert.StartsWith("b__", t));
        Assert.Equal(await ToolNamesAsync(gateway, "/api/tools?tag=web", AdminToken), await ToolNamesAsync(gateway, "/api/tools?tag=web&tag=prod", AdminToken));
        Assert.Empty(await ToolNamesAsync(gateway, "/api/tools?tag=db&tag=web", AdminToken)); // every tag given must be carried
        Assert.Empty(await ToolNamesAsync(gateway, "/api/tools?tag=nope", AdminToken));
        Assert.Empty(await ToolNamesAsync(gateway, "/api/tools?tag=web", BotToken)); // the tag narrows the identity's view, never widens it
    }

    [Fact]
    public async Task CallTool_AnswersTheResult_ErrorsGetTheirStatus_AndADeniedCallNeverReachesTheChild()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config());

        var (status, _, body) = await SendAsync(gateway, HttpMethod.Post, "/api/tools/a__echo", AdminToken, """{"message":"from curl"}""");
        Assert.Equal(200, status);
        Assert.Equal("from curl", (string)body!["content"]![0]!["text"]!);
        Assert.Null(body["jsonrpc"]); // the tool result itself, not a JSON-RPC envelope
        // curl -d sends a form content type; an empty body means no arguments.
        (status, _, body) = await SendAsync(gateway, HttpMethod.Post, "/api/tools/a__echo", AdminToken, """{"message":"form"}""", "application/x-www-form-urlencoded");
        Assert.Equal("form", (string)body!["content"]![0]!["text"]!);
        (status, _, body) = await SendAsync(gateway, HttpMethod.Post, "/api/tools/a__pid", AdminToken, "");
        Assert.Equal(200, status);
        Assert.Equal(gateway.Status("a").Pid.ToString(), (string)body!["content"]![0]!["text"]!);

        (status, _, body) = await SendAsync(gateway, HttpMethod.Post, "/api/tools/a__nope", AdminToken, "{}");
        Assert.Equal(404, status);
        Assert.Contains("a__nope", (string)body!["error"]!["message"]!);
        (status, _, body) = await SendAsync(gateway, HttpMethod.Post, "/api/tools/a__echo", AdminToken, "[1, 2]");
        Assert.Equal(400, status);
        Assert.Equal(-32602, (int)body!["error"]!["code"]!);
        (status, _, body) = await SendAsync(gateway, HttpMethod.Post, "/api/tools/a__echo", AdminToken, """{"message": """);
        Assert.Equal(400, status);
        Assert.Equal(-32700, (int)body!["error"]!["code"]!);

        (status, _, body) = await SendAsync(gateway, HttpMethod.Post, "/api/broadcast/echo", AdminToken, "{}");
        Assert.Equal(404, status);
        Assert.Equal("no broadcast tool 'echo': set \"broadcast\": true and expose 'echo' on two or more servers", (string)body!["error"]!["message"]!);

        var before = int.Parse(await CallsOfBAsync(gateway));
        foreach (var tool in new[] { "b__echo", "b__calls", "a__crash" })
        {
            (status, _, body) = await SendAsync(gateway, HttpMethod.Post, $"/api/tools/{tool}", BotToken, """{"message":"x"}""");
            Assert.Equal(403, status);
            Assert.Equal(-32003, (int)body!["error"]!["code"]!);
            Assert.Contains(tool, (string)body["error"]!["message"]!);
        }
        Assert.Equal(before + 1, int.Parse(await CallsOfBAsync(gateway))); // only the admin's second count reached b
        Assert.Equal(MCProxy.Supervision.ServerState.Ready, gateway.Status("a").State); // a__crash never ran

        // Audited like any call, under the door "rest".
        var ok = await gateway.Logs.WaitForAsync(l => l.Contains("[700]") && l.Contains("\"tool\":\"a__echo\"") && l.Contains("\"outcome\":\"ok\""));
        Assert.Contains("\"door\":\"rest\"", ok);
        Assert.Contains("\"identity\":\"admin\"", ok);
        var denied = await gateway.Logs.WaitForAsync(l => l.Contains("[700]") && l.Contains("\"tool\":\"b__echo\"") && l.Contains("\"outcome\":\"denied\""));
        Assert.Contains("\"door\":\"rest\"", denied);
        Assert.Contains("\"identity\":\"bot\"", denied);
    }

    [Fact]
    public async Task RateLimit_Answers429WithRetryAfter_ListsAreNotCounted()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config(rateLimit: "2"));
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(200, (await SendAsync(gateway, HttpMethod.Post, "/api/tools/a__echo", BotToken, """{"message":"x"}""")).Status);
        }
        var (status, response, body) = await SendAsync(gateway, HttpMethod.Post, "/api/tools/a__echo", BotToken, """{"message":"x"}""");
        Assert.Equal(429, status);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal(-32029, (int)body!["error"]!["code"]!);
        Assert.Contains("rate limit", (string)body["error"]!["message"]!);
        Assert.NotEmpty(await ToolNamesAsync(gateway, "/api/tools", BotToken)); // reaches no server: not counted
        Assert.Equal(200, (await SendAsync(gateway, HttpMethod.Post, "/api/tools/a__echo", AdminToken, """{"message":"x"}""")).Status);
    }

    [Fact]
    public async Task Body_LargerThanMaxBody_Is413_AndTheChildIsNeverAsked()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a", "--counting")),
            options: o => o with { Limits = o.Limits with { MaxBodyBytes = 1024 } });
        var (status, _, body) = await SendAsync(gateway, HttpMethod.Post, "/api/tools/a__echo", null,
            new JsonObject { ["message"] = new string('x', 2000) }.ToJsonString());
        Assert.Equal(413, status);
        Assert.Contains("1024", (string)body!["error"]!["message"]!);
        var (_, _, calls) = await SendAsync(gateway, HttpMethod.Post, "/api/tools/a__calls", null);
        Assert.Equal("1", (string)calls!["content"]![0]!["text"]!);
    }

    [Fact]
    public async Task OpenApiDocument_AndTheRoutes_Agree_AndEveryRouteNeedsTheToken()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config());
        var document = await GetJsonAsync(gateway, "/api/openapi.json", AdminToken);
        Assert.StartsWith("3.1", (string)document["openapi"]!);

        var documented = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(op => (Method: op.Key.ToUpperInvariant(), Path: p.Key)))
            .OrderBy(r => r.Path).ThenBy(r => r.Method).ToArray();
        var mapped = gateway.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => (Method: m, Path: e.RoutePattern.RawText!)))
            .OrderBy(r => r.Path).ThenBy(r => r.Method).ToArray();
        Assert.Equal(mapped, documented);

        foreach (var (method, path) in documented)
        {
            var concrete = path.Replace("{name}", "a__echo").Replace("{tool}", "echo");
            var body = method == "POST" ? """{"message":"openapi"}""" : null;
            var (status, response, json) = await SendAsync(gateway, new HttpMethod(method), concrete, null, body);
            Assert.True(status == 401, $"{method} {concrete} without a token: {status}");
            Assert.Contains("resource_metadata=", response.Headers.WwwAuthenticate.ToString());

            (status, response, json) = await SendAsync(gateway, new HttpMethod(method), concrete, AdminToken, body);
            // The route answered (a routing miss has no JSON body): broadcast's 404 is its own, naming the fix.
            Assert.True(status is not (405 or 401), $"{method} {concrete}: {status}");
            Assert.True(json?["error"] is not null || status == 200, $"{method} {concrete}: {status} {json}");
            var operation = document["paths"]![path]![method.ToLowerInvariant()]!;
            Assert.NotNull(operation["responses"]![status.ToString()]); // every answer given is documented
        }
    }
}
