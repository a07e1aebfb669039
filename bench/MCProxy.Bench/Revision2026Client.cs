using System.Text;
using System.Text.Json;

namespace MCProxy.Bench;

/// <summary>
/// A 2026-07-28 client on /mcp: no initialize, no session. Every POST carries <c>MCP-Protocol-Version: 2026-07-28</c>,
/// the routing headers <c>Mcp-Method</c> and (tools/call, prompts/get) <c>Mcp-Name</c>, and the revision's
/// <c>params._meta</c> keys (protocol version, client capabilities {}). One raw keep-alive connection; the answer may be
/// plain JSON or an event stream (the SDK answers with one), and must be a result marked <c>resultType: complete</c>.
/// </summary>
internal sealed class Revision2026Client(string baseUrl) : IDoorClient
{
    public const string Revision = "2026-07-28";
    private const string Meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{}}";
    private readonly RawHttpConnection _connection = new(new Uri(baseUrl));
    private readonly Uri _url = new(baseUrl);
    private long _id;

    /// <summary>The content type of the last answer (application/json or text/event-stream).</summary>
    public string LastContentType { get; private set; } = "";

    public async Task<JsonElement> CallAsync(string method, string paramsJson)
    {
        var id = Interlocked.Increment(ref _id);
        var (_, headers, bytes) = await _connection.PostAsync("/mcp", Body(id.ToString(), method, paramsJson), Headers(method, paramsJson));
        var reply = Parse(headers, bytes, id);
        if (!reply.TryGetProperty("result", out var result) ||
            !result.TryGetProperty("resultType", out var type) || type.GetString() != "complete")
        {
            throw new InvalidOperationException($"not a complete result: {reply}");
        }
        return reply;
    }

    /// <summary>One request; the whole HTTP body as text and its content type (for the fidelity checks).</summary>
    public async Task<(string ContentType, string Body)> RawAsync(string id, string method, string paramsJson)
    {
        var (_, headers, bytes) = await _connection.PostAsync("/mcp", Body($"\"{id}\"", method, paramsJson), Headers(method, paramsJson));
        return (headers.GetValueOrDefault("content-type", ""), Encoding.UTF8.GetString(bytes));
    }

    /// <summary>
    /// How a 2026-07-28 client cancels (it has no session to send notifications/cancelled on): calls a tool on its
    /// own connection and closes that connection after <paramref name="delayMs"/>, ending the request.
    /// </summary>
    public async Task CallAndAbortAsync(string paramsJson, int delayMs)
    {
        var connection = new RawHttpConnection(_url);
        var call = connection.PostAsync("/mcp", Body("\"cancel-me\"", "tools/call", paramsJson), Headers("tools/call", paramsJson));
        await Task.Delay(delayMs);
        connection.Dispose();
        try
        {
            await call.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // The read fails once the socket is gone: expected.
        }
    }

    private JsonElement Parse(Dictionary<string, string> headers, byte[] bytes, long id)
    {
        LastContentType = headers.GetValueOrDefault("content-type", "");
        if (LastContentType.StartsWith("text/event-stream", StringComparison.Ordinal))
        {
            return StreamableClient.AnswerInEvents(bytes, id);
        }
        using var doc = JsonDocument.Parse(bytes);
        if (doc.RootElement.GetProperty("id").GetInt64() != id) throw new InvalidOperationException("reply to another request");
        return doc.RootElement.Clone();
    }

    private static byte[] Body(string id, string method, string paramsJson)
    {
        var prms = paramsJson.AsSpan().Trim();
        var withMeta = prms.SequenceEqual("{}") ? "{" + Meta + "}" : string.Concat(prms[..^1], "," + Meta + "}");
        return Encoding.UTF8.GetBytes($"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"{method}\",\"params\":{withMeta}}}");
    }

    private static string Headers(string method, string paramsJson)
    {
        var name = method is "tools/call" or "prompts/get" ? NameOf(paramsJson) : null;
        return $"Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: {Revision}\r\nMcp-Method: {method}\r\n" +
               (name is null ? "" : $"Mcp-Name: {name}\r\n");
    }

    /// <summary>params.name, found without a parse (the bench's params put it first, with no escapes).</summary>
    private static string? NameOf(string paramsJson)
    {
        const string key = "\"name\":\"";
        var start = paramsJson.IndexOf(key, StringComparison.Ordinal);
        if (start < 0) return null;
        start += key.Length;
        return paramsJson[start..paramsJson.IndexOf('"', start)];
    }

    public ValueTask DisposeAsync()
    {
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }
}
