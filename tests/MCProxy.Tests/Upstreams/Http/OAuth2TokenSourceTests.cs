using System.Net;
using System.Text;
using MCProxy.Configuration;
using MCProxy.Tests.Infrastructure;
using MCProxy.Upstreams.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace MCProxy.Tests.Upstreams.Http;

public sealed class OAuth2TokenSourceTests
{
    private const string Secret = "s3cr3t:with/odd+chars";
    private static readonly Uri TokenUrl = new("https://auth.example.test/oauth/token");
    private readonly FakeTimeProvider _time = new();

    private static OAuth2Credential Credential(params string[] scopes) => new(TokenUrl, "gateway id", Secret, scopes);

    /// <summary>A token endpoint that hands out t1, t2, … with the given lifetime (null: no expires_in).</summary>
    private static StubHttpHandler Endpoint(int? expiresIn) => new((_, index) => StubHttpHandler.Json(
        expiresIn is { } seconds
            ? $$"""{"access_token":"t{{index + 1}}","token_type":"Bearer","expires_in":{{seconds}}}"""
            : $$"""{"access_token":"t{{index + 1}}","token_type":"Bearer"}"""));

    private OAuth2TokenSource Source(StubHttpHandler handler, OAuth2Credential? credential = null) =>
        new(credential ?? Credential("read", "write"), new HttpClient(handler), _time);

    private static Task<string> Get(OAuth2TokenSource source) => source.GetAsync(CancellationToken.None).AsTask();

    [Fact]
    public async Task GetAsync_FirstCall_PostsClientCredentialsGrantWithScopesAndBasicAuth()
    {
        var handler = Endpoint(3600);
        var source = Source(handler);

        Assert.Equal("t1", await Get(source));

        var request = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal(TokenUrl, request.Url);
        Assert.Equal("application/x-www-form-urlencoded", request.ContentType);
        Assert.Contains("application/json", request.Accept);
        var form = QueryHelpers.ParseQuery(request.Body);
        Assert.Equal("client_credentials", form["grant_type"].ToString());
        Assert.Equal("read write", form["scope"].ToString());
        // RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined with ':' and base64-encoded.
        Assert.StartsWith("Basic ", request.Authorization);
        var basic = Encoding.UTF8.GetString(Convert.FromBase64String(request.Authorization!["Basic ".Length..]));
        Assert.Equal("gateway%20id:s3cr3t%3Awith%2Fodd%2Bchars", basic);
        Assert.Equal(1, source.Fetches);
    }

    [Fact]
    public async Task GetAsync_NoScopes_SendsNoScopeField()
    {
        var handler = Endpoint(3600);

        await Get(Source(handler, Credential()));

        var form = QueryHelpers.ParseQuery(Assert.Single(handler.Requests).Body);
        Assert.False(form.ContainsKey("scope"));
        Assert.Equal("client_credentials", form["grant_type"].ToString());
    }

    [Fact]
    public async Task GetAsync_TokenFresh_ServedFromCache()
    {
        var handler = Endpoint(3600);
        var source = Source(handler);

        Assert.Equal("t1", await Get(source));
        _time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal("t1", await Get(source));
        Assert.Equal("t1", await Get(source));

        Assert.Equal(1, handler.Count);
        Assert.Equal(1, source.Fetches);
    }

    [Theory]
    [InlineData(100, 89, 91)]     // 10 % of the lifetime: refreshed once less than 10 s is left
    [InlineData(3600, 3539, 3541)] // the margin is capped at 60 s
    [InlineData(null, 3539, 3541)] // no expires_in: one hour
    [InlineData(0, 3539, 3541)]    // a lifetime that is not positive counts as absent
    public async Task GetAsync_NearExpiry_RefetchedOnlyInsideTheMargin(int? expiresIn, int stillCachedAt, int refetchedAt)
    {
        var handler = Endpoint(expiresIn);
        var source = Source(handler);
        Assert.Equal("t1", await Get(source));

        _time.Advance(TimeSpan.FromSeconds(stillCachedAt));
        Assert.Equal("t1", await Get(source));
        Assert.Equal(1, handler.Count);

        _time.Advance(TimeSpan.FromSeconds(refetchedAt - stillCachedAt));
        Assert.Equal("t2", await Get(source));
        Assert.Equal(2, handler.Count);
        Assert.Equal("t2", await Get(source));
        Assert.Equal(2, source.Fetches);
    }

