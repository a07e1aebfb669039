using System.Net;
using System.Net.Http.Headers;
using MCProxy.Protocol;
using Microsoft.Extensions.Logging;

namespace MCProxy.Upstreams.Http;

/// <summary>
/// The legacy HTTP+SSE transport (MCP 2024-11-05) to a remote upstream: a GET opens the event stream, whose first
/// <c>endpoint</c> event names the URL to POST messages to; every answer, notification and request of the
/// upstream arrives on the stream. The stream ending closes the channel (supervision reconnects).
/// NOTE 1: the endpoint must be on the upstream's own origin: an upstream cannot make the gateway post its
/// credentials anywhere else.
/// </summary>
internal sealed partial class LegacySseChannel : HttpChannel
{
    private readonly TaskCompletionSource<Uri> _endpoint = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private LegacySseChannel(string server, UpstreamHttpClient client, TimeProvider time, ILogger logger,
        Action<JsonRpcMessage> onNotification, Func<JsonRpcMessage, Task<byte[]>> onRequest, int maxMessageBytes)
        : base(server, client, time, logger, onNotification, onRequest, maxMessageBytes)
    {
    }

    public override string TransportName => "sse";

    /// <summary>Opens the stream and waits (within <paramref name="timeout"/>) for the endpoint event.</summary>
    /// <exception cref="UpstreamHttpException">the GET was refused (the status says why).</exception>
    public static async Task<LegacySseChannel> OpenAsync(string server, UpstreamHttpClient client, TimeProvider time, ILogger logger,
        Action<JsonRpcMessage> onNotification, Func<JsonRpcMessage, Task<byte[]>> onRequest, int maxMessageBytes, TimeSpan timeout,
        CancellationToken ct)
    {
        var channel = new LegacySseChannel(server, client, time, logger, onNotification, onRequest, maxMessageBytes);
        try
        {
            var response = await channel.OpenStreamAsync(ct).ConfigureAwait(false);
            _ = channel.ReadStreamAsync(response);
            await Task.WhenAny(channel._endpoint.Task, channel.Closed).WaitAsync(timeout, time, ct).ConfigureAwait(false);
            if (!channel._endpoint.Task.IsCompleted)
            {
                throw new UpstreamUnavailableException($"server '{server}': {channel.Closed.Result}");
            }
            return channel;
        }
        catch (TimeoutException)
        {
            channel.Close("no endpoint event");
            throw new UpstreamUnavailableException($"server '{server}' opened its SSE stream but sent no endpoint event within {timeout.TotalSeconds:0.###} s");
        }
        catch
        {
            channel.Close("could not open");
            throw;
        }
    }

    private async Task<HttpResponseMessage> OpenStreamAsync(CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, Lifetime.Token);
        var request = new HttpRequestMessage(HttpMethod.Get, Client.Remote.Url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var refreshed = false;
        while (true)
        {
            var used = await Client.ApplyAsync(request, linked.Token).ConfigureAwait(false);
            // The stream outlives this call: only the channel's lifetime ends it.
            var response = await Client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Lifetime.Token)
                .WaitAsync(linked.Token).ConfigureAwait(false);
            SawStatus((int)response.StatusCode);
            if (response.StatusCode == HttpStatusCode.Unauthorized && !refreshed && Client.Unauthorized(used))
            {
                response.Dispose();
                refreshed = true;
                request = new HttpRequestMessage(HttpMethod.Get, Client.Remote.Url);
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
                continue;
            }
            if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                var status = (int)response.StatusCode;
                var reason = response.ReasonPhrase;
                response.Dispose();
                throw new UpstreamHttpException(status, response.IsSuccessStatusCode
                    ? $"server '{Server}' answered the SSE GET with something other than an event stream"
                    : $"server '{Server}' answered the SSE GET with HTTP {status} {reason}");
            }
            return response;
        }
    }

    private async Task ReadStreamAsync(HttpResponseMessage response)
    {
        var ct = Lifetime.Token;
        var reason = "the upstream ended its SSE stream";
        try
        {
            using (response)
            {
                await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                var reader = new SseEventReader(body, MaxMessageBytes);
                while (await reader.ReadAsync(ct).ConfigureAwait(false) is { } e)
                {
                    if (e.Name == "endpoint")
                    {
                        OnEndpoint(System.Text.Encoding.UTF8.GetString(e.Data).Trim());
                    }
                    else if (e.Name is null or "message")
                    {
                        Dispatch(e.Data);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException)
        {
            reason = Client.Describe(ex);
        }
        catch (Exception ex)
        {
            LogStreamFailed(Logger, Server, ex);
            reason = $"the gateway failed reading the upstream's stream ({ex.GetType().Name})";
        }
        Fail(reason);
    }

    private void OnEndpoint(string text)
    {
        if (!Uri.TryCreate(Client.Remote.Url, text, out var endpoint) ||
            Uri.Compare(endpoint, Client.Remote.Url, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0)
        {
            Fail("the upstream named a message endpoint on another origin; refused (NOTE 1)");
            return;
        }
        _endpoint.TrySetResult(endpoint);
    }

    protected override async Task PostAsync(byte[] message, string method, long? id, CancellationToken ct)
    {
        var endpoint = await _endpoint.Task.WaitAsync(ct).ConfigureAwait(false);
        var refreshed = false;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
            {
                Content = new ByteArrayContent(message) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
            };
            var used = await Client.ApplyAsync(request, ct).ConfigureAwait(false);
            using var response = await Client.Http.SendAsync(request, ct).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            SawStatus(status);
            if (status == 401 && !refreshed && Client.Unauthorized(used))
            {
                refreshed = true;
                continue;
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new UpstreamHttpException(status, $"server '{Server}' answered {method} with HTTP {status} {response.ReasonPhrase}");
            }
            return; // the answer comes on the stream
        }
    }

    [LoggerMessage(EventId = 340, Level = LogLevel.Critical, Message = "[{Server}] reading the upstream's SSE stream failed unexpectedly; reconnecting")]
    private static partial void LogStreamFailed(ILogger logger, string server, Exception exception);
}
