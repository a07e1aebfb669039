using System.Buffers;
using System.Threading.Channels;
using MCProxy.Gateway;
using MCProxy.Security;
using MCProxy.Supervision;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace MCProxy.Admin;

/// <summary>
/// The live status page: <c>GET /</c> serves one self-contained HTML page (<see cref="StatusPageHtml"/>);
/// <c>GET /status/events</c> streams its state (<see cref="StatusPageFeed"/>) as <c>event: state</c>.
/// NOTE 1: the page is a static shell that holds no state, behind the Host/Origin guard only; the stream, which
/// holds all of it, is a door like the MCP ones (<see cref="GatewayContext.Door"/>: guard, then auth). The page
/// reads the stream with fetch() and sends the token as an Authorization header, asking the user for it on a
/// 401, so a token never sits in a URL (history, access logs, Referer) — no <c>?token=</c> is accepted.
/// NOTE 2: bounded: at most <see cref="MaxStreams"/> open streams (then 503 + Retry-After); per stream one
/// message in flight, sent on a change of the registry or once per <see cref="Tick"/> when the state changed
/// (calls/s and memory move while calls flow), never closer than <see cref="MinInterval"/>; a client that does not
/// take a message within <see cref="WriteTimeout"/> is disconnected.
/// NOTE 3: like /health, error texts go only to authenticated callers or callers on loopback; others see states and counts.
/// </summary>
internal sealed partial class StatusPage(GatewayContext gateway, StatusPageFeed feed, ServerRegistry servers, Authenticator authenticator,
    ILogger logger)
{
    public const int MaxStreams = 16;
    public static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The page takes 45 s of silence for a dead connection, so it hears something at least this often.</summary>
    public static readonly TimeSpan MaxKeepAlive = TimeSpan.FromSeconds(15);

    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();
    private int _streams;

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", gateway.Guard.Wrap(ServePageAsync));
        app.MapGet("/status/events", gateway.Door(StreamAsync));
    }

    private static Task ServePageAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers.ContentSecurityPolicy = StatusPageHtml.ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.ContentLength = StatusPageHtml.Utf8.Length;
        return response.Body.WriteAsync(StatusPageHtml.Utf8, context.RequestAborted).AsTask();
    }

    private async Task StreamAsync(HttpContext context)
    {
        if (Interlocked.Increment(ref _streams) > MaxStreams)
        {
            Interlocked.Decrement(ref _streams);
            await HttpIo.WriteBusyAsync(context, $"the status page serves at most {MaxStreams} open streams").ConfigureAwait(false);
            return;
        }
        // Coalescing wake-up: any number of registry changes between two messages is one wake-up.
        var changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        void OnChanged() => changed.Writer.TryWrite(true);
        servers.Changed += OnChanged;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, gateway.Lifetime.ApplicationStopping);
        try
        {
            var details = authenticator.IsEnabled || Security.LocalCaller.Is(context);
            await HttpIo.StartEventStreamAsync(context).ConfigureAwait(false);
            await PumpAsync(context, changed.Reader, details, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            // Only the write timeout cancels without the client or the gateway going away.
            LogSlowClient(logger, context.Connection.RemoteIpAddress?.ToString() ?? "?", (int)WriteTimeout.TotalSeconds);
            context.Abort();
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The page was closed or the gateway is stopping.
        }
        finally
        {
            servers.Changed -= OnChanged;
            Interlocked.Decrement(ref _streams);
        }
    }

    private async Task PumpAsync(HttpContext context, ChannelReader<bool> changed, bool details, CancellationToken ct)
    {
        var body = context.Response.BodyWriter;
        var time = gateway.Time;
        byte[]? last = null;
        var lastWrite = time.GetUtcNow();
        var keepAlive = gateway.Options.KeepAliveInterval < MaxKeepAlive ? gateway.Options.KeepAliveInterval : MaxKeepAlive;
        while (true)
        {
            var state = feed.Build(details);
            if (last is null || !state.AsSpan().SequenceEqual(last))
            {
                SseStream.WriteEvent(body, "state"u8, state);
                last = state;
            }
            else if (time.GetUtcNow() - lastWrite >= keepAlive)
            {
                body.Write(KeepAlive);
            }
            if (body.UnflushedBytes > 0)
            {
                using var timeout = new CancellationTokenSource(WriteTimeout, time);
                using var write = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
                await body.FlushAsync(write.Token).ConfigureAwait(false);
                lastWrite = time.GetUtcNow();
            }
            await Task.Delay(MinInterval, time, ct).ConfigureAwait(false);
            await WaitAsync(changed, Tick - MinInterval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Until the registry changes or <paramref name="wait"/> passes, whichever is first.</summary>
    private async Task WaitAsync(ChannelReader<bool> changed, TimeSpan wait, CancellationToken ct)
    {
        if (changed.TryRead(out _))
        {
            return;
        }
        using var tick = new CancellationTokenSource(wait, gateway.Time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, tick.Token);
        try
        {
            await changed.WaitToReadAsync(either.Token).ConfigureAwait(false);
            changed.TryRead(out _);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The tick: time for the next message.
        }
    }

    [LoggerMessage(EventId = 950, Level = LogLevel.Warning, Message = "status page stream to {Remote} ended: it took no message for {Seconds} s")]
    private static partial void LogSlowClient(ILogger logger, string remote, int seconds);
}
