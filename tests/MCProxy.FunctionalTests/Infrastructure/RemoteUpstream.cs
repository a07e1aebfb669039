using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace MCProxy.FunctionalTests.Infrastructure;

/// <summary>How a <see cref="RemoteUpstream"/> wants its callers to prove themselves.</summary>
internal abstract record UpstreamAuth
{
    public sealed record None : UpstreamAuth;

    public sealed record Bearer(string Token) : UpstreamAuth;

    public sealed record Basic(string Username, string Password) : UpstreamAuth;

    /// <summary>Client credentials at <c>/token</c>; tokens live <paramref name="Lifetime"/>.</summary>
    public sealed record OAuth2(string ClientId, string ClientSecret, TimeSpan Lifetime) : UpstreamAuth;
}

/// <summary>
/// A real remote MCP server for the remote-upstream tests: the C# SDK's own <c>MapMcp</c> (Streamable HTTP at
/// <c>/mcp</c>, legacy SSE at <c>/mcp/sse</c>) on Kestrel, behind a test-only front that demands a bearer token,
/// basic credentials or OAuth2 client-credential tokens from its own <c>/token</c> endpoint, optionally over TLS.
/// Counts what reaches it: tool executions per message (a call that ran twice shows), 401s, tokens issued and
/// the HTTP protocol of each request. Restartable on the same port.
/// </summary>
internal sealed class RemoteUpstream : IAsyncDisposable
{
    private readonly UpstreamAuth _auth;
    private readonly X509Certificate2? _certificate;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _tokens = new();
    private WebApplication? _app;

    private readonly bool _revision2026;

    private RemoteUpstream(UpstreamAuth auth, X509Certificate2? certificate, bool revision2026 = false)
    {
        _auth = auth;
        _certificate = certificate;
        _revision2026 = revision2026;
    }

    /// <summary>A stateless server that speaks only 2026-07-28 (server/discover, no initialize, no session).</summary>
    public static async Task<RemoteUpstream> Start2026Async()
    {
        var upstream = new RemoteUpstream(new UpstreamAuth.None(), null, revision2026: true);
        await upstream.StartOnAsync(0);
        return upstream;
    }

    public int Port { get; private set; }

    public string Scheme => _certificate is null ? "http" : "https";

    public string McpUrl => $"{Scheme}://localhost:{Port}/mcp";

    public string SseUrl => $"{Scheme}://localhost:{Port}/mcp/sse";

    /// <summary>Executions of the echo tool, by message: a value over 1 is a call that ran twice.</summary>
    public ConcurrentDictionary<string, int> Executions { get; } = new();

    public int Unauthorized => _unauthorized;

    public int TokensIssued => _issued;

    public ConcurrentQueue<string> Protocols { get; } = new();

    /// <summary>Every <c>traceparent</c> header that reached it, in order.</summary>
    public ConcurrentQueue<string> Traceparents { get; } = new();

    private int _unauthorized;
    private int _issued;

    public static async Task<RemoteUpstream> StartAsync(UpstreamAuth? auth = null, X509Certificate2? certificate = null, int port = 0)
    {
        var upstream = new RemoteUpstream(auth ?? new UpstreamAuth.None(), certificate);
        await upstream.StartOnAsync(port);
        return upstream;
    }

    /// <summary>Stops serving (connections refused) until <see cref="RestartAsync"/>; sessions are forgotten.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>A new server process in all but name, on the same port: every old session is unknown to it.</summary>
    public Task RestartAsync() => StartOnAsync(Port);

    /// <summary>Forgets every issued token, as an identity provider's revocation would.</summary>
    public void RevokeTokens() => _tokens.Clear();

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task StartOnAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, listen =>
        {
            if (_certificate is not null)
            {
                listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1AndHttp2;
                listen.UseHttps(_certificate);
            }
        }));
