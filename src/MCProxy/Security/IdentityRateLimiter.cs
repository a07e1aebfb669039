using System.Threading.RateLimiting;

namespace MCProxy.Security;

/// <summary>
/// Requests per identity per minute (auth.rateLimit.perIdentityPerMinute), counted on every request that reaches
/// a server. A fixed one-minute window per identity name, from System.Threading.RateLimiting; rebuilt when the
/// auth section changes.
/// </summary>
internal sealed class IdentityRateLimiter : IDisposable
{
    private readonly Authenticator _authenticator;
    private PartitionedRateLimiter<string>? _limiter;

    public IdentityRateLimiter(Authenticator authenticator)
    {
        _authenticator = authenticator;
        _limiter = Build();
        authenticator.Changed += () => Interlocked.Exchange(ref _limiter, Build())?.Dispose();
    }

    /// <summary>True when <paramref name="count"/> requests of <paramref name="identity"/> may go; else when to retry.</summary>
    public bool TryAcquire(Identity identity, int count, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (count == 0 || Volatile.Read(ref _limiter) is not { } limiter)
        {
            return true;
        }
        using var lease = limiter.AttemptAcquire(identity.Name, count);
        if (lease.IsAcquired)
        {
            return true;
        }
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(60);
        return false;
    }

    private PartitionedRateLimiter<string>? Build() => _authenticator.PerIdentityPerMinute is { } perMinute
        ? PartitionedRateLimiter.Create<string, string>(name => RateLimitPartition.GetFixedWindowLimiter(name, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true,
        }))
        : null;

    public void Dispose() => _limiter?.Dispose();
}
