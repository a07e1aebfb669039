using MCProxy.Configuration;
using MCProxy.Protocol;
using MCProxy.Upstreams;
using MCProxy.Upstreams.Http;
using Microsoft.Extensions.Logging;

namespace MCProxy.Supervision;

/// <summary>
/// One life of a remote server: connect (Streamable HTTP, falling back to legacy SSE for <c>type: http</c> on a 4xx
/// other than 401/403), run the MCP handshake, list what it offers, serve until the channel closes. The same
/// states, backoff and <c>failed</c> as a stdio child (see <c>ServerSupervisor.Restarts.cs</c>).
/// NOTE 1: one <see cref="UpstreamHttpClient"/> (one connection pool, one OAuth2 token cache) serves every life
/// of this supervisor; a config edit makes a new supervisor and so a new pool.
/// </summary>
internal sealed partial class ServerSupervisor
{
    private UpstreamHttpClient? _http;

    /// <summary>The remote server's HTTP side (tests read its token count).</summary>
    internal UpstreamHttpClient? RemoteClient => _http;

    private async Task<DateTimeOffset?> RunRemoteOnceAsync(bool restarting, CancellationToken stop)
    {
        var remote = Config.Remote!;
        var startedAt = _time.GetUtcNow();
        Publish(s => s with
        {
            State = restarting ? ServerState.Restarting : ServerState.Starting, Pid = null, Since = startedAt, Url = remote.DisplayUrl,
        });
        LogConnecting(_logger, Name, remote.ToString());
        if (remote.Insecure)
        {
            LogInsecure(_logger, Name, remote.DisplayUrl);
        }
        HttpChannel? channel = null;
        IUpstreamChannel? serving = null; // the 2026-07-28 driver around channel, when the upstream speaks that revision
        DateTimeOffset? readyAt = null;
        string? error = null;
        int? httpStatus = null;
        try
        {
            _http ??= new UpstreamHttpClient(remote, _time);
            UpstreamInfo info;
            (channel, info) = await ConnectAsync(remote, _http, stop).ConfigureAwait(false);
            var connected = channel;
            // A 2026-07-28 upstream is driven per request, like such a child (PerRequestChannel).
            var perRequest = info.ProtocolVersion == PerRequestChannel.Revision ? new PerRequestChannel(channel, Name, _logger) : null;
            serving = perRequest;
            readyAt = await BecomeReadyAsync(perRequest ?? (IUpstreamChannel)channel, info, startedAt,
                s => s with { Transport = connected.TransportName, LastHttpStatus = connected.LastHttpStatus }, stop).ConfigureAwait(false);
            perRequest?.StartListening(info.Capabilities);
            await Task.WhenAny(channel.Closed, Task.Delay(Timeout.Infinite, stop)).ConfigureAwait(false);
            if (!stop.IsCancellationRequested && channel.Closed.IsCompleted)
            {
                error = channel.Closed.Result;
            }
        }
        catch (Exception ex) when (ex is UpstreamUnavailableException or UpstreamTimeoutException or UpstreamProtocolException
                                       or OperationCanceledException or HttpRequestException)
        {
            // Supervision edge: a refused credential, an unreachable host or a failed handshake retries like a crash.
            error = stop.IsCancellationRequested ? null : ex is HttpRequestException && _http is not null ? _http.Describe(ex) : ex.Message;
            httpStatus = (ex as Upstreams.Http.UpstreamHttpException)?.Status;
        }
        finally
        {
            Volatile.Write(ref _connection, null);
            if (Status.State == ServerState.Ready)
            {
                Publish(s => s.WithoutItems() with { State = ServerState.Restarting });
            }
            (serving ?? channel)?.Close(stop.IsCancellationRequested ? "the gateway is stopping the server" : "reconnecting");
        }
        if (!stop.IsCancellationRequested)
        {
            var described = (readyAt is null ? "could not connect" : "disconnected") + (error is null ? "" : $": {error}");
            httpStatus ??= channel?.LastHttpStatus is > 0 and var seen ? seen : null;
            Publish(s => s with { LastError = described, LastHttpStatus = httpStatus ?? s.LastHttpStatus, Pid = null });
            LogDisconnected(_logger, Name, described);
        }
        return readyAt;
    }

