using MCProxy.Configuration;
using MCProxy.Hosting;

namespace MCProxy.Tests.Hosting;

public class CommandLineTests
{
    [Fact]
    public void Parse_Defaults()
    {
        var o = CommandLine.Parse([], out var error, out _, out _)!;
        Assert.Null(error);
        Assert.Equal("127.0.0.1", o.Host);
        Assert.Equal(12010, o.Port);
        Assert.Equal(Path.Combine("config", "mcp-servers.json"), o.ConfigPath);
        Assert.Equal("__", o.Separator);
    }

    [Fact]
    public void Parse_EveryFlag()
    {
        var o = CommandLine.Parse(["--config", "a.json", "--port=9", "--host", "0.0.0.0", "--log", "--no-reload",
            "--reload-interval", "0.5", "--separator", ".", "--env-file", "x.env"], out var error, out _, out _)!;
        Assert.Null(error);
        Assert.Equal(("a.json", 9, "0.0.0.0", true, true, 0.5, ".", "x.env"),
            (o.ConfigPath, o.Port, o.Host, o.LogToStdout, o.NoReload, o.ReloadIntervalSeconds, o.Separator, o.EnvFile));
    }

    [Theory]
    [InlineData("--port", "x")]
    [InlineData("--port", "70000")]
    [InlineData("--reload-interval", "-1")]
    [InlineData("--separator", "a b")]
    [InlineData("--bogus", "1")]
    public void Parse_BadValue_ReturnsError(string flag, string value)
    {
        Assert.Null(CommandLine.Parse([flag, value], out var error, out _, out _));
        Assert.NotNull(error);
    }

    [Fact]
    public void Parse_HelpAndVersion()
    {
        CommandLine.Parse(["--help"], out _, out var help, out _);
        CommandLine.Parse(["--version"], out _, out _, out var version);
        Assert.True(help);
        Assert.True(version);
    }

    [Fact]
    public void ApplySettings_EnvironmentStyleKeys_SetLoggingAndFlagsStillWin()
    {
        var env = new Dictionary<string, string>
        {
            ["LOG"] = "1", ["LOG_LEVEL"] = "warning", ["SYSLOG_TARGET"] = "udp://127.0.0.1:5514",
            ["SYSLOG_FACILITY"] = "local3", ["SYSLOG_FORMAT"] = "rfc3164",
        };
        var fromEnv = CommandLine.ApplySettings(new GatewayOptions(), k => env.GetValueOrDefault(k), out var error)!;
        Assert.Null(error);
        Assert.True(fromEnv.LogToStdout);
        Assert.Equal(Serilog.Events.LogEventLevel.Warning, fromEnv.LogLevel);
        Assert.Equal("udp://127.0.0.1:5514", fromEnv.Syslog.Target);
        Assert.Equal(19, fromEnv.Syslog.Facility);
        Assert.Equal(MCProxy.Configuration.SyslogFormat.Rfc3164, fromEnv.Syslog.Format);
        var flags = CommandLine.Parse(["--log-level", "debug", "--syslog-format", "rfc5424"], fromEnv, out error, out _, out _)!;
        Assert.Equal(Serilog.Events.LogEventLevel.Debug, flags.LogLevel);
        Assert.Equal(MCProxy.Configuration.SyslogFormat.Rfc5424, flags.Syslog.Format);
        Assert.Equal("udp://127.0.0.1:5514", flags.Syslog.Target);
    }

    [Fact]
    public void ApplySettings_BadValue_NamesTheVariable()
    {
        Assert.Null(CommandLine.ApplySettings(new GatewayOptions(), k => k == "SYSLOG_TARGET" ? "ftp://x" : null, out var error));
        Assert.StartsWith("MCPROXY_SYSLOG_TARGET", error);
    }
}
