using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MCProxy.FunctionalTests.Infrastructure;

namespace MCProxy.FunctionalTests.Security;

/// <summary>HTTPS from PEM files, and a renewed certificate served without a restart.</summary>
public sealed class TlsTests
{
    private static string WritePem(string dir, string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Written beside, then renamed over: how certbot and cert-manager replace a certificate.
        File.WriteAllText(Path.Combine(dir, "cert.pem.tmp"), cert.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, "key.pem.tmp"), key.ExportPkcs8PrivateKeyPem());
        File.Move(Path.Combine(dir, "key.pem.tmp"), Path.Combine(dir, "key.pem"), overwrite: true);
        File.Move(Path.Combine(dir, "cert.pem.tmp"), Path.Combine(dir, "cert.pem"), overwrite: true);
        return cert.Thumbprint;
    }

    private static async Task<string> ServedThumbprintAsync(string baseUrl)
    {
        string? seen = null;
        using var http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => { seen = cert?.GetCertHashString(); return true; } },
        });
        using var response = await http.PostAsync(baseUrl + "/sse",
            new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a__echo","arguments":{"message":"over tls"}}}""", Encoding.UTF8, "application/json"));
        Assert.Contains("over tls", await response.Content.ReadAsStringAsync());
        return seen!;
    }

    [Fact]
    public async Task Https_FromPemFiles_ServesARenewedCertificateWithoutARestart()
    {
        var dir = Directory.CreateTempSubdirectory("mcproxy-tls-").FullName;
        var first = WritePem(dir, "first.test");
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a")),
            options: o => o with { TlsCert = Path.Combine(dir, "cert.pem"), TlsKey = Path.Combine(dir, "key.pem") });
        Assert.StartsWith("https://", gateway.BaseUrl);
        Assert.Equal(first, await ServedThumbprintAsync(gateway.BaseUrl));
        var pid = gateway.Status("a").Pid;

        var second = WritePem(dir, "second.test");
        Assert.Equal(second, await ServedThumbprintAsync(gateway.BaseUrl)); // a new connection gets the renewed one
        Assert.Equal(pid, gateway.Status("a").Pid);

        File.WriteAllText(Path.Combine(dir, "cert.pem"), "-----BEGIN CERTIFICATE-----\nbroken\n");
        Assert.Equal(second, await ServedThumbprintAsync(gateway.BaseUrl)); // a broken renewal keeps the last good one
        Directory.Delete(dir, recursive: true);
    }
}
