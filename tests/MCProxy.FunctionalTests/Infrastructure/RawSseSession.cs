using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace MCProxy.FunctionalTests.Infrastructure;

/// <summary>A raw legacy-SSE client: every message on the stream is kept, in order, for the test to inspect.</summary>
internal sealed class RawSseSession : IAsyncDisposable
{
    private readonly GatewayFixture _gateway;
    private readonly HttpResponseMessage _response;
    private readonly Channel<JsonObject> _messages = Channel.CreateUnbounded<JsonObject>();
    private readonly Task _reader;
    private readonly string? _token;
    private string _endpoint = "";

    /// <summary>The message URL the endpoint event named.</summary>
    public string Endpoint => _endpoint;

    private RawSseSession(GatewayFixture gateway, HttpResponseMessage response, string? token)
    {
        _gateway = gateway;
        _response = response;
        _token = token;
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>Opens the stream, with <c>Authorization: Bearer <paramref name="token"/></c> on it and every POST when given.</summary>
    public static async Task<RawSseSession> OpenAsync(GatewayFixture gateway, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sse");
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
        var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var session = new RawSseSession(gateway, response, token);
        for (var i = 0; i < 500 && session._endpoint.Length == 0; i++)
        {
            await Task.Delay(10);
        }
        Assert.NotEmpty(session._endpoint);
        return session;
    }

    private async Task ReadAsync()
    {
        using var reader = new StreamReader(await _response.Content.ReadAsStreamAsync());
        string? eventName = null;
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    eventName = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    if (eventName == "endpoint")
                    {
                        _endpoint = line[6..];
                    }
                    else
                    {
                        _messages.Writer.TryWrite(JsonNode.Parse(line[6..])!.AsObject());
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // closed at dispose
        }
    }

    public async Task SendAsync(string json)
    {
        var (status, body) = await PostAsync(json);
        Assert.True(status == 202, $"POST {_endpoint}: {status} {body}");
    }

    /// <summary>POSTs to the session's message URL and returns the HTTP answer as it is.</summary>
    public async Task<(int Status, string Body)> PostAsync(string json)
    {
        var headers = _token is null ? null : new Dictionary<string, string> { ["Authorization"] = "Bearer " + _token };
        var (status, _, body) = await _gateway.PostAsync(_endpoint, json, headers: headers);
        return (status, body);
    }

    /// <summary>Sends a request and returns its response; notifications seen meanwhile stay queued.</summary>
    public async Task<JsonObject> RequestAsync(string method, JsonObject? prms, string id)
    {
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method };
        if (prms is not null) message["params"] = prms;
        await SendAsync(message.ToJsonString());
        return await NextAsync(m => (string?)m["id"] == id);
    }

    private readonly List<JsonObject> _skipped = [];

    /// <summary>The next message matching <paramref name="match"/> (earlier non-matching ones are kept for later).</summary>
    public async Task<JsonObject> NextAsync(Func<JsonObject, bool> match, double seconds = 10)
    {
        var found = _skipped.FirstOrDefault(match);
        if (found is not null)
        {
            _skipped.Remove(found);
            return found;
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        while (true)
        {
            var message = await _messages.Reader.ReadAsync(timeout.Token);
            if (match(message)) return message;
            _skipped.Add(message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _response.Dispose();
        await _reader;
    }
}
