using System.Collections.Concurrent;
using System.Text.Json;
using MCProxy.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace MCProxy.Tests.Upstreams.Http;

/// <summary>One POST as the server saw it: its JSON-RPC method, its raw id (null for a notification) and its session header.</summary>
internal sealed record ScriptedPost(string Method, string? Id, string? Session);

/// <summary>
/// A Streamable HTTP MCP server reduced to what the channel tests need, on a real Kestrel: <c>initialize</c> opens a
/// session (<c>s1</c>, <c>s2</c>, …) named in <c>Mcp-Session-Id</c>; any other POST without a session gets 400 (as
/// server-everything answers); notifications get 202; GET gets 405 (no stream of its own); any other request "runs"
/// (counted in <see cref="Executions"/>) and is answered with JSON, unless <see cref="Script"/> answers it first.
/// An answer to the server's own request gets 202. Every POST is recorded in order.
/// </summary>
internal sealed class ScriptedMcpServer : IAsyncDisposable
{
    /// <summary>The <see cref="ScriptedPost.Method"/> of a POST that answers the server's own request.</summary>
    public const string Answer = "(answer)";
    private readonly ConcurrentQueue<ScriptedPost> _posts = new();
    private readonly ConcurrentDictionary<string, int> _executions = new();
    private readonly TaskCompletionSource _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LocalHttpServer? _http;
    private int _sessions;

    /// <summary>Answers a request before the default does: return true when it wrote the response (or aborted).</summary>
    public Func<HttpContext, ScriptedPost, Task<bool>>? Script { get; set; }

    public Uri Url => new(_http!.Url, "mcp");

    public IReadOnlyList<ScriptedPost> Posts => _posts.ToArray();

    /// <summary>Requests that reached the default handler (ran), by method.</summary>
    public int Executions(string method) => _executions.GetValueOrDefault(method);

    /// <summary>Completes at the first <c>notifications/initialized</c>.</summary>
    public Task Initialized => _initialized.Task;

    public static async Task<ScriptedMcpServer> StartAsync()
    {
        var server = new ScriptedMcpServer();
        server._http = await LocalHttpServer.StartAsync(server.HandleAsync);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_http is not null)
        {
            await _http.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.StatusCode = HttpMethods.IsGet(context.Request.Method) ? 405 : 200;
            return;
        }
        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        var root = body.RootElement;
        var post = new ScriptedPost(
            root.TryGetProperty("method", out var method) ? method.GetString()! : Answer,
            root.TryGetProperty("id", out var id) ? id.GetRawText() : null,
            context.Request.Headers["Mcp-Session-Id"].FirstOrDefault());
        _posts.Enqueue(post);
        if (Script is { } script && await script(context, post))
        {
            return;
        }
        if (post.Method != "initialize" && post.Session is null)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync("""{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: No valid session ID provided"},"id":null}""");
            return;
        }
        if (post.Id is null || post.Method == Answer)
        {
            context.Response.StatusCode = 202;
            if (post.Method == "notifications/initialized")
            {
                _initialized.TrySetResult();
            }
            return;
        }
        string result;
        if (post.Method == "initialize")
        {
            context.Response.Headers["Mcp-Session-Id"] = $"s{Interlocked.Increment(ref _sessions)}";
            result = """{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"scripted","version":"1"}}""";
        }
        else
        {
            _executions.AddOrUpdate(post.Method, 1, (_, n) => n + 1);
            result = """{"content":[{"type":"text","text":"ran"}]}""";
        }
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync($$"""{"jsonrpc":"2.0","id":{{post.Id}},"result":{{result}}}""");
    }
}
