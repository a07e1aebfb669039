using MCProxy.Configuration;
using MCProxy.Hosting.Logging;
using Serilog.Events;

namespace MCProxy.Tests.Hosting.Logging;

public class SyslogFormatterTests
{
    private static readonly DateTimeOffset When = new(2003, 10, 11, 22, 14, 15, 3, TimeSpan.Zero);

    [Fact]
    public void Rfc5424_MatchesTheShapeOfTheRfcExample()
    {
        // RFC 5424 §6.5 example 3: <165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" ...] ...
        var line = SyslogFormatter.Format(SyslogFormat.Rfc5424, 20, "evntslog", "mymachine.example.com", 4711, When,
            LogEventLevel.Information, "ID47", [new("server", "memory")], "An application event log entry...");
        Assert.Equal("<166>1 2003-10-11T22:14:15.003000Z mymachine.example.com evntslog 4711 ID47 [mcproxy@32473 server=\"memory\"] An application event log entry...", line);
    }

    [Fact]
    public void Rfc5424_NoStructuredDataOrMsgId_UsesNilValues()
    {
        var line = SyslogFormatter.Format(SyslogFormat.Rfc5424, 3, "mcproxy", "host", 1, When, LogEventLevel.Error, null, [], "boom");
        Assert.Equal("<27>1 2003-10-11T22:14:15.003000Z host mcproxy 1 - - boom", line);
    }

    [Fact]
    public void Rfc5424_EscapesParamValuesAndCleansHeaders()
    {
        var line = SyslogFormatter.Format(SyslogFormat.Rfc5424, 3, "mc proxy", "host", 1, When, LogEventLevel.Warning,
            "LogStarting", [new("server", "a\"b\\c]d")], "m");
        Assert.Equal("<28>1 2003-10-11T22:14:15.003000Z host mc_proxy 1 LogStarting [mcproxy@32473 server=\"a\\\"b\\\\c\\]d\"] m", line);
    }

    [Fact]
    public void Rfc3164_MatchesTheRfcExampleLayout()
    {
        // RFC 3164 §5.4: <34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8
        var local = new DateTimeOffset(2003, 10, 1, 22, 14, 15, TimeZoneInfo.Local.GetUtcOffset(new DateTime(2003, 10, 1)));
        var line = SyslogFormatter.Format(SyslogFormat.Rfc3164, 4, "su", "mymachine", 99, local, LogEventLevel.Fatal, null, [],
            "'su root' failed for lonvick on /dev/pts/8");
        Assert.Equal("<34>Oct  1 22:14:15 mymachine su[99]: 'su root' failed for lonvick on /dev/pts/8", line);
    }

    [Theory]
    [InlineData(LogEventLevel.Verbose, 7)]
    [InlineData(LogEventLevel.Debug, 7)]
    [InlineData(LogEventLevel.Information, 6)]
    [InlineData(LogEventLevel.Warning, 4)]
    [InlineData(LogEventLevel.Error, 3)]
    [InlineData(LogEventLevel.Fatal, 2)]
    public void Severity_FollowsTheLevel(LogEventLevel level, int severity) => Assert.Equal(severity, SyslogFormatter.Severity(level));

    [Theory]
    [InlineData("daemon", 3)]
    [InlineData("local0", 16)]
    [InlineData("local7", 23)]
    [InlineData("user", 1)]
    [InlineData("5", 5)]
    public void ParseFacility_NamesAndNumbers(string text, int facility) => Assert.Equal(facility, SyslogOptions.ParseFacility(text));
}
