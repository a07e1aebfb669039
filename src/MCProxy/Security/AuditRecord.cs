namespace MCProxy.Security;

/// <summary>How an audited request ended.</summary>
internal enum AuditOutcome { Ok, IsError, Error, Timeout, Denied, RateLimited, Unauthenticated }

/// <summary>One audited event: a call (tools/call, prompts/get, resources/read), a refusal, or a failed sign-in.</summary>
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
    int Redactions = 0);
