using System.Globalization;

namespace MCProxy.Hosting;

/// <summary>Parses the design's flags. Hand-written: eight flags do not need a framework, and errors stay exact.</summary>
internal static class CommandLine
{
    public const string Usage = """
        MCProxy — one HTTP endpoint in front of many stdio MCP servers.

        Usage: mcproxy [options]

          --config PATH            server list (default: config/mcp-servers.json)
          --host HOST              address to listen on (default: 127.0.0.1; 0.0.0.0 for all)
          --port PORT              port to listen on (default: 12010)
          --log                    log to stdout (default: stdout until syslog output lands)
          --no-reload              do not watch the config file for changes
          --reload-interval SECS   poll interval of the config watcher (default: 1.0)
          --separator TEXT         between server and tool in exposed names (default: __)
          --env-file PATH          .env file for ${VAR} (default: .env beside the config)
          --help                   show this help
          --version                show the version

        Endpoints: /mcp (Streamable HTTP), GET /sse + POST /messages (legacy SSE),
                   POST /sse (plain JSON-RPC), GET /health.
        """;

    /// <summary>Parses <paramref name="args"/>; returns null with an error, or sets help/version.</summary>
    public static GatewayOptions? Parse(string[] args, out string? error, out bool help, out bool version)
    {
        error = null;
        help = version = false;
        var options = new GatewayOptions();
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
                case "--no-reload":
                    options = options with { NoReload = true };
                    break;
                case "--config":
                    if (Value() is not { Length: > 0 } path) { error = "--config needs a path"; return null; }
                    options = options with { ConfigPath = path };
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
                default:
                    error = $"unknown option '{args[i]}' (see --help)";
                    return null;
            }
        }
        return options;
    }
}
