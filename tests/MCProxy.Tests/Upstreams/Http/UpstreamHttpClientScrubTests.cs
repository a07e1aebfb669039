using MCProxy.Configuration;
using MCProxy.Upstreams.Http;

namespace MCProxy.Tests.Upstreams.Http;

/// <summary>An upstream's error text may echo what we sent it: every credential is masked before the text goes on.</summary>
public sealed class UpstreamHttpClientScrubTests
{
    [Fact]
    public void Scrub_MasksHeaderValues_TheBearerToken_AndBasicCredentials()
    {
        const string token = "bearer-0123456789abcdef";
        const string apiKey = "api-key-0123456789abcdef";
        using var bearer = new UpstreamHttpClient(new RemoteServer(new Uri("https://h/mcp"), RemoteTransport.Http,
            new Dictionary<string, string> { ["X-Api-Key"] = apiKey }, new BearerCredential(token), null, false), TimeProvider.System);
        var scrubbed = bearer.Scrub($"401: bad token {token} (key {apiKey}); Authorization: Bearer {token}");
        Assert.DoesNotContain(token, scrubbed);
        Assert.DoesNotContain(apiKey, scrubbed);
        Assert.Contains("bad token ***", scrubbed);

        var basicCredential = new BasicCredential("svc", "pw-0123456789abcdef");
        using var basic = new UpstreamHttpClient(new RemoteServer(new Uri("https://h/mcp"), RemoteTransport.Http,
            new Dictionary<string, string>(), basicCredential, null, false), TimeProvider.System);
        var echoed = basic.Scrub($"got Basic {basicCredential.HeaderValue} and password pw-0123456789abcdef");
        Assert.DoesNotContain(basicCredential.HeaderValue, echoed);
        Assert.DoesNotContain("pw-0123456789abcdef", echoed);
    }
}
