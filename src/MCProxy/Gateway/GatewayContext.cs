using MCProxy.Configuration;
using Microsoft.Extensions.Hosting;

namespace MCProxy.Gateway;

/// <summary>What every HTTP front door needs, resolved once at map time instead of per request.</summary>
internal sealed record GatewayContext(
    McpDispatcher Dispatcher,
    SessionRegistry Sessions,
    GatewayOptions Options,
    TimeProvider Time,
    IHostApplicationLifetime Lifetime,
    OriginGuard Guard,
    ByteBudget BodyBudget,
    Security.AuthGate Auth,
    Security.IdentityRateLimiter RateLimiter,
    Security.AuditLog Audit)
{
    /// <summary>The Host/Origin guard, then authentication: the order every MCP door uses.</summary>
    public Microsoft.AspNetCore.Http.RequestDelegate Door(Microsoft.AspNetCore.Http.RequestDelegate handler) => Guard.Wrap(Auth.Wrap(handler));

    /// <summary>
    /// Counts the batch's server-bound requests against the identity's rate limit; false after answering 429 with
    /// Retry-After and a JSON-RPC error. With <paramref name="stream"/> (legacy SSE, whose answers travel on the
    /// session's stream) the error goes there too.
    /// </summary>
    public async Task<bool> AdmitAsync(Microsoft.AspNetCore.Http.HttpContext context, MessageBatch batch, Security.Identity identity,
        DownstreamSession? stream = null)
    {
        if (RateLimiter.TryAcquire(identity, batch.ServerBoundRequests, out var retryAfter))
        {
            return true;
        }
        stream?.TrySend(RateLimited(batch, identity));
        AuditRateLimited(context, batch, identity);
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await HttpIo.WriteJsonAsync(context, Microsoft.AspNetCore.Http.StatusCodes.Status429TooManyRequests, RateLimited(batch, identity)).ConfigureAwait(false);
        return false;
    }

    /// <summary>One audit record per request the rate limit turned away.</summary>
    private void AuditRateLimited(Microsoft.AspNetCore.Http.HttpContext context, MessageBatch batch, Security.Identity identity)
    {
        foreach (var message in batch.Messages.Where(m => m.Kind == Protocol.JsonRpcKind.Request))
        {
            Audit.Write(new Security.AuditRecord(Time.GetUtcNow(), identity.Name, null, context.Request.Path,
                null, Protocol.JsonSlice.GetString(message.Params, "name"u8) ?? Protocol.JsonSlice.GetString(message.Params, "uri"u8),
                0, Security.AuditOutcome.RateLimited, message.Buffer.Length, 0, null, default));
        }
    }

    /// <summary>The JSON-RPC error a rate-limited request gets (one per request of a batch).</summary>
    public static byte[] RateLimited(MessageBatch batch, Security.Identity identity)
    {
        var message = $"Too many requests: identity '{identity.Name}' reached its rate limit (auth.rateLimit.perIdentityPerMinute)";
        if (!batch.IsBatch)
        {
            return Protocol.JsonRpcWriter.Error(batch.Messages[0].Id.Span, RateLimitedCode, message);
        }
        return MessageBatch.JoinAnswers(batch.Messages.Where(m => m.Kind == Protocol.JsonRpcKind.Request)
            .Select(m => Protocol.JsonRpcWriter.Error(m.Id.Span, RateLimitedCode, message)).ToArray());
    }

    public const int RateLimitedCode = -32029;

    public GatewayLimits Limits => Options.Limits;
}
