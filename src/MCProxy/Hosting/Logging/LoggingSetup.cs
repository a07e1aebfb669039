using MCProxy.Configuration;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;

namespace MCProxy.Hosting.Logging;

/// <summary>Serilog under Microsoft.Extensions.Logging: syslog by default, stdout with --log.</summary>
internal static class LoggingSetup
{
    public const string ConsoleTemplate = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} {Level:u4} {SourceContext}: {Message:lj}{NewLine}{Exception}";

    public static Serilog.Core.Logger CreateLogger(GatewayOptions options)
    {
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(options.LogLevel)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information);
        if (options.LogToStdout)
        {
            configuration.WriteTo.Console(outputTemplate: ConsoleTemplate, standardErrorFromLevel: null);
        }
        else
        {
            configuration.WriteTo.Sink(new SyslogSink(options.Syslog));
        }
        return configuration.CreateLogger();
    }

    /// <summary>A logger for what runs before the host exists (the TLS certificate source), on the same sinks.</summary>
    public static Microsoft.Extensions.Logging.ILogger Bootstrap(GatewayOptions options) =>
        new Serilog.Extensions.Logging.SerilogLoggerProvider(CreateLogger(options), dispose: true).CreateLogger("MCProxy.Hosting.Tls");

    public static ILoggingBuilder UseMcProxyLogging(this ILoggingBuilder logging, GatewayOptions options)
    {
        logging.ClearProviders();
        logging.AddSerilog(CreateLogger(options), dispose: true);
        // MEL filters first, so disabled levels cost nothing before Serilog sees them.
        logging.SetMinimumLevel(options.LogLevel switch
        {
            LogEventLevel.Verbose => Microsoft.Extensions.Logging.LogLevel.Trace,
            LogEventLevel.Debug => Microsoft.Extensions.Logging.LogLevel.Debug,
            LogEventLevel.Information => Microsoft.Extensions.Logging.LogLevel.Information,
            LogEventLevel.Warning => Microsoft.Extensions.Logging.LogLevel.Warning,
            LogEventLevel.Error => Microsoft.Extensions.Logging.LogLevel.Error,
            _ => Microsoft.Extensions.Logging.LogLevel.Critical,
        });
        logging.AddFilter("Microsoft", Microsoft.Extensions.Logging.LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", Microsoft.Extensions.Logging.LogLevel.Information);
        return logging;
    }
}
