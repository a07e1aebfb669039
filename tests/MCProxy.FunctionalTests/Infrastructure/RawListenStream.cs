using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace MCProxy.FunctionalTests.Infrastructure;

/// <summary>
/// A raw 2026-07-28 <c>subscriptions/listen</c>, as curl -N sends it: the POST's event stream is read as it comes and
/// every message kept, in order. Disposing it is the client going away.
/// </summary>
internal sealed class RawListenStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly Channel<JsonObject> _messages = Channel.CreateUnbounded<JsonObject>();
    private readonly Task _reader;

    private RawListenStream(HttpResponseMessage response)
    {
        _response = response;
        _reader = response.Content.Headers.ContentType?.MediaType == "text/event-stream" ? Task.Run(ReadAsync) : Task.CompletedTask;
    }

    public int Status => (int)_response.StatusCode;

    public string? ContentType => _response.Content.Headers.ContentType?.MediaType;

    public HttpResponseHeaders Headers => _response.Headers;

    /// <summary>The body of an answer that is not a stream (an error), parsed.</summary>
    public async Task<JsonObject> BodyAsync() => JsonNode.Parse(await _response.Content.ReadAsStringAsync())!.AsObject();

    /// <param name="rawId">The request id as JSON (<c>"L1"</c> or <c>7</c>).</param>
    /// <param name="notifications">The <c>params.notifications</c> object as JSON.</param>
    public static async Task<RawListenStream> OpenAsync(GatewayFixture gateway, string rawId, string notifications, string? token = null)
    {
        const string meta = """
            "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"curl","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}
            """;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp")
        {
            Content = new StringContent("{\"jsonrpc\":\"2.0\",\"id\":" + rawId + ",\"method\":\"subscriptions/listen\",\"params\":{\"notifications\":" + notifications + "," + meta + "}}",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", "2026-07-28");
        request.Headers.TryAddWithoutValidation("Mcp-Method", "subscriptions/listen");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return new RawListenStream(response);
    }

    private async Task ReadAsync()
    {
        try
        {
            using var reader = new StreamReader(await _response.Content.ReadAsStreamAsync());
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    _messages.Writer.TryWrite(JsonNode.Parse(line[6..])!.AsObject());
                }
            }
            _messages.Writer.TryComplete();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or HttpRequestException)
        {
            _messages.Writer.TryComplete(ex); // closed at dispose, or cut by the gateway
        }
    }

    /// <summary>The next message on the stream, whatever it is.</summary>
    public async Task<JsonObject> NextAsync(double seconds = 10)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        return await _messages.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>The next message with this method, after skipping the ones before it.</summary>
    public async Task<JsonObject> NextAsync(string method, double seconds = 10)
    {
        while (true)
        {
            var message = await NextAsync(seconds);
            if ((string?)message["method"] == method)
            {
                return message;
            }
        }
    }

    /// <summary>True once the gateway ended the response (the stream read to its end).</summary>
    public async Task<bool> EndedAsync(double seconds = 10)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            return !await _messages.Reader.WaitToReadAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _response.Dispose();
        await _reader;
    }
}
