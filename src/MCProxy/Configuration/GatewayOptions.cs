using Serilog.Events;

namespace MCProxy.Configuration;

/// <summary>Everything the command line sets. Immutable after parsing.</summary>
internal sealed record GatewayOptions
{
    public const int DefaultPort = 12010;
    public const string DefaultSeparator = "__";

    public string ConfigPath { get; init; } = Path.Combine("config", "mcp-servers.json");
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = DefaultPort;
    public bool LogToStdout { get; init; }
    public bool NoReload { get; init; }
    public double ReloadIntervalSeconds { get; init; } = 1.0;
    public string Separator { get; init; } = DefaultSeparator;
    /// <summary>The .env file for ${VAR}; default: ".env" beside the config file.</summary>
    public string? EnvFile { get; init; }
    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromMinutes(30);
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);
    public LogEventLevel LogLevel { get; init; } = LogEventLevel.Information;
    public SyslogOptions Syslog { get; init; } = new();
    /// <summary>Extra Host names accepted besides localhost (DNS-rebinding protection).</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];
    /// <summary>Extra browser Origins accepted besides localhost ones.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    /// <summary>PEM certificate and key for HTTPS (--tls-cert, --tls-key); plain HTTP when unset.</summary>
    public string? TlsCert { get; init; }
    public string? TlsKey { get; init; }

    /// <summary>Serve a non-loopback address without an auth section (--allow-unauthenticated): refused otherwise.</summary>
    public bool AllowUnauthenticated { get; init; }

    /// <summary>Whether <see cref="Host"/> is reachable only from this machine.</summary>
    public bool BindsLoopbackOnly => Host is "localhost" || (System.Net.IPAddress.TryParse(Host, out var ip) && System.Net.IPAddress.IsLoopback(ip));

    /// <summary>Every bound the front doors and children are held to.</summary>
    public GatewayLimits Limits { get; init; } = new();

    /// <summary>
    /// The unix socket of the admin API (<c>--admin-socket</c>; the CLI's way in). Null: the default place, resolved
    /// at start (<c>$RUNTIME_DIRECTORY</c>, else <c>/run/mcproxy</c>, else a per-user directory); empty: none.
    /// </summary>
    public string? AdminSocket { get; init; }

    /// <summary>Count calls and serve GET /metrics (off with --no-metrics: no listener, no counting).</summary>
    public bool Metrics { get; init; } = true;

    /// <summary>Where to send traces over OTLP (--otlp-endpoint, MCPROXY_OTLP_ENDPOINT); null: OTEL_EXPORTER_OTLP_ENDPOINT, else no tracing.</summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary>Become the child subreaper and reap orphaned descendants (off only where another reaper owns the process).</summary>
    public bool ReapOrphans { get; init; } = true;

    public string ResolvedEnvFile => EnvFile ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ConfigPath)) ?? ".", ".env");
}
