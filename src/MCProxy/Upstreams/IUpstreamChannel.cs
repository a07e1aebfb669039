using MCProxy.Protocol;

namespace MCProxy.Upstreams;

/// <summary>
/// The JSON-RPC client side of one upstream, whatever carries it: a stdio child's pipes
/// (<see cref="UpstreamConnection"/>), Streamable HTTP or legacy SSE (<c>Upstreams/Http</c>). The supervisor, the
/// handshake and the relay see only this.
/// </summary>
internal interface IUpstreamChannel : IDisposable
{
    /// <summary>Completes, with the reason, when the channel can no longer be used.</summary>
    Task<string> Closed { get; }

    /// <summary>Sends a request and waits for its response (a Response or Error message).</summary>
    /// <exception cref="UpstreamUnavailableException">the upstream is gone or refused the request; the message says why.</exception>
    /// <exception cref="UpstreamTimeoutException">no answer within <paramref name="timeout"/>; the upstream is sent notifications/cancelled.</exception>
    /// <exception cref="OperationCanceledException">the caller cancelled; the upstream is sent notifications/cancelled.</exception>
    Task<JsonRpcMessage> RequestAsync(string method, ReadOnlyMemory<byte> rawParams, TimeSpan timeout, CancellationToken ct);

    /// <summary>Sends a notification (fire and forget).</summary>
    /// <exception cref="UpstreamUnavailableException">the channel is closed.</exception>
    void Notify(string method, ReadOnlySpan<byte> rawParams);

    /// <summary>Ends the channel politely and fails whatever is pending.</summary>
    void Close(string reason);
}
