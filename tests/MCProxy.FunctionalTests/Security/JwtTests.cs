using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace MCProxy.FunctionalTests.Security;

/// <summary>JWTs from an identity provider: a local JWKS endpoint, tokens signed with generated RSA keys.</summary>
public sealed class JwtTests : IAsyncDisposable
{
    private const string Issuer = "https://id.test/realms/mcp";
    private readonly RSA _k1 = RSA.Create(2048);
    private readonly RSA _k2 = RSA.Create(2048);
    private readonly WebApplication _idp;
    private volatile string _jwks;

    public JwtTests()
    {
        _jwks = Jwks(("k1", _k1));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _idp = builder.Build();
        _idp.MapGet("/certs", () => Results.Text(_jwks, "application/json"));
        _idp.StartAsync().GetAwaiter().GetResult();
    }

    private string JwksUrl => _idp.Urls.First() + "/certs";

    private static string Jwks(params (string Kid, RSA Key)[] keys) => "{\"keys\":[" + string.Join(",", keys.Select(k =>
    {
        var p = k.Key.ExportParameters(false);
        return $"{{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"{k.Kid}\",\"n\":\"{Base64UrlEncoder.Encode(p.Modulus)}\",\"e\":\"{Base64UrlEncoder.Encode(p.Exponent)}\"}}";
    })) + "]}";

    private static string Token(RSA key, string kid, string user, string[] roles, string issuer = Issuer, string audience = "mcproxy",
        DateTime? expires = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer, Audience = audience,
            NotBefore = (expires ?? DateTime.UtcNow.AddMinutes(5)).AddMinutes(-10), Expires = expires ?? DateTime.UtcNow.AddMinutes(5),
            Claims = new Dictionary<string, object>
            {
                ["preferred_username"] = user,
                ["realm_access"] = new Dictionary<string, object> { ["roles"] = roles },
            },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = kid }, SecurityAlgorithms.RsaSha256),
        });

    private string Config() =>
        "{\"servers\": " + new JsonArray(TestServers.Entry("a")).ToJsonString() + ", \"auth\": {" +
        "\"jwt\": {\"issuer\": \"" + Issuer + "\", \"audience\": \"mcproxy\", \"jwksUrl\": \"" + JwksUrl + "\"," +
        " \"nameClaim\": \"preferred_username\", \"rolesClaim\": \"realm_access.roles\"}," +
        "\"roles\": {\"admin\": {\"allow\": [\"*\"]}, \"reader\": {\"allow\": [\"*__echo\"]}}}}";

    private static async Task<(int Status, JsonNode? Body)> ListAsync(GatewayFixture gateway, string jwt)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sse")
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", jwt);
        using var response = await gateway.Http.SendAsync(request);
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Jwt_ValidatedAgainstTheJwks_RolesMapToPolicy_BadOnesRefused_ANewKeyAcceptedWithoutARestart()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config());

        var (status, admin) = await ListAsync(gateway, Token(_k1, "k1", "alice", ["admin", "offline_access"]));
        Assert.Equal(200, status);
        Assert.Contains("mcproxy__status", admin!.ToJsonString());
        var (_, reader) = await ListAsync(gateway, Token(_k1, "k1", "bob", ["reader"]));
        Assert.Equal(["a__echo"], reader!["result"]!["tools"]!.AsArray().Select(t => (string)t!["name"]!));

        foreach (var (why, bad) in new[]
        {
            ("expired", Token(_k1, "k1", "alice", ["admin"], expires: DateTime.UtcNow.AddMinutes(-5))),
            ("wrong audience", Token(_k1, "k1", "alice", ["admin"], audience: "someone-else")),
            ("wrong issuer", Token(_k1, "k1", "alice", ["admin"], issuer: "https://evil.test")),
            ("signed by another key under a known kid", Token(_k2, "k1", "alice", ["admin"])),
            ("not a JWT", "a.b.c"),
        })
        {
            Assert.True((await ListAsync(gateway, bad)).Status == 401, why);
        }

        // Key rotation: a token under a kid the JWKS does not have yet is refused; once the provider publishes it,
        // the same token is accepted (the gateway re-fetches on an unknown kid, at most every 5 s).
        var rotated = Token(_k2, "k2", "carol", ["admin"]);
        Assert.Equal(401, (await ListAsync(gateway, rotated)).Status);
        _jwks = Jwks(("k1", _k1), ("k2", _k2));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await ListAsync(gateway, rotated)).Status != 200)
        {
            Assert.True(DateTime.UtcNow < deadline, "the new key was not accepted within 30 s");
            await Task.Delay(250);
        }

        var metadata = JsonNode.Parse(await gateway.Http.GetStringAsync("/.well-known/oauth-protected-resource"))!;
        Assert.Equal(Issuer, (string)metadata["authorization_servers"]![0]!);
        Assert.DoesNotContain(gateway.Logs.Lines, l => l.Contains(rotated, StringComparison.Ordinal));
    }

    [Fact]
    public async Task EveryDoor_RefusesEachKindOfBadJwt_AndAdmitsAValidOne()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config());
        var bad = new (string Why, string Jwt)[]
        {
            ("expired", Token(_k1, "k1", "alice", ["admin"], expires: DateTime.UtcNow.AddMinutes(-5))),
            ("wrong audience", Token(_k1, "k1", "alice", ["admin"], audience: "someone-else")),
            ("wrong issuer", Token(_k1, "k1", "alice", ["admin"], issuer: "https://evil.test")),
            ("unknown kid", Token(_k2, "k9", "alice", ["admin"])),
        };
        var valid = Token(_k1, "k1", "alice", ["admin"]);
        const string initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""";
        var doors = new (HttpMethod Method, string Path, string? Body)[]
        {
            (HttpMethod.Post, "/mcp", initialize), (HttpMethod.Get, "/mcp", null), (HttpMethod.Delete, "/mcp", null),
            (HttpMethod.Get, "/sse", null), (HttpMethod.Post, "/messages?sessionId=x", "{}"),
            (HttpMethod.Post, "/sse", """{"jsonrpc":"2.0","id":1,"method":"ping"}"""),
        };
        foreach (var (method, path, body) in doors)
        {
            foreach (var (why, jwt) in bad.Append(("valid", valid)))
            {
                using var request = new HttpRequestMessage(method, path);
                if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", jwt);
                using var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                var status = (int)response.StatusCode;
                Assert.True(why == "valid" ? status != 401 : status == 401, $"{method} {path} with a {why} JWT: {status}");
            }
        }
        var everything = string.Join("\n", gateway.Logs.Lines);
        Assert.All(bad.Append(("valid", valid)), b => Assert.DoesNotContain(b.Item2, everything));
    }

    public async ValueTask DisposeAsync()
    {
        await _idp.StopAsync();
        await _idp.DisposeAsync();
        _k1.Dispose();
        _k2.Dispose();
    }
}
