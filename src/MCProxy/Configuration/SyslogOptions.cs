namespace MCProxy.Configuration;

internal enum SyslogFormat
{
    Rfc5424,
    Rfc3164,
}

/// <summary>Where and how syslog lines go. Target: <c>unix:///dev/log</c> (default), <c>udp://host:514</c>, <c>tcp://host:601</c>.</summary>
internal sealed record SyslogOptions
{
    public const string DefaultTarget = "unix:///dev/log";

    public string Target { get; init; } = DefaultTarget;
    public SyslogFormat Format { get; init; } = SyslogFormat.Rfc5424;
    /// <summary>Facility number (RFC 5424 table 1); daemon = 3.</summary>
    public int Facility { get; init; } = 3;
    public string AppName { get; init; } = "mcproxy";

    private static readonly string[] FacilityNames =
    [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
        "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ];

    /// <summary>"daemon", "local0" … or a number 0–23.</summary>
    public static int? ParseFacility(string text)
    {
        var index = Array.IndexOf(FacilityNames, text.Trim().ToLowerInvariant());
        if (index >= 0)
        {
            return index;
        }
        return int.TryParse(text, out var n) && n is >= 0 and <= 23 ? n : null;
    }
}