    [Fact]
    public async Task GetAsync_LifetimeCountsFromTheRequestNotTheAnswer()
    {
        // The endpoint takes 5 s to answer: the token's clock started when it was asked for.
        var handler = new StubHttpHandler((_, index) =>
        {
            if (index == 0)
            {
                _time.Advance(TimeSpan.FromSeconds(5));
            }
            return StubHttpHandler.Json($$"""{"access_token":"t{{index + 1}}","expires_in":100}""");
        });
        var source = Source(handler);
        Assert.Equal("t1", await Get(source));

        _time.Advance(TimeSpan.FromSeconds(86)); // 91 s after the request
        Assert.Equal("t2", await Get(source));
    }

    [Fact]
    public async Task Invalidate_TheCachedToken_NextGetFetches()
    {
        var handler = Endpoint(3600);
        var source = Source(handler);
        Assert.Equal("t1", await Get(source));

        source.Invalidate("t1");

        Assert.Equal("t2", await Get(source));
        Assert.Equal(2, handler.Count);
    }

    [Fact]
    public async Task Invalidate_ADifferentToken_KeepsTheCachedOne()
    {
        var handler = Endpoint(100);
        var source = Source(handler);
        Assert.Equal("t1", await Get(source));
        _time.Advance(TimeSpan.FromSeconds(95));
        Assert.Equal("t2", await Get(source));

        source.Invalidate("t1"); // a late 401 to a request that carried the old token
        source.Invalidate("something else");

        Assert.Equal("t2", await Get(source));
        Assert.Equal(2, handler.Count);
    }

    [Fact]
    public async Task GetAsync_ConcurrentCallers_OneFetch()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new StubHttpHandler(async (_, index) =>
        {
            asked.TrySetResult();
            await release.Task;
            return StubHttpHandler.Json($$"""{"access_token":"t{{index + 1}}","expires_in":3600}""");
        });
        var source = Source(handler);

