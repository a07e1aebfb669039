using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace MCProxy.Bench;

/// <summary>A lean client for one gateway door: raw HTTP/1.1 keep-alive, one JSON parse per reply.</summary>
internal interface IDoorClient : IAsyncDisposable
{
    Task<JsonElement> CallAsync(string method, string paramsJson);
}

internal static class Http
{
    public static HttpClient Create() => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        MaxConnectionsPerServer = 256,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
    }) { Timeout = TimeSpan.FromSeconds(60) };
}

/// <summary>POST /sse (or <paramref name="path"/>, e.g. with ?tools=discover): one request in, application/json out, over one raw keep-alive connection.</summary>
internal sealed class PlainJsonClient(HttpClient http, string baseUrl, string? token = null, string path = "/sse") : IDoorClient
{
    private readonly string _headers = token is null ? "" : $"Authorization: Bearer {token}\r\n";
    private readonly RawHttpConnection _connection = new(new Uri(baseUrl));
    private long _id;

    public async Task<JsonElement> CallAsync(string method, string paramsJson)
    {
        _ = http;
        var id = Interlocked.Increment(ref _id);
        var (_, _, body) = await _connection.PostAsync(path, Encoding.UTF8.GetBytes($"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"{method}\",\"params\":{paramsJson}}}"), _headers);
        using var doc = JsonDocument.Parse(body);
        if (doc.RootElement.GetProperty("id").GetInt64() != id) throw new InvalidOperationException("reply to another request");
        return doc.RootElement.Clone();
    }

