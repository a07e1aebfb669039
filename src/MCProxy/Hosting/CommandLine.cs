using MCProxy.Configuration;
using System.Globalization;
using MCProxy.Hosting.Logging;
using Serilog.Events;

namespace MCProxy.Hosting;

/// <summary>Parses the design's flags. Hand-written: the serve flags predate the verbs (Cli/, System.CommandLine) and keep their exact errors.</summary>
internal static class CommandLine
{
    public const string Usage = """
        MCProxy — one HTTP endpoint in front of many stdio MCP servers.

        Usage: mcproxy [serve] [options]      run the gateway (the default when no command is given)
               mcproxy health [--host H] [--port P]
                                              GET /health of a running gateway; exit 0 when ready, 1 otherwise
               mcproxy COMMAND [--json] [--socket PATH] [--config PATH]
                                              talk to the running gateway or edit its config:
                 status                       servers, states, pids, restarts, tools, memory, CPU, sessions
                 servers list | get NAME      the configured servers and their state
                 servers add NAME [--env K=V]... -- COMMAND ARGS...
                 servers add NAME --url URL [--header K=V]...
                 servers remove | enable | disable | restart NAME
                 check [CONFIG]               validate a config file; every problem with its JSON path
                 logs [NAME] [-f]             the last stderr lines of one server or all; -f follows
                 call TOOL [JSON]             one tool call through the running gateway
                 doctor                       look for what would stop a server or leave the gateway open
                 setup --client claude|cursor|vscode|codex
                                              the client's config snippet for this gateway
               (mcproxy COMMAND --help for each)

          --config PATH            server list (default: config/mcp-servers.json)
          --host HOST              address to listen on (default: 127.0.0.1; 0.0.0.0 for all)
          --port PORT              port to listen on (default: 12010)
          --admin-socket PATH      unix socket of the admin API the commands above use (default:
                                   $RUNTIME_DIRECTORY/mcproxy.sock, else /run/mcproxy/mcproxy.sock; none: off)
          --log                    log to stdout instead of syslog
          --log-level LEVEL        debug, information (default), warning, error
          --syslog-target URI      unix:///dev/log (default), udp://host:514, tcp://host:601
          --syslog-facility NAME   daemon (default), local0 … local7, user …
          --syslog-format FORMAT   rfc5424 (default) or rfc3164
          --no-reload              do not watch the config file for changes
          --reload-interval SECS   poll interval of the config watcher (default: 1.0)
          --separator TEXT         between server and tool in exposed names (default: __)
          --env-file PATH          .env file for ${VAR} (default: .env beside the config)
          --allowed-hosts LIST     extra Host names to accept, comma-separated (DNS-rebinding protection)
          --allowed-origins LIST   extra browser Origins to accept, comma-separated
          --tls-cert PATH          PEM certificate for HTTPS (with --tls-key; a renewed file is served without a restart)
          --tls-key PATH           PEM private key of --tls-cert
          --allow-unauthenticated  serve a non-loopback --host without an "auth" section (refused otherwise)
          --max-body SIZE          largest request body (default: 4MiB; larger: 413)
          --max-batch N            messages in one JSON-RPC batch (default: 100)
          --max-sessions N         open client sessions, both transports (default: 1000; then 503)
          --max-session-queue SIZE bytes queued for one client's streams before it is disconnected (default: 8MiB)
          --max-message SIZE       largest message a child may write (default: 16MiB; larger drops the child)
          --no-metrics             do not count calls and do not serve GET /metrics
          --otlp-endpoint URL      send traces over OTLP to URL (default: OTEL_EXPORTER_OTLP_ENDPOINT; none: no tracing)
          --help                   show this help
          --version                show the version

        Endpoints: /mcp (Streamable HTTP), GET /sse + POST /messages (legacy SSE),
                   POST /sse (plain JSON-RPC), GET /health, GET /metrics; /admin/* only on the admin socket.
        Environment (and appsettings.json "MCProxy" keys): MCPROXY_LOG=1, MCPROXY_LOG_LEVEL,
        MCPROXY_SYSLOG_TARGET, MCPROXY_SYSLOG_FACILITY, MCPROXY_SYSLOG_FORMAT, MCPROXY_OTLP_ENDPOINT; flags win.
        """;

