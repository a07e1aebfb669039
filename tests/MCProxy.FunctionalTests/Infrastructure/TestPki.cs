using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MCProxy.FunctionalTests.Infrastructure;

/// <summary>A private CA (its certificate written as PEM, as an operator's caFile) and a server certificate it
/// signed for localhost and 127.0.0.1.</summary>
internal sealed class TestPki : IDisposable
{
    private readonly string _dir;

    private TestPki(string dir, X509Certificate2 leaf, string caFile)
    {
        _dir = dir;
        Leaf = leaf;
        CaFile = caFile;
    }

    public X509Certificate2 Leaf { get; }

    public string CaFile { get; }

    public static TestPki Create()
    {
        var dir = Directory.CreateTempSubdirectory("mcproxy-pki-").FullName;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=MCProxy Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        using var leafKey = RSA.Create(2048);
        var leafRequest = new CertificateRequest("CN=localhost", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        leafRequest.CertificateExtensions.Add(names.Build());
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var signed = leafRequest.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));
        // Through PKCS#12 so Kestrel's TLS has a usable private key on Linux.
        var leaf = X509CertificateLoader.LoadPkcs12(signed.CopyWithPrivateKey(leafKey).Export(X509ContentType.Pkcs12), null);
        var caFile = Path.Combine(dir, "ca.pem");
        File.WriteAllText(caFile, ca.ExportCertificatePem());
        return new TestPki(dir, leaf, caFile);
    }

    public void Dispose()
    {
        Leaf.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