    public ValueTask DisposeAsync()
    {
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Streamable HTTP /mcp with a session.</summary>
internal sealed class StreamableClient : IDoorClient
{
    private readonly HttpClient _http;
    private readonly string _url;
    private string _session = "";
    private long _id;

    private StreamableClient(HttpClient http, string baseUrl)
    {
        _http = http;
        _url = baseUrl + "/mcp";
    }

    public static async Task<StreamableClient> ConnectAsync(HttpClient http, string baseUrl)
    {
        var client = new StreamableClient(http, baseUrl);
        using var init = client.Request("""{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}""");
        using var response = await http.SendAsync(init);
        // A stateless server sends no session id; requests then go without one.
        client._session = response.Headers.TryGetValues("Mcp-Session-Id", out var ids) ? ids.First() : "";
        using var done = client.Request("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        (await http.SendAsync(done)).Dispose();
        return client;
    }

    private HttpRequestMessage Request(string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        if (_session.Length > 0)
        {
            request.Headers.TryAddWithoutValidation("Mcp-Session-Id", _session);
            request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", "2025-11-25");
        }
        return request;
    }

    private RawHttpConnection? _raw;

    public async Task<JsonElement> CallAsync(string method, string paramsJson)
    {
        var id = Interlocked.Increment(ref _id);
        _raw ??= new RawHttpConnection(new Uri(_url));
        var (_, headers, bytes) = await _raw.PostAsync("/mcp",
            Encoding.UTF8.GetBytes($"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"{method}\",\"params\":{paramsJson}}}"),
            $"Accept: application/json, text/event-stream\r\n{(_session.Length > 0 ? $"Mcp-Session-Id: {_session}\r\n" : "")}MCP-Protocol-Version: 2025-11-25\r\n");
        if (headers.GetValueOrDefault("content-type", "").StartsWith("text/event-stream", StringComparison.Ordinal))
        {
            return AnswerInEvents(bytes, id);
        }
        using var doc = JsonDocument.Parse(bytes);
        if (doc.RootElement.GetProperty("id").GetInt64() != id) throw new InvalidOperationException("reply to another request");
        return doc.RootElement.Clone();
    }

    /// <summary>
    /// The answer in an SSE body: the event whose data is the response to <paramref name="id"/>. Other events are
    /// skipped: server-everything opens with a priming event whose data is empty, and a server may send its own
    /// notifications before the answer.
    /// </summary>
    internal static JsonElement AnswerInEvents(byte[] body, long id)
    {
        foreach (var line in Encoding.UTF8.GetString(body).Split('\n'))
        {
            if (!line.StartsWith("data:", StringComparison.Ordinal)) continue;
            var data = line.AsSpan("data:".Length).Trim();
            if (data.IsEmpty || data[0] != '{') continue;
            using var doc = JsonDocument.Parse(data.ToString());
            if (doc.RootElement.TryGetProperty("id", out var rid) && rid.ValueKind == JsonValueKind.Number && !doc.RootElement.TryGetProperty("method", out _))
            {
                return rid.GetInt64() == id ? doc.RootElement.Clone() : throw new InvalidOperationException("reply to another request");
            }
        }
        throw new InvalidOperationException("the event stream ended without the answer");
    }

    /// <summary>
    /// Calls a tool on a second connection of the same session and cancels it after <paramref name="delayMs"/> with
    /// notifications/cancelled on this one, as a client does; returns when the call's POST ended (or 5 s passed).
    /// </summary>
    public async Task CallAndCancelAsync(string paramsJson, int delayMs)
    {
        using var second = new RawHttpConnection(new Uri(_url));
        var headers = $"Accept: application/json, text/event-stream\r\n{(_session.Length > 0 ? $"Mcp-Session-Id: {_session}\r\n" : "")}MCP-Protocol-Version: 2025-11-25\r\n";
        var call = second.PostAsync("/mcp", Encoding.UTF8.GetBytes($"{{\"jsonrpc\":\"2.0\",\"id\":\"cancel-me\",\"method\":\"tools/call\",\"params\":{paramsJson}}}"), headers);
        await Task.Delay(delayMs);
        await RawAsync("""{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"cancel-me","reason":"bench"}}""");
        try
        {
            await call.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // A server that never ends the cancelled call's POST: the check below says whether the child heard.
        }
    }

    /// <summary>Sends a raw JSON-RPC message on the session and returns the whole HTTP body (for fidelity checks).</summary>
    public async Task<string> RawAsync(string message)
    {
        _raw ??= new RawHttpConnection(new Uri(_url));
        var (_, _, bytes) = await _raw.PostAsync("/mcp", Encoding.UTF8.GetBytes(message),
            $"Accept: application/json, text/event-stream\r\n{(_session.Length > 0 ? $"Mcp-Session-Id: {_session}\r\n" : "")}MCP-Protocol-Version: 2025-11-25\r\n");
        return Encoding.UTF8.GetString(bytes);
    }

    public async ValueTask DisposeAsync()
    {
        _raw?.Dispose();
        if (_session.Length == 0)
        {
            return;
        }
        using var delete = new HttpRequestMessage(HttpMethod.Delete, _url);
        delete.Headers.TryAddWithoutValidation("Mcp-Session-Id", _session);
        (await _http.SendAsync(delete)).Dispose();
    }
}

/// <summary>Legacy SSE: GET /sse holds the stream, POST /messages carries requests, replies come back as events.</summary>
internal sealed class LegacySseClient : IDoorClient
{
    private readonly HttpClient _http;
    private readonly HttpResponseMessage _stream;
    private readonly string _endpoint;
    private readonly Dictionary<long, TaskCompletionSource<JsonElement>> _pending = [];
    private readonly Task _reader;
    private long _id;

    private LegacySseClient(HttpClient http, HttpResponseMessage stream, string endpoint, StreamReader reader)
    {
        _http = http;
        _stream = stream;
        _endpoint = endpoint;
        _reader = Task.Run(() => ReadLoop(reader));
    }

    public static async Task<LegacySseClient> ConnectAsync(HttpClient http, string baseUrl)
    {
        var stream = await http.GetAsync(baseUrl + "/sse", HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        await reader.ReadLineAsync();
        var endpoint = (await reader.ReadLineAsync())!["data: ".Length..];
        endpoint = endpoint.StartsWith("http", StringComparison.Ordinal) ? endpoint : baseUrl + endpoint;
        var client = new LegacySseClient(http, stream, endpoint, reader);
        // The handshake a real client makes (peers built on an SDK may expect it; the gateway does not need it).
        await client.CallAsync("initialize", """{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}""");
        await client.NotifyAsync("notifications/initialized");
        return client;
    }

    private async Task NotifyAsync(string method)
    {
        var uri = new Uri(_endpoint);
        _raw ??= new RawHttpConnection(uri);
        var (status, _, _) = await _raw.PostAsync(uri.PathAndQuery, Encoding.UTF8.GetBytes($"{{\"jsonrpc\":\"2.0\",\"method\":\"{method}\"}}"));
        if (status is not (200 or 202)) throw new InvalidOperationException($"POST {uri.PathAndQuery}: {status}");
    }

    private async Task ReadLoop(StreamReader reader)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                if (!line.StartsWith("data: {", StringComparison.Ordinal)) continue;
                using var doc = JsonDocument.Parse(line.AsMemory(6));
                if (!doc.RootElement.TryGetProperty("id", out var idElement) || idElement.ValueKind != JsonValueKind.Number) continue;
                TaskCompletionSource<JsonElement>? tcs;
                lock (_pending) _pending.Remove(idElement.GetInt64(), out tcs);
                tcs?.TrySetResult(doc.RootElement.Clone());
            }
        }
        catch (Exception)
        {
            // Stream closed at dispose.
        }
    }

    public async Task<JsonElement> CallAsync(string method, string paramsJson)
    {
        var id = Interlocked.Increment(ref _id);
        var tcs = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_pending) _pending[id] = tcs;
        var uri = new Uri(_endpoint);
        _raw ??= new RawHttpConnection(uri);
        var (status, _, _) = await _raw.PostAsync(uri.PathAndQuery,
            Encoding.UTF8.GetBytes($"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"{method}\",\"params\":{paramsJson}}}"));
        if (status is not (200 or 202)) throw new InvalidOperationException($"POST /messages: {status}");
        return await tcs.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private RawHttpConnection? _raw;

    public async ValueTask DisposeAsync()
    {
        _raw?.Dispose();
        _stream.Dispose();
        await _reader;
    }
}
