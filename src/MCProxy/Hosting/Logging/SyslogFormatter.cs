using MCProxy.Configuration;
using System.Globalization;
using System.Text;
using Serilog.Events;

namespace MCProxy.Hosting.Logging;

/// <summary>
/// Frames one log event as an RFC 5424 or RFC 3164 syslog message. Pure, so framing is tested against the RFCs'
/// examples. The server a line is about travels in structured data (<c>[mcproxy@32473 server="memory"]</c>) and in
/// the message text, so rsyslog and journalctl can filter on it.
/// </summary>
internal static class SyslogFormatter
{
    /// <summary>The private enterprise number in our SD-ID, as the issue names it.</summary>
    public const string SdId = "mcproxy@32473";

    public static int Severity(LogEventLevel level) => level switch
    {
        LogEventLevel.Fatal => 2,       // crit
        LogEventLevel.Error => 3,       // err
        LogEventLevel.Warning => 4,     // warning
        LogEventLevel.Information => 6, // info
        _ => 7,                         // debug
    };

    public static string Format(SyslogFormat format, int facility, string appName, string hostname, int pid,
        DateTimeOffset timestamp, LogEventLevel level, string? msgId, IReadOnlyList<KeyValuePair<string, string>> structured, string message)
    {
        var pri = facility * 8 + Severity(level);
        var text = new StringBuilder(128 + message.Length);
        if (format == SyslogFormat.Rfc3164)
        {
            // <PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG   (local time, day padded with a space)
            var local = timestamp.ToLocalTime();
            text.Append('<').Append(pri).Append('>')
                .Append(local.ToString("MMM", CultureInfo.InvariantCulture)).Append(' ')
                .Append(local.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2)).Append(' ')
                .Append(local.ToString("HH:mm:ss", CultureInfo.InvariantCulture)).Append(' ')
                .Append(hostname).Append(' ').Append(appName).Append('[').Append(pid).Append("]: ")
                .Append(message);
            return text.ToString();
        }
        // <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG
        text.Append('<').Append(pri).Append(">1 ")
            .Append(timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)).Append(' ')
            .Append(Header(hostname, 255)).Append(' ')
            .Append(Header(appName, 48)).Append(' ')
            .Append(pid).Append(' ')
            .Append(Header(msgId, 32)).Append(' ');
        if (structured.Count == 0)
        {
            text.Append('-');
        }
        else
        {
            text.Append('[').Append(SdId);
            foreach (var (name, value) in structured)
            {
                text.Append(' ').Append(name).Append("=\"");
                foreach (var c in value)
                {
                    if (c is '"' or '\\' or ']')
                    {
                        text.Append('\\');
                    }
                    text.Append(c);
                }
                text.Append('"');
            }
            text.Append(']');
        }
        if (message.Length > 0)
        {
            text.Append(' ').Append(message);
        }
        return text.ToString();
    }

    /// <summary>A header field: printable US-ASCII without spaces, at most <paramref name="max"/> characters, or "-".</summary>
    private static string Header(string? value, int max)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "-";
        }
        var clean = new StringBuilder(Math.Min(value.Length, max));
        foreach (var c in value)
        {
            if (clean.Length == max)
            {
                break;
            }
            clean.Append(c is > (char)32 and < (char)127 ? c : '_');
        }
        return clean.ToString();
    }
}
