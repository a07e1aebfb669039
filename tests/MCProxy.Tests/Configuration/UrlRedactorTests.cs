using MCProxy.Configuration;

namespace MCProxy.Tests.Configuration;

public class UrlRedactorTests
{
    [Theory]
    [InlineData("https://api.example.com/mcp", "https://api.example.com/mcp")]
    [InlineData("https://user:hunter2@api.example.com/mcp", "https://api.example.com/mcp")]
    [InlineData("https://only-user@api.example.com/mcp", "https://api.example.com/mcp")]
    [InlineData("http://user:pw@127.0.0.1:9000/mcp", "http://127.0.0.1:9000/mcp")]
    [InlineData("https://h/mcp?api_key=abc123&page=2", "https://h/mcp?api_key=***&page=2")]
    [InlineData("https://h/mcp?token=abc123", "https://h/mcp?token=***")]
    [InlineData("https://h/mcp?key=abc123", "https://h/mcp?key=***")]
    [InlineData("https://h/mcp?access_token=abc123&tenant=acme", "https://h/mcp?access_token=***&tenant=acme")]
    [InlineData("https://h/mcp?x_api_key=abc123", "https://h/mcp?x_api_key=***")]
    [InlineData("https://h/mcp?stripe_key=abc123", "https://h/mcp?stripe_key=***")]
    [InlineData("https://h/mcp?client-secret=abc123", "https://h/mcp?client-secret=***")]
    [InlineData("https://h/mcp?API_KEY=abc123", "https://h/mcp?API_KEY=***")]
    [InlineData("https://h/mcp?apikey=abc123&password=pw", "https://h/mcp?apikey=***&password=***")]
    [InlineData("https://h/mcp?q=search&monkey=1&keyboard=us&page=3", "https://h/mcp?q=search&monkey=1&keyboard=us&page=3")]
    [InlineData("https://h/mcp?token", "https://h/mcp?token")]
    [InlineData("https://h/mcp#access_token=abc123", "https://h/mcp")]
    public void Redact_StripsUserinfoAndSecretQueryValues_KeepsTheRest(string url, string expected)
    {
        Assert.Equal(expected, UrlRedactor.Redact(new Uri(url)));
    }

    [Fact]
    public void Redact_NeverContainsTheSecrets()
    {
        var redacted = UrlRedactor.Redact(new Uri("https://svc:pw-0123456789@h:8443/v1/mcp?tenant=t1&api_key=key-0123456789&access_token=tok-0123456789"));
        Assert.DoesNotContain("pw-0123456789", redacted);
        Assert.DoesNotContain("key-0123456789", redacted);
        Assert.DoesNotContain("tok-0123456789", redacted);
        Assert.DoesNotContain("svc", redacted);
        Assert.Contains("h:8443/v1/mcp", redacted);
        Assert.Contains("tenant=t1", redacted);
    }
}
