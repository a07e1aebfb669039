using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace MCProxy.Hosting;

/// <summary>
/// The HTTPS certificate from a PEM certificate file and its PEM key file (--tls-cert, --tls-key). Each TLS
/// handshake asks for it; when either file's modification time changed since the last load it is read again, so a
/// renewed certificate (certbot, cert-manager, a Podman secret update) is served without a restart. A renewal
/// that cannot be read (half-written, wrong key) keeps the last good certificate and logs why.
/// </summary>
internal sealed partial class TlsCertificateSource
{
    private readonly string _certPath;
    private readonly string _keyPath;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private X509Certificate2 _current;
    private (DateTime Cert, DateTime Key) _stamps;

    /// <exception cref="InvalidOperationException">the files cannot be read as a PEM certificate and key.</exception>
    public TlsCertificateSource(string certPath, string keyPath, ILogger logger)
    {
        _certPath = certPath;
        _keyPath = keyPath;
        _logger = logger;
        _stamps = Stamps();
        _current = Load();
    }

    public X509Certificate2 Current
    {
        get
        {
            var stamps = Stamps();
            if (stamps == _stamps)
            {
                return _current;
            }
            lock (_gate)
            {
                if (stamps != _stamps)
                {
                    try
                    {
                        _current = Load();
                        LogReloaded(_logger, _certPath, _current.Subject, _current.NotAfter);
                    }
                    catch (InvalidOperationException ex)
                    {
                        LogReloadFailed(_logger, _certPath, ex.Message);
                    }
                    _stamps = stamps;
                }
                return _current;
            }
        }
    }

    private (DateTime, DateTime) Stamps() => (File.GetLastWriteTimeUtc(_certPath), File.GetLastWriteTimeUtc(_keyPath));

    private X509Certificate2 Load()
    {
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(_certPath, _keyPath);
            // Re-import: on Linux a key from PEM must live in a PKCS#12 blob for SslStream to use it.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"cannot load the TLS certificate {_certPath} with key {_keyPath}: {ex.Message}", ex);
        }
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "TLS certificate {Path} reloaded: {Subject}, valid until {NotAfter:u}")]
    private static partial void LogReloaded(ILogger logger, string path, string subject, DateTime notAfter);

    [LoggerMessage(EventId = 41, Level = LogLevel.Error, Message = "TLS certificate {Path} changed but cannot be loaded; the previous one stays: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string path, string reason);
}
