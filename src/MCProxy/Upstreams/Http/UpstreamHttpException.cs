namespace MCProxy.Upstreams.Http;

/// <summary>
/// An HTTP status from a remote upstream that ends what the gateway was doing (connect, a request): the status
/// goes to /health as <c>lastHttpStatus</c>, the message (never a credential) to <c>lastError</c>.
/// </summary>
internal class UpstreamHttpException(int status, string message) : UpstreamUnavailableException(message)
{
    public int Status { get; } = status;

    /// <summary>The spec's back-compat rule: a 4xx other than 401/403 to Streamable HTTP means "try legacy SSE".</summary>
    public virtual bool SuggestsLegacySse => Status is >= 400 and < 500 and not (401 or 403);

    /// <summary>A refusal from the OAuth2 token endpoint: says nothing about the MCP server's transport.</summary>
    internal sealed class TokenEndpoint(int status, string message) : UpstreamHttpException(status, message)
    {
        public override bool SuggestsLegacySse => false;
    }
}