        var callers = Enumerable.Range(0, 8).Select(_ => Get(source)).ToArray();
        await asked.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(callers, c => Assert.False(c.IsCompleted));
        release.SetResult();
        var tokens = await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.All(tokens, t => Assert.Equal("t1", t));
        Assert.Equal(1, handler.Count);
        Assert.Equal(1, source.Fetches);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.InternalServerError)]
    public async Task GetAsync_EndpointAnswersAnError_ThrowsWithStatusAndWithoutSecret(HttpStatusCode status)
    {
        var handler = new StubHttpHandler((_, _) => StubHttpHandler.Json("""{"error":"invalid_client"}""", status));
        var source = Source(handler);

        var ex = await Assert.ThrowsAsync<UpstreamHttpException.TokenEndpoint>(() => Get(source));

        Assert.Equal((int)status, ex.Status);
        Assert.Contains($"HTTP {(int)status}", ex.Message);
        Assert.DoesNotContain(Secret, ex.Message);
        Assert.DoesNotContain(Uri.EscapeDataString(Secret), ex.Message);
        Assert.DoesNotContain(Assert.Single(handler.Requests).Authorization!["Basic ".Length..], ex.Message);
        Assert.Equal(0, source.Fetches);
    }

    [Fact]
    public async Task GetAsync_AfterAnError_TriesAgainNextTime()
    {
        var handler = new StubHttpHandler((_, index) => index == 0
            ? StubHttpHandler.Json("{}", HttpStatusCode.ServiceUnavailable)
            : StubHttpHandler.Json("""{"access_token":"t2","expires_in":3600}"""));
        var source = Source(handler);

        await Assert.ThrowsAsync<UpstreamHttpException.TokenEndpoint>(() => Get(source));

        Assert.Equal("t2", await Get(source));
    }

    [Theory]
    [InlineData("""{"token_type":"Bearer","expires_in":3600}""")]
    [InlineData("""{"access_token":"","expires_in":3600}""")]
    [InlineData("""{"access_token":42}""")]
    [InlineData("""{"access_token":null}""")]
    public async Task GetAsync_BodyWithoutAccessToken_Throws(string body)
    {
        var source = Source(new StubHttpHandler((_, _) => StubHttpHandler.Json(body)));

        var ex = await Assert.ThrowsAsync<UpstreamHttpException.TokenEndpoint>(() => Get(source));

        Assert.Contains("access_token", ex.Message);
        Assert.Equal(0, source.Fetches);
    }

    [Fact]
    public async Task GetAsync_BodyNotJson_Throws()
    {
        var source = Source(new StubHttpHandler((_, _) => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent("<html>login</html>", Encoding.UTF8, "text/html"),
        }));

        var ex = await Assert.ThrowsAsync<UpstreamHttpException.TokenEndpoint>(() => Get(source));

        Assert.Contains("JSON", ex.Message);
    }
    [Fact]
    public async Task GetAsync_ExpiresInAsString_ReadAsSeconds()
    {
        // Some endpoints (Azure AD v1 among them) send expires_in as a JSON string.
        var handler = new StubHttpHandler((_, index) => StubHttpHandler.Json($$"""{"access_token":"t{{index + 1}}","expires_in":"100"}"""));
        var source = Source(handler);
        Assert.Equal("t1", await Get(source));

        _time.Advance(TimeSpan.FromSeconds(89));
        Assert.Equal("t1", await Get(source));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("t2", await Get(source));
    }

    [Theory]
    [InlineData("""{"access_token":"t1","expires_in":"soon"}""")]
    [InlineData("""{"access_token":"t1","expires_in":true}""")]
    [InlineData("""{"access_token":"t1","expires_in":{}}""")]
    public async Task GetAsync_ExpiresInUnusable_OneHour(string body)
    {
        var handler = new StubHttpHandler((_, _) => StubHttpHandler.Json(body));
        var source = Source(handler);
        Assert.Equal("t1", await Get(source));

        _time.Advance(TimeSpan.FromSeconds(3539));
        Assert.Equal("t1", await Get(source));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("t1", await Get(source));
        Assert.Equal(2, handler.Count);
    }

    [Theory]
    [InlineData("1e300")]
    [InlineData("99999999999999")]
    public async Task GetAsync_ExpiresInAbsurdlyLong_StillAToken(string expiresIn)
    {
        var source = Source(new StubHttpHandler((_, _) => StubHttpHandler.Json($$"""{"access_token":"t1","expires_in":{{expiresIn}}}""")));

        Assert.Equal("t1", await Get(source));
        _time.Advance(TimeSpan.FromDays(300));
        Assert.Equal("t1", await Get(source));
    }

    [Theory]
    [InlineData("""["t1"]""")]
    [InlineData("\"t1\"")]
    [InlineData("null")]
    public async Task GetAsync_BodyNotAJsonObject_ThrowsUpstreamHttpException(string body)
    {
        var source = Source(new StubHttpHandler((_, _) => StubHttpHandler.Json(body)));

        var ex = await Assert.ThrowsAsync<UpstreamHttpException.TokenEndpoint>(() => Get(source));

        Assert.Contains("access_token", ex.Message);
    }

    [Fact]
    public void ARefusalFromTheTokenEndpoint_NeverSuggestsTheLegacySseFallback()
    {
        Assert.False(new UpstreamHttpException.TokenEndpoint(400, "invalid_scope").SuggestsLegacySse);
        Assert.True(new UpstreamHttpException(400, "bad request").SuggestsLegacySse);
        Assert.False(new UpstreamHttpException(401, "unauthorized").SuggestsLegacySse);
    }
}
