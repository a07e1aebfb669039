using System.Net;
using System.Net.Http.Headers;
using MCProxy.Protocol;
using Microsoft.Extensions.Logging;

namespace MCProxy.Upstreams.Http;

/// <summary>
/// The Streamable HTTP transport to a remote upstream (MCP 2025-03-26 and later): every message is a POST to the
/// one endpoint; a request's answer comes back as JSON or as an SSE stream that may carry the upstream's own
/// notifications and requests first. The session id from the initialize answer goes on every later request,
/// with the negotiated protocol version. After initialization a GET stream carries what the upstream sends unasked.
/// NOTE 1: a 404 for the session (or a 400 naming the session, as server-everything answers) means the upstream
/// never took the request: the channel initializes a new session and sends that request once more. Anything that
/// may have reached the upstream is not sent again (see <see cref="HttpChannel"/> NOTE 2).
/// NOTE 2: in <see cref="PerRequest"/> mode (a 2026-07-28 upstream, driven through <see cref="PerRequestChannel"/>)
/// there is no session and no GET stream: each POST names its revision, method and target in the routing headers
/// (<c>MCP-Protocol-Version</c>, <c>Mcp-Method</c>, <c>Mcp-Name</c>), and notifications come on the answer of the
/// subscriptions/listen request.
/// </summary>
internal sealed partial class StreamableHttpChannel : HttpChannel
{
    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue EventStream = new("text/event-stream");
    private readonly SemaphoreSlim _reinitialize = new(1, 1);
    private volatile string? _sessionId;
    private volatile string? _protocolVersion;
    private byte[]? _initializeMessage;
    private int _listening;

    public StreamableHttpChannel(string server, UpstreamHttpClient client, TimeProvider time, ILogger logger,
        Action<JsonRpcMessage> onNotification, Func<JsonRpcMessage, Task<byte[]>> onRequest, int maxMessageBytes)
        : base(server, client, time, logger, onNotification, onRequest, maxMessageBytes)
    {
    }

    public override string TransportName => "streamable-http";

    /// <summary>Drives the upstream the 2026-07-28 way (NOTE 2): set before server/discover, cleared if it is refused.</summary>
    public bool PerRequest { get; set; }

    /// <summary>How many times the upstream lost the session and the channel started a new one.</summary>
    public int Reinitializations { get; private set; }

    protected override async Task PostAsync(byte[] message, string method, long? id, CancellationToken ct)
    {
        if (method == "initialize")
        {
            _initializeMessage = message;
        }
        var refreshedCredential = false;
        var newSession = false;
        while (true)
        {
            var session = PerRequest ? null : _sessionId;
            using var request = NewRequest(HttpMethod.Post, session);
            if (PerRequest)
            {
                AddRoutingHeaders(request, method, message);
            }
            request.Content = new ByteArrayContent(message) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
            request.Headers.Accept.Add(Json);
            request.Headers.Accept.Add(EventStream);
            var used = await Client.ApplyAsync(request, ct).ConfigureAwait(false);
            using var response = await Client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            SawStatus(status);
            if (status == 401 && !refreshedCredential && Client.Unauthorized(used))
            {
                refreshedCredential = true; // one fresh token, once
                continue;
            }
            // An error body can be read once: the excerpt serves both the session test and the error.
            var snippet = response.IsSuccessStatusCode ? "" : await SnippetAsync(response, ct).ConfigureAwait(false);
            if (session is not null && method != "initialize" && SessionGone(response.StatusCode, snippet))
            {
                if (newSession)
                {
                    throw new UpstreamHttpException(status, $"server '{Server}' lost the new session at once; {method} was not sent again");
                }
                await ReinitializeAsync(session, ct).ConfigureAwait(false);
                newSession = true; // NOTE 1: the upstream never took it, so once more on the new session
                continue;
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new UpstreamHttpException(status, $"server '{Server}' answered {method} with HTTP {status} {response.ReasonPhrase}{snippet}");
            }
            if (method == "initialize" && response.Headers.TryGetValues("Mcp-Session-Id", out var ids))
            {
                _sessionId = ids.FirstOrDefault();
            }
            await ReadAnswerAsync(response, method, id, ct).ConfigureAwait(false);
            if (method == "notifications/initialized" && !PerRequest && Interlocked.Exchange(ref _listening, 1) == 0)
            {
                _ = ListenAsync();
            }
            return;
        }
    }

