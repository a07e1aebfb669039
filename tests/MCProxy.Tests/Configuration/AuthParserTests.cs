using System.Security.Cryptography;
using System.Text;
using MCProxy.Configuration;

namespace MCProxy.Tests.Configuration;

public class AuthParserTests
{
    private static readonly EnvironmentSource Env = new(new Dictionary<string, string> { ["CI_TOKEN"] = "ci-token-0123456789abcdef" }, new Dictionary<string, string>());

    private static ConfigLoadResult Load(string auth) =>
        ConfigLoader.Load("""{"servers":[{"name":"a","command":"x"}],"auth":""" + auth + "}", Env, "__");

    [Fact]
    public void Load_ValidSection_HashesTokens_PoolsRoles()
    {
        var result = Load("""
            {"tokens":[{"name":"ci","token":"${CI_TOKEN}","allow":["a__*"]},{"name":"ops","tokenSha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","roles":["admin"]}],
             "roles":{"admin":{"allow":["*"],"deny":["a__crash"]}},"rateLimit":{"perIdentityPerMinute":60}}
            """);
        Assert.True(result.IsValid, string.Join("; ", result.FileErrors));
        var auth = result.Config!.Auth!;
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes("ci-token-0123456789abcdef")), auth.Tokens[0].TokenSha256);
        Assert.Equal(["admin"], auth.Tokens[1].Roles);
        Assert.Equal(60, auth.PerIdentityPerMinute);
    }

    [Theory]
    [InlineData("""{"tokens":[{"name":"ci","token":"${NOT_SET}","allow":["*"]}]}""", "NOT_SET")]
    [InlineData("""{"tokens":[{"name":"ci","token":"short","allow":["*"]}]}""", "at least 16")]
    [InlineData("""{"tokens":[{"name":"ci","token":"${CI_TOKEN}"}]}""", "can use nothing")]
    [InlineData("""{"tokens":[{"name":"ci","token":"${CI_TOKEN}","roles":["nope"]}]}""", "unknown role 'nope'")]
    [InlineData("""{"tokens":[{"name":"x","token":"${CI_TOKEN}","allow":["*"]},{"name":"y","token":"${CI_TOKEN}","allow":["*"]}]}""", "share one token")]
    [InlineData("""{"tokens":[{"name":"x","token":"${CI_TOKEN}","allow":["*"]},{"name":"x","token":"other-token-0123456789","allow":["*"]}]}""", "used by 2 tokens")]
    [InlineData("""{"tokens":[{"name":"x","tokenSha256":"abc","allow":["*"]}]}""", "64 hex digits")]
    [InlineData("""{"tokens":[{"name":"x","token":"${CI_TOKEN}","allow":[""]}]}""", "non-empty globs")]
    [InlineData("""{"tokens":[],"jwt":{}}""", "missing \"issuer\"")]
    [InlineData("""{"jwt":{"issuer":"https://id","audience":"a","jwksUrl":"http://id.example/certs"}}""", "allowed only on loopback")]
    [InlineData("""{"tokens":[{"name":"x","token":"${CI_TOKEN}","allow":["*"]}],"rateLimit":{"perIdentityPerMinute":0}}""", "perIdentityPerMinute")]
    public void Load_InvalidSection_RejectsTheFile_NamingTheProblemButNoSecret(string auth, string expected)
    {
        var result = Load(auth);
        Assert.False(result.IsValid);
        var errors = string.Join("\n", result.FileErrors);
        Assert.Contains(expected, errors);
        Assert.Contains("$.auth", errors);
        Assert.DoesNotContain("ci-token-0123456789abcdef", errors);
    }
}