    private async Task<(HttpChannel Channel, UpstreamInfo Info)> ConnectAsync(RemoteServer remote, UpstreamHttpClient http, CancellationToken stop)
    {
        if (remote.Transport == RemoteTransport.Sse)
        {
            return await ConnectSseAsync(http, stop).ConfigureAwait(false);
        }
        var streamable = new StreamableHttpChannel(Name, http, _time, _logger, OnRemoteNotification,
            request => _handlers.Request(this, request), _options.MaxMessageBytes);
        try
        {
            // A 2026-07-28 server answers server/discover (no session); an older one refuses it, and is initialized.
            streamable.PerRequest = true;
            UpstreamInfo? discovered = null;
            try
            {
                discovered = await UpstreamHandshake.DiscoverAsync(streamable, Config.Timeout, stop, Config.Protocol).ConfigureAwait(false);
            }
            catch (UpstreamHttpException ex) when (ex.Status is >= 400 and < 500 and not (401 or 403) && Config.Protocol != ServerConfig.Protocol2026)
            {
                // 400 "no session", 404, 405: not a 2026-07-28 server.
            }
            if (discovered is not null)
            {
                return (streamable, discovered);
            }
            streamable.PerRequest = false;
            return (streamable, await UpstreamHandshake.InitializeAsync(streamable, Name, Config.Timeout, stop).ConfigureAwait(false));
        }
        catch (UpstreamHttpException ex) when (ex.SuggestsLegacySse)
        {
            // The spec's back-compat rule: a server that refuses the POST with a 4xx may speak the 2024-11-05 transport.
            streamable.Close("falling back to SSE");
            LogFallback(_logger, Name, ex.Status);
            return await ConnectSseAsync(http, stop).ConfigureAwait(false);
        }
        catch
        {
            streamable.Close("handshake failed");
            throw;
        }
    }

    private async Task<(HttpChannel Channel, UpstreamInfo Info)> ConnectSseAsync(UpstreamHttpClient http, CancellationToken stop)
    {
        var sse = await LegacySseChannel.OpenAsync(Name, http, _time, _logger, OnRemoteNotification,
            request => _handlers.Request(this, request), _options.MaxMessageBytes, Config.Timeout, stop).ConfigureAwait(false);
        try
        {
            return (sse, await UpstreamHandshake.InitializeAsync(sse, Name, Config.Timeout, stop).ConfigureAwait(false));
        }
        catch
        {
            sse.Close("handshake failed");
            throw;
        }
    }

    /// <summary>Before the server is ready its list_changed is moot (the lists are fetched next); the rest is relayed.</summary>
    private void OnRemoteNotification(JsonRpcMessage message)
    {
        if (Volatile.Read(ref _connection) is { } channel)
        {
            OnNotification(channel, message);
        }
        else if (ListRefresher.KindsOf(message.Method) == 0)
        {
            _handlers.Notification(this, message);
        }
    }

    [LoggerMessage(EventId = 130, Level = LogLevel.Information, Message = "[{Server}] connecting to {Endpoint}")]
    private static partial void LogConnecting(ILogger logger, string server, string endpoint);

    [LoggerMessage(EventId = 131, Level = LogLevel.Warning, Message = "[{Server}] {Reason}")]
    private static partial void LogDisconnected(ILogger logger, string server, string reason);

    [LoggerMessage(EventId = 132, Level = LogLevel.Information, Message = "[{Server}] Streamable HTTP refused with HTTP {Status}: falling back to the legacy SSE transport")]
    private static partial void LogFallback(ILogger logger, string server, int status);

    [LoggerMessage(EventId = 133, Level = LogLevel.Warning, Message = "[{Server}] \"insecure\": true: the certificate of {Url} is NOT checked; anyone on the path can read and change this server's traffic and credentials")]
    private static partial void LogInsecure(ILogger logger, string server, string url);
}