    /// <summary>"4MiB", "512KiB", "1MB", "1048576" → bytes; null when unreadable.</summary>
    public static long? ParseSize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        text = text.Trim();
        var digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
        {
            digits++;
        }
        if (digits == 0 || !long.TryParse(text[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }
        long? factor = text[digits..].Trim().ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "k" or "kb" or "kib" => 1024,
            "m" or "mb" or "mib" => 1024 * 1024,
            "g" or "gb" or "gib" => 1024L * 1024 * 1024,
            _ => null,
        };
        return factor is { } f && number <= long.MaxValue / f ? number * f : null;
    }

    /// <summary>Parses <paramref name="args"/>; returns null with an error, or sets help/version.</summary>
    public static GatewayOptions? Parse(string[] args, out string? error, out bool help, out bool version) =>
        Parse(args, new GatewayOptions(), out error, out help, out version);

    /// <summary>Applies logging settings given as key/value (environment or appsettings.json); null with an error.</summary>
    public static GatewayOptions? ApplySettings(GatewayOptions options, Func<string, string?> setting, out string? error)
    {
        error = null;
        if (setting("LOG") is { Length: > 0 } log)
        {
            options = options with { LogToStdout = log is "1" or "true" or "stdout" };
        }
        foreach (var (key, flag) in new[] { ("LOG_LEVEL", "--log-level"), ("SYSLOG_TARGET", "--syslog-target"),
                     ("SYSLOG_FACILITY", "--syslog-facility"), ("SYSLOG_FORMAT", "--syslog-format"),
                     ("TLS_CERT", "--tls-cert"), ("TLS_KEY", "--tls-key"), ("OTLP_ENDPOINT", "--otlp-endpoint") })
        {
            if (setting(key) is { Length: > 0 } value)
            {
                var next = Parse([flag, value], options, out error, out _, out _);
                if (next is null)
                {
                    error = $"MCPROXY_{key}: {error}";
                    return null;
                }
                options = next;
            }
        }
        return options;
    }

