namespace MCProxy.Cli;

/// <summary>How bad a doctor finding is. <see cref="Error"/>: a server would not start, or the gateway is open.</summary>
internal enum Severity
{
    Ok,
    Warning,
    Error,
}

/// <summary>One thing <c>mcproxy doctor</c> looked at: what it found and, unless all is well, the fix.</summary>
internal sealed record DoctorFinding(Severity Severity, string Check, string Message, string? Fix = null);
