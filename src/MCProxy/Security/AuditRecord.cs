namespace MCProxy.Security;

/// <summary>How an audited request ended.</summary>
internal enum AuditOutcome { Ok, IsError, Error, Timeout, Denied, RateLimited, Unauthenticated }

/// <summary>
/// One audited event: a call (tools/call, prompts/get, resources/read), a refusal, or a failed sign-in.
/// <see cref="Method"/> names the JSON-RPC method of a call or refusal (null for a failed sign-in and a rate-limited
/// request); metrics tell tools from prompts and resources by it. It is not written to the audit line.
/// </summary>
internal sealed record AuditRecord(
    DateTimeOffset Time,
    string Identity,
    string? Session,
    string Door,
    string? Server,
    string? Tool,
    double DurationMs,
    AuditOutcome Outcome,
    long BytesIn,
    long BytesOut,
    string? ArgsSha256,
    ReadOnlyMemory<byte> Arguments,
    int Redactions = 0,
    string? Method = null);