    public static GatewayOptions? Parse(string[] args, GatewayOptions defaults, out string? error, out bool help, out bool version)
    {
        error = null;
        help = version = false;
        var options = defaults;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string? inline = null;
            var eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }
            string? Value()
            {
                if (inline is not null)
                {
                    return inline;
                }
                return i + 1 < args.Length ? args[++i] : null;
            }
            switch (arg)
            {
                case "--help" or "-h":
                    help = true;
                    break;
                case "--version":
                    version = true;
                    break;
                case "--log":
                    options = options with { LogToStdout = true };
                    break;
                case "--tls-cert":
                    if (Value() is not { Length: > 0 } cert) { error = "--tls-cert needs the path of a PEM certificate"; return null; }
                    options = options with { TlsCert = cert };
                    break;
                case "--tls-key":
                    if (Value() is not { Length: > 0 } key) { error = "--tls-key needs the path of the certificate's PEM key"; return null; }
                    options = options with { TlsKey = key };
                    break;
                case "--allow-unauthenticated":
                    options = options with { AllowUnauthenticated = true };
                    break;
                case "--no-metrics":
                    options = options with { Metrics = false };
                    break;
                case "--otlp-endpoint":
                    if (Value() is not { } otlp || !Telemetry.OtlpSettings.IsEndpoint(otlp))
                    {
                        error = "--otlp-endpoint needs an http:// or https:// URL, e.g. http://127.0.0.1:4318";
                        return null;
                    }
                    options = options with { OtlpEndpoint = otlp };
                    break;
                case "--no-reload":
                    options = options with { NoReload = true };
                    break;
                case "--config":
                    if (Value() is not { Length: > 0 } path) { error = "--config needs a path"; return null; }
                    options = options with { ConfigPath = path };
                    break;
                case "--admin-socket":
                    if (Value() is not { Length: > 0 } socket) { error = "--admin-socket needs a path (or none)"; return null; }
                    options = options with { AdminSocket = socket == "none" ? "" : socket };
                    break;
                case "--env-file":
                    if (Value() is not { Length: > 0 } envFile) { error = "--env-file needs a path"; return null; }
                    options = options with { EnvFile = envFile };
                    break;
                case "--host":
                    if (Value() is not { Length: > 0 } host) { error = "--host needs an address"; return null; }
                    options = options with { Host = host };
                    break;
                case "--port":
                    if (!int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
                    {
                        error = "--port needs a number from 0 to 65535";
                        return null;
                    }
                    options = options with { Port = port };
                    break;
                case "--reload-interval":
                    if (!double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0 || seconds > 3600)
                    {
                        error = "--reload-interval needs a number of seconds (e.g. 1.0)";
                        return null;
                    }
                    options = options with { ReloadIntervalSeconds = seconds };
                    break;
                case "--separator":
                    if (Value() is not { Length: > 0 } separator || separator.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')))
                    {
                        error = "--separator needs one or more of the characters A-Z a-z 0-9 _ - .";
                        return null;
                    }
                    options = options with { Separator = separator };
                    break;
                case "--allowed-hosts":
                    options = options with { AllowedHosts = (Value() ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
                    break;
                case "--allowed-origins":
                    options = options with { AllowedOrigins = (Value() ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
                    break;
                case "--max-body" or "--max-session-queue" or "--max-message":
                    if (ParseSize(Value()) is not { } size || size < 1024 || (arg == "--max-message" && size > int.MaxValue / 2))
                    {
                        error = $"{arg} needs a size of at least 1024 bytes, e.g. 4MiB, 512KiB or 1048576";
                        return null;
                    }
                    options = options with
                    {
                        Limits = arg switch
                        {
                            "--max-body" => options.Limits with { MaxBodyBytes = size },
                            "--max-session-queue" => options.Limits with { SessionQueueBytes = size },
                            _ => options.Limits with { MaxChildMessageBytes = (int)size },
                        },
                    };
                    break;
                case "--max-batch" or "--max-sessions":
                    if (!int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
                    {
                        error = $"{arg} needs a whole number of at least 1";
                        return null;
                    }
                    options = options with
                    {
                        Limits = arg == "--max-batch" ? options.Limits with { MaxBatch = count } : options.Limits with { MaxSessions = count },
                    };
                    break;
                case "--log-level":
                    if (!Enum.TryParse<LogEventLevel>(Value() switch { "debug" => "Debug", "info" => "Information", "trace" => "Verbose", var v => v },
                            ignoreCase: true, out var level))
                    {
                        error = "--log-level needs debug, information, warning or error";
                        return null;
                    }
                    options = options with { LogLevel = level };
                    break;
                case "--syslog-target":
                    var target = Value();
                    if (target is null || !Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.Scheme is not ("unix" or "udp" or "tcp"))
                    {
                        error = "--syslog-target needs unix:///path, udp://host:port or tcp://host:port";
                        return null;
                    }
                    options = options with { Syslog = options.Syslog with { Target = target } };
                    break;
                case "--syslog-facility":
                    if (SyslogOptions.ParseFacility(Value() ?? "") is not { } facility)
                    {
                        error = "--syslog-facility needs a facility name (daemon, user, local0 … local7) or 0–23";
                        return null;
                    }
                    options = options with { Syslog = options.Syslog with { Facility = facility } };
                    break;
                case "--syslog-format":
                    switch (Value()?.ToLowerInvariant())
                    {
                        case "rfc5424": options = options with { Syslog = options.Syslog with { Format = SyslogFormat.Rfc5424 } }; break;
                        case "rfc3164": options = options with { Syslog = options.Syslog with { Format = SyslogFormat.Rfc3164 } }; break;
                        default: error = "--syslog-format needs rfc5424 or rfc3164"; return null;
                    }
                    break;
                default:
                    error = $"unknown option '{args[i]}' (see --help)";
                    return null;
            }
        }
        return options;
    }
}