    protected override void OnClosing()
    {
        if (PerRequest || _sessionId is not { } session)
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            // Tell the upstream the session is over (best effort, bounded): it can free what it holds for us.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                using var request = NewRequest(HttpMethod.Delete, session);
                await Client.ApplyAsync(request, timeout.Token).ConfigureAwait(false);
                using var _ = await Client.Http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or UpstreamUnavailableException or IOException)
            {
                // Gone already.
            }
        });
    }

    private HttpRequestMessage NewRequest(HttpMethod method, string? session)
    {
        var request = new HttpRequestMessage(method, Client.Remote.Url);
        if (session is not null)
        {
            request.Headers.TryAddWithoutValidation("Mcp-Session-Id", session);
        }
        if (PerRequest)
        {
            request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", PerRequestChannel.Revision);
        }
        else if (_protocolVersion is { } version)
        {
            request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", version);
        }
        return request;
    }

    /// <summary>
    /// <c>Mcp-Method</c> on every POST, and <c>Mcp-Name</c> for the methods that name a target: the tool or prompt,
    /// the resource URI, the task id. A value that is not plain printable ASCII goes as <c>=?base64?…?=</c>.
    /// </summary>
    private static void AddRoutingHeaders(HttpRequestMessage request, string method, byte[] message)
    {
        request.Headers.TryAddWithoutValidation("Mcp-Method", method);
        ReadOnlySpan<byte> key = method switch
        {
            "tools/call" or "prompts/get" => "name"u8,
            "resources/read" => "uri"u8,
            "tasks/get" or "tasks/update" or "tasks/cancel" => "taskId"u8,
            _ => default,
        };
        if (key.IsEmpty || JsonSlice.GetString(JsonRpcMessage.Parse(message).Params, key) is not { } name)
        {
            return;
        }
        var plain = name.Length > 0 && name[0] != ' ' && name[^1] != ' ' && name.All(c => c is >= (char)0x20 and < (char)0x7F);
        request.Headers.TryAddWithoutValidation("Mcp-Name",
            plain ? name : "=?base64?" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(name)) + "?=");
    }

    /// <summary>Dispatches what the upstream answered: one JSON message (or batch), or an SSE stream of them.</summary>
    private async Task ReadAnswerAsync(HttpResponseMessage response, string method, long? id, CancellationToken ct)
    {
        var type = response.Content.Headers.ContentType?.MediaType;
        if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.NoContent || type is null)
        {
            if (id is { } unanswered && IsPending(unanswered))
            {
                FailRequest(unanswered, new UpstreamUnavailableException($"server '{Server}' accepted {method} without answering it"));
            }
            return;
        }
        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        if (type == "text/event-stream")
        {
            var reader = new SseEventReader(body, MaxMessageBytes);
            while (await reader.ReadAsync(ct).ConfigureAwait(false) is { } e)
            {
                if (e.Name is null or "message")
                {
                    Observe(method, e.Data);
                    Dispatch(e.Data);
                }
            }
        }
        else
        {
            var data = await ReadBoundedAsync(body, MaxMessageBytes, response.Content.Headers.ContentLength, ct).ConfigureAwait(false);
            Observe(method, data);
            Dispatch(data);
        }
        if (id is { } pending && IsPending(pending))
        {
            FailRequest(pending, new UpstreamUnavailableException(
                $"server '{Server}' ended its answer to {method} without a response; it may or may not have run and was not retried"));
        }
    }

    /// <summary>Keeps the protocol version the initialize answer names, for the MCP-Protocol-Version header.</summary>
    private void Observe(string method, byte[] data)
    {
        if (method != "initialize")
        {
            return;
        }
        try
        {
            var message = JsonRpcMessage.Parse(data);
            if (message.Kind == JsonRpcKind.Response && JsonSlice.GetString(message.Result, "protocolVersion"u8) is { } version)
            {
                _protocolVersion = version;
            }
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            // Dispatch reports it.
        }
    }

    /// <summary>A 404 for the session, or a 400 whose text names the session (server-everything).</summary>
    private static bool SessionGone(HttpStatusCode status, string snippet) =>
        status == HttpStatusCode.NotFound
        || (status == HttpStatusCode.BadRequest && snippet.Contains("session", StringComparison.OrdinalIgnoreCase));

    /// <summary>A short, single-line excerpt of an error body (it is the upstream's text, not ours: bounded).</summary>
    private async Task<string> SnippetAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buffer = new byte[512];
            var n = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            var text = Client.Scrub(System.Text.Encoding.UTF8.GetString(buffer, 0, n)).ReplaceLineEndings(" ").Trim();
            return text.Length == 0 ? "" : $": {(text.Length > 200 ? text[..200] + "…" : text)}";
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return "";
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(Stream body, int max, long? length, CancellationToken ct)
    {
        if (length is { } known and >= 0)
        {
            // The usual case: Content-Length says how much, so read exactly that into one array.
            if (known > max)
            {
                throw new InvalidDataException($"an answer from the server is over {max} bytes");
            }
            var exact = new byte[known];
            await body.ReadExactlyAsync(exact, ct).ConfigureAwait(false);
            return exact;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[4 * 1024];
        int n;
        while ((n = await body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > max)
            {
                throw new InvalidDataException($"an answer from the server is over {max} bytes");
            }
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    /// <summary>Starts a new session after the upstream lost ours (NOTE 1); one at a time, once per lost session.</summary>
    private async Task ReinitializeAsync(string lostSession, CancellationToken ct)
    {
        await _reinitialize.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_sessionId != lostSession || _initializeMessage is not { } initialize)
            {
                return; // another request already did
            }
            // _sessionId keeps the lost session until a new one is known: a request meanwhile meets the same
            // 404 and waits here, and a refused re-initialization leaves the next request to find out and try again
            // (with null, every later request went without a session and failed with 400 for the channel's life).
            using (var request = NewRequest(HttpMethod.Post, null))
            {
                request.Content = new ByteArrayContent(initialize) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
                request.Headers.Accept.Add(Json);
                request.Headers.Accept.Add(EventStream);
                await Client.ApplyAsync(request, ct).ConfigureAwait(false);
                using var response = await Client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                SawStatus((int)response.StatusCode);
                if (!response.IsSuccessStatusCode)
                {
                    throw new UpstreamHttpException((int)response.StatusCode,
                        $"server '{Server}' lost the session and refused a new one: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                }
                _sessionId = response.Headers.TryGetValues("Mcp-Session-Id", out var ids) ? ids.FirstOrDefault() : null;
                await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                await body.CopyToAsync(Stream.Null, ct).ConfigureAwait(false); // the answer of the old id: nobody waits for it
            }
            using (var initialized = NewRequest(HttpMethod.Post, _sessionId))
            {
                initialized.Content = new ByteArrayContent(JsonRpcWriter.Notification("notifications/initialized", default))
                {
                    Headers = { ContentType = new MediaTypeHeaderValue("application/json") },
                };
                initialized.Headers.Accept.Add(Json);
                initialized.Headers.Accept.Add(EventStream);
                await Client.ApplyAsync(initialized, ct).ConfigureAwait(false);
                using var _ = await Client.Http.SendAsync(initialized, ct).ConfigureAwait(false);
            }
            Reinitializations++;
            LogReinitialized(Logger, Server);
        }
        finally
        {
            _reinitialize.Release();
        }
    }

    /// <summary>The GET stream for what the upstream sends unasked; reopened while the channel lives.</summary>
    private async Task ListenAsync()
    {
        var ct = Lifetime.Token;
        var delay = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var request = NewRequest(HttpMethod.Get, _sessionId);
                request.Headers.Accept.Add(EventStream);
                await Client.ApplyAsync(request, ct).ConfigureAwait(false);
                using var response = await Client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.MethodNotAllowed)
                {
                    return; // the upstream offers no stream of its own
                }
                if (response.IsSuccessStatusCode)
                {
                    delay = TimeSpan.FromSeconds(1);
                    await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                    var reader = new SseEventReader(body, MaxMessageBytes);
                    while (await reader.ReadAsync(ct).ConfigureAwait(false) is { } e)
                    {
                        if (e.Name is null or "message")
                        {
                            Dispatch(e.Data);
                        }
                    }
                }
                else if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    SawStatus((int)response.StatusCode);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException ex) when (ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError)
            {
                Fail(Client.Describe(ex)); // the upstream is gone: supervision reconnects
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException or UpstreamUnavailableException)
            {
                LogStreamBroke(Logger, Server, ex.Message);
            }
            try
            {
                await Task.Delay(delay, Time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    [LoggerMessage(EventId = 330, Level = LogLevel.Warning, Message = "[{Server}] the upstream lost its session: started a new one")]
    private static partial void LogReinitialized(ILogger logger, string server);

    [LoggerMessage(EventId = 331, Level = LogLevel.Debug, Message = "[{Server}] the upstream's GET stream ended ({Reason}); reopening")]
    private static partial void LogStreamBroke(ILogger logger, string server, string reason);
}
