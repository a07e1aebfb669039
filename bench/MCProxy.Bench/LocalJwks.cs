using System.Net;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace MCProxy.Bench;

/// <summary>A stand-in identity provider for the bench: one RSA key, its JWKS on loopback, and tokens it signs.</summary>
internal sealed class LocalJwks : IDisposable
{
    public const string Issuer = "https://bench.test/realms/mcp";
    private readonly RSA _key = RSA.Create(2048);
    private readonly HttpListener _listener = new();
    private readonly string _jwks;

    public LocalJwks()
    {
        var p = _key.ExportParameters(false);
        _jwks = $"{{\"keys\":[{{\"kty\":\"RSA\",\"kid\":\"bench\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\"{Base64UrlEncoder.Encode(p.Modulus)}\",\"e\":\"{Base64UrlEncoder.Encode(p.Exponent)}\"}}]}}";
        var port = GatewayProcess.FreePort();
        Url = $"http://127.0.0.1:{port}/certs";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public string Token(string user) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer, Audience = "mcproxy", Expires = DateTime.UtcNow.AddHours(1),
        Claims = new Dictionary<string, object> { ["preferred_username"] = user, ["roles"] = new[] { "all" } },
        SigningCredentials = new SigningCredentials(new RsaSecurityKey(_key) { KeyId = "bench" }, SecurityAlgorithms.RsaSha256),
    });

    private async Task ServeAsync()
    {
        try
        {
            while (true)
            {
                var context = await _listener.GetContextAsync();
                var body = System.Text.Encoding.UTF8.GetBytes(_jwks);
                context.Response.ContentType = "application/json";
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        }
        catch (Exception)
        {
            // Stopped at dispose.
        }
    }

    public void Dispose()
    {
        _listener.Close();
        _key.Dispose();
    }
}
