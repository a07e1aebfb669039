namespace MCProxy.Upstreams;

/// <summary>The child cannot take or answer requests: it exited, its pipe broke, or it is not running.</summary>
internal class UpstreamUnavailableException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>The child did not answer a request within the server's <c>timeout</c>.</summary>
internal sealed class UpstreamTimeoutException(string message) : TimeoutException(message);

/// <summary>The child answered a gateway-internal request (handshake, list) with a JSON-RPC error.</summary>
internal sealed class UpstreamProtocolException(string message) : Exception(message);
