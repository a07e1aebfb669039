using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MCProxy.Configuration;
using MCProxy.Tests.Infrastructure;
using MCProxy.Upstreams;
using MCProxy.Upstreams.Http;
using Microsoft.AspNetCore.Http;

namespace MCProxy.Tests.Upstreams.Http;

public sealed class UpstreamHttpClientTests : IDisposable
{
    private const string HeaderSecret = "hdr-secret-value";
    private const string BearerSecret = "bearer-secret-value";
    private readonly string _dir = Directory.CreateTempSubdirectory("mcproxy-upstream-http-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static RemoteServer Remote(string url, RemoteCredential? credential = null, IReadOnlyDictionary<string, string>? headers = null,
        string? caFile = null) =>
        new(new Uri(url), RemoteTransport.Http, headers ?? new Dictionary<string, string>(), credential, caFile, false);

    private static async Task<(HttpRequestMessage Request, string? Used)> ApplyAsync(UpstreamHttpClient client)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, client.Remote.Url);
        var used = await client.ApplyAsync(request, CancellationToken.None);
        return (request, used);
    }

    /// <summary>A self-signed certificate written as PEM, as an operator's caFile.</summary>
    private string WriteCaFile()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=MCProxy unit CA", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(_dir, "ca.pem");
        File.WriteAllText(path, ca.ExportCertificatePem());
        return path;
    }

    [Fact]
    public async Task ApplyAsync_ConfiguredHeaders_AddedToTheRequest()
    {
        var headers = new Dictionary<string, string> { ["X-Api-Key"] = HeaderSecret, ["X-Tenant"] = "acme" };
        using var client = new UpstreamHttpClient(Remote("http://upstream.test/mcp", headers: headers), TimeProvider.System);

        var (request, used) = await ApplyAsync(client);

        Assert.Equal(HeaderSecret, Assert.Single(request.Headers.GetValues("X-Api-Key")));
        Assert.Equal("acme", Assert.Single(request.Headers.GetValues("X-Tenant")));
        Assert.Null(request.Headers.Authorization);
        Assert.Null(used);
    }

    [Fact]
    public async Task ApplyAsync_Bearer_SetsAuthorizationAndReturnsTheToken()
    {
        using var client = new UpstreamHttpClient(Remote("http://upstream.test/mcp", new BearerCredential(BearerSecret)), TimeProvider.System);

        var (request, used) = await ApplyAsync(client);

        Assert.Equal("Bearer", request.Headers.Authorization?.Scheme);
        Assert.Equal(BearerSecret, request.Headers.Authorization?.Parameter);
        Assert.Equal(BearerSecret, used);
    }

    [Fact]
    public async Task ApplyAsync_Basic_SetsBase64UserColonPassword()
    {
        using var client = new UpstreamHttpClient(Remote("http://upstream.test/mcp", new BasicCredential("ann", "pä:ss")), TimeProvider.System);

        var (request, used) = await ApplyAsync(client);

        Assert.Equal("Basic", request.Headers.Authorization?.Scheme);
        Assert.Equal("ann:pä:ss", Encoding.UTF8.GetString(Convert.FromBase64String(request.Headers.Authorization!.Parameter!)));
        Assert.Null(used);
    }

    [Fact]
    public async Task ApplyAsync_CredentialAndAnAuthorizationHeader_TheCredentialWins()
    {
        var headers = new Dictionary<string, string> { ["Authorization"] = "Token from-headers" };
        using var client = new UpstreamHttpClient(Remote("http://upstream.test/mcp", new BearerCredential(BearerSecret), headers), TimeProvider.System);

        var (request, _) = await ApplyAsync(client);

        Assert.Equal($"Bearer {BearerSecret}", Assert.Single(request.Headers.GetValues("Authorization")));
    }

    [Theory]
    [InlineData("https://upstream.test/mcp", "2.0")]
    [InlineData("http://upstream.test/mcp", "1.1")]
    public async Task ApplyAsync_Scheme_SetsVersionOrLower(string url, string version)
    {
        using var client = new UpstreamHttpClient(Remote(url), TimeProvider.System);

        var (request, _) = await ApplyAsync(client);

        Assert.Equal(Version.Parse(version), request.Version);
        Assert.Equal(HttpVersionPolicy.RequestVersionOrLower, request.VersionPolicy);
    }

    [Fact]
    public void Unauthorized_BearerBasicOrNone_NoRetry()
    {
        using var bearer = new UpstreamHttpClient(Remote("http://upstream.test/mcp", new BearerCredential(BearerSecret)), TimeProvider.System);
        using var basic = new UpstreamHttpClient(Remote("http://upstream.test/mcp", new BasicCredential("u", "p")), TimeProvider.System);
        using var none = new UpstreamHttpClient(Remote("http://upstream.test/mcp"), TimeProvider.System);

        Assert.False(bearer.Unauthorized(BearerSecret));
        Assert.False(basic.Unauthorized(null));
        Assert.False(none.Unauthorized(null));
        Assert.Equal(0, bearer.TokenFetches);
    }

    [Fact]
    public async Task Unauthorized_OAuth2_DropsTheRefusedTokenOnceAndTheNextRequestCarriesANewOne()
    {
        var issued = 0;
        await using var tokens = await LocalHttpServer.StartAsync(async context =>
        {
            var n = Interlocked.Increment(ref issued);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"access_token":"t{{n}}","expires_in":3600}""");
        });
        var credential = new OAuth2Credential(new Uri(tokens.Url, "token"), "id", "secret", []);
        using var client = new UpstreamHttpClient(Remote("http://upstream.test/mcp", credential), TimeProvider.System);

        var (first, used) = await ApplyAsync(client);
        Assert.Equal("t1", used);
        Assert.Equal("Bearer t1", first.Headers.Authorization?.ToString());
        Assert.Equal("t1", (await ApplyAsync(client)).Used); // cached

        Assert.True(client.Unauthorized("t1"));
        var (second, renewed) = await ApplyAsync(client);
        Assert.Equal("t2", renewed);
        Assert.Equal("Bearer t2", second.Headers.Authorization?.ToString());

        // A late 401 to a request that still carried t1: worth its retry, but t2 stays.
        Assert.True(client.Unauthorized("t1"));
        Assert.Equal("t2", (await ApplyAsync(client)).Used);
        Assert.False(client.Unauthorized(null));
        Assert.Equal(2, client.TokenFetches);
        Assert.Equal(2, issued);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Describe_TlsFailureInside_NamesTlsAndSuggestsCaFileOnlyWithoutOne(bool withCaFile)
    {
        using var client = new UpstreamHttpClient(
            Remote("https://upstream.test/mcp", caFile: withCaFile ? WriteCaFile() : null), TimeProvider.System);
        var ex = new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established, see inner exception.",
            new AuthenticationException("The remote certificate is invalid because of errors in the certificate chain: UntrustedRoot"));

        var text = client.Describe(ex);

        Assert.Contains("TLS", text);
        Assert.Contains("UntrustedRoot", text);
        Assert.Contains("https://upstream.test/mcp", text);
        Assert.Equal(!withCaFile, text.Contains("caFile"));
    }

    [Fact]
    public void Describe_ConnectionError_SaysCannotConnect()
    {
        using var client = new UpstreamHttpClient(Remote("http://upstream.test:8080/mcp"), TimeProvider.System);
        var ex = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (upstream.test:8080)",
            new SocketException((int)SocketError.ConnectionRefused));

        var text = client.Describe(ex);

        Assert.StartsWith("cannot connect to http://upstream.test:8080/mcp", text);
    }

    [Fact]
    public async Task Describe_ARealRefusedConnection_SaysCannotConnect()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nobody listens there now
        using var client = new UpstreamHttpClient(Remote($"http://127.0.0.1:{port}/mcp"), TimeProvider.System);
        var request = new HttpRequestMessage(HttpMethod.Get, client.Remote.Url);
        await client.ApplyAsync(request, CancellationToken.None);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.Http.SendAsync(request));

        Assert.StartsWith($"cannot connect to http://127.0.0.1:{port}/mcp", client.Describe(ex));
    }

    [Fact]
    public void Describe_AnyFailure_NeverCarriesHeaderValuesOrCredentials()
    {
        var headers = new Dictionary<string, string> { ["X-Api-Key"] = HeaderSecret };
        using var client = new UpstreamHttpClient(
            Remote("https://ann:url-password@upstream.test/mcp", new BearerCredential(BearerSecret), headers), TimeProvider.System);
        Exception[] failures =
        [
            new HttpRequestException(HttpRequestError.SecureConnectionError, "ssl", new AuthenticationException("bad chain")),
            new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused"),
            new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely."),
            new IOException("Unable to read data from the transport connection: Connection reset by peer."),
            new TaskCanceledException("The operation was canceled."),
        ];

        foreach (var failure in failures)
        {
            var text = client.Describe(failure);
            Assert.DoesNotContain(HeaderSecret, text);
            Assert.DoesNotContain(BearerSecret, text);
            Assert.DoesNotContain("url-password", text);
            Assert.Contains("upstream.test", text);
        }
    }

    [Fact]
    public void Constructor_CaFileWithACertificate_Loads()
    {
        using var client = new UpstreamHttpClient(Remote("https://upstream.test/mcp", caFile: WriteCaFile()), TimeProvider.System);

        Assert.NotNull(client.Http);
    }

    [Fact]
    public void Constructor_CaFileMissing_ThrowsNamingTheFile()
    {
        var path = Path.Combine(_dir, "missing-ca.pem");

        var ex = Assert.Throws<UpstreamUnavailableException>(() => new UpstreamHttpClient(Remote("https://upstream.test/mcp", caFile: path), TimeProvider.System));

        Assert.Contains(path, ex.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a certificate at all\n")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n")]
    [InlineData("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")]
    public void Constructor_CaFileWithoutAUsableCertificate_ThrowsNamingTheFile(string content)
    {
        var path = Path.Combine(_dir, "bad-ca.pem");
        File.WriteAllText(path, content);

        var ex = Assert.Throws<UpstreamUnavailableException>(() => new UpstreamHttpClient(Remote("https://upstream.test/mcp", caFile: path), TimeProvider.System));

        Assert.Contains(path, ex.Message);
        Assert.Contains("caFile", ex.Message);
    }

    [Fact]
    public void Constructor_CaFileIsADirectory_ThrowsNamingTheFile()
    {
        var ex = Assert.Throws<UpstreamUnavailableException>(() => new UpstreamHttpClient(Remote("https://upstream.test/mcp", caFile: _dir), TimeProvider.System));

        Assert.Contains(_dir, ex.Message);
    }
}