#pragma warning disable MCP9004, CS0618 // legacy SSE is what this upstream must also speak
        builder.Services.AddMcpServer(o =>
            {
                o.ServerInfo = new Implementation { Name = "remote-upstream", Version = "1" };
                o.ProtocolVersion = _revision2026 ? "2026-07-28" : null;
            })
            .WithHttpTransport(o =>
            {
                o.Stateless = _revision2026;
                o.EnableLegacySse = !_revision2026;
            })
#pragma warning restore MCP9004, CS0618
            .WithListToolsHandler((_, _) => ValueTask.FromResult(new ListToolsResult
            {
                Tools =
                [
                    new Tool { Name = "echo", Description = "echoes", InputSchema = JsonDocument.Parse("""{"type":"object","properties":{"message":{"type":"string"}}}""").RootElement },
                    new Tool { Name = "slow", Description = "waits ms", InputSchema = JsonDocument.Parse("""{"type":"object","properties":{"ms":{"type":"number"}}}""").RootElement },
                ],
            }))
            .WithCallToolHandler(async (ctx, ct) =>
            {
                var arguments = ctx.Params!.Arguments ?? new Dictionary<string, JsonElement>();
                if (ctx.Params.Name == "slow")
                {
                    await Task.Delay(arguments.TryGetValue("ms", out var ms) ? ms.GetInt32() : 1000, ct);
                    return new CallToolResult { Content = [new TextContentBlock { Text = "slept" }] };
                }
                var message = arguments.TryGetValue("message", out var m) ? m.GetString() ?? "" : "";
                Executions.AddOrUpdate(message, 1, (_, n) => n + 1);
                return new CallToolResult { Content = [new TextContentBlock { Text = message }] };
            });
        var app = builder.Build();
        app.MapPost("/token", (Delegate)TokenAsync);
        app.Use(async (context, next) =>
        {
            Protocols.Enqueue(context.Request.Protocol);
            if (context.Request.Headers.TryGetValue("traceparent", out var traceparent))
            {
                Traceparents.Enqueue(traceparent.ToString());
            }
            var header = context.Request.Headers.Authorization.ToString();
            Evidence.Secret(header.Contains(' ') ? header[(header.IndexOf(' ') + 1)..] : header);
            if (context.Request.Path.StartsWithSegments("/token") || Allowed(header))
            {
                await next(context);
                return;
            }
            Interlocked.Increment(ref _unauthorized);
            context.Response.StatusCode = 401;
        });
        app.MapMcp("/mcp");
        await app.StartAsync();
        Port = new Uri(app.Urls.First()).Port;
        _app = app;
    }

    private bool Allowed(string header) => _auth switch
    {
        UpstreamAuth.Bearer b => header == "Bearer " + b.Token,
        UpstreamAuth.Basic b => header == "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{b.Username}:{b.Password}")),
        UpstreamAuth.OAuth2 => header.StartsWith("Bearer ", StringComparison.Ordinal) &&
                               _tokens.TryGetValue(header[7..], out var expires) && DateTimeOffset.UtcNow < expires,
        _ => true,
    };

    private async Task<IResult> TokenAsync(HttpContext context)
    {
        if (_auth is not UpstreamAuth.OAuth2 oauth)
        {
            return Results.NotFound();
        }
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(oauth.ClientId)}:{Uri.EscapeDataString(oauth.ClientSecret)}"));
        var form = await context.Request.ReadFormAsync();
        if (context.Request.Headers.Authorization.ToString() != expected || form["grant_type"] != "client_credentials")
        {
            return Results.Json(new Dictionary<string, string> { ["error"] = "invalid_client" }, statusCode: 401);
        }
        var token = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        Evidence.Secret(token);
        _tokens[token] = DateTimeOffset.UtcNow + oauth.Lifetime;
        Interlocked.Increment(ref _issued);
        return Results.Text($$"""{"access_token":"{{token}}","token_type":"Bearer","expires_in":{{oauth.Lifetime.TotalSeconds}}}""", "application/json");
    }
}
