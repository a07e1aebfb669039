using System.Text.Json;
using System.Text.RegularExpressions;

namespace MCProxy.Configuration;

/// <summary>Validates and expands one server entry, collecting every problem it has.</summary>
internal static partial class ServerParser
{
    public static ServerDefinition Parse(string? name, string path, JsonElement element, EnvironmentSource environment,
        string separator, bool keyedByName, bool inheritEnvDefault = true)
    {
        var errors = new List<ConfigError>();
        var displayName = name ?? path;
        void Error(string field, string message) => errors.Add(new ConfigError(displayName, field.Length == 0 ? path : $"{path}.{field}", message));

        if (element.ValueKind != JsonValueKind.Object)
        {
            Error("", "a server must be a JSON object with at least \"name\" and \"command\" (or \"url\")");
            return new ServerDefinition(displayName, null, errors);
        }

        if (name is null)
        {
            Error("name", keyedByName ? "missing name" : "missing \"name\": give the server a name (letters, digits, '_' or '-')");
        }
        else if (!NamePattern().IsMatch(name))
        {
            Error(keyedByName ? "" : "name", $"invalid name '{name}': use only letters, digits, '_' and '-'");
        }
        else if (name.Contains(separator, StringComparison.Ordinal))
        {
            Error(keyedByName ? "" : "name", $"invalid name '{name}': it must not contain the tool-name separator '{separator}'");
        }
        else if (string.Equals(name, ConfigLoader.ReservedServerName, StringComparison.OrdinalIgnoreCase))
        {
            Error(keyedByName ? "" : "name", $"the name '{name}' is reserved for the gateway's own tools: choose another");
        }

        var knownType = RemoteParser.TryReadType(element, Error, out var remoteTransport);

        var unset = new List<string>();
        string? Expand(string field, string value)
        {
            unset.Clear();
            var result = VariableExpander.Expand(value, environment.Lookup, unset);
            foreach (var variable in unset)
            {
                Error(field, variable.StartsWith(EnvironmentSource.FilePrefix, StringComparison.Ordinal)
                    ? $"secret file '{variable[EnvironmentSource.FilePrefix.Length..]}' cannot be read (missing, unreadable or over 64 KiB)"
                    : $"environment variable '{variable}' is not set: set it in the environment or .env, " +
                      $"or give a default as ${{{variable}:-value}}");
            }
            return result;
        }

        RemoteServer? remote = null;
        if (remoteTransport is { } transport)
        {
            if (element.TryGetProperty("command", out _))
            {
                Error("command", "give either \"command\" (a stdio server) or \"url\" (a remote server), not both");
            }
            foreach (var stdioOnly in new[] { "args", "env", "cwd", "inheritEnv" })
            {
                if (element.TryGetProperty(stdioOnly, out var v) && v.ValueKind != JsonValueKind.Null)
                {
                    Error(stdioOnly, $"\"{stdioOnly}\" applies to stdio servers only; a remote server takes \"headers\" and \"auth\"");
                }
            }
            remote = RemoteParser.Parse(element, transport, Expand, Error);
        }
        foreach (var remoteOnly in remoteTransport is null && knownType ? RemoteParser.Fields : [])
        {
            if (element.TryGetProperty(remoteOnly, out var v) && v.ValueKind != JsonValueKind.Null)
            {
                Error(remoteOnly, $"\"{remoteOnly}\" applies to remote servers only: give \"url\" (and \"type\") instead of \"command\"");
            }
        }

        string? command = null;
        if (remoteTransport is not null)
        {
            command = "";
        }
        else if (!knownType)
        {
            // The type error says it all: no second error about a command the entry may rightly lack.
        }
        else if (!element.TryGetProperty("command", out var commandElement))
        {
            Error("command", "missing \"command\": give the program to start, e.g. \"npx\" (or \"url\" for a remote server)");
        }
        else if (commandElement.ValueKind != JsonValueKind.String || commandElement.GetString()!.Trim().Length == 0)
        {
            Error("command", "\"command\" must be a non-empty string");
        }
        else
        {
            command = Expand("command", commandElement.GetString()!);
        }

        var args = new List<string>();
        if (element.TryGetProperty("args", out var argsElement) && argsElement.ValueKind != JsonValueKind.Null)
        {
            if (argsElement.ValueKind != JsonValueKind.Array)
            {
                Error("args", "\"args\" must be an array of strings");
            }
            else
            {
                var i = 0;
                foreach (var arg in argsElement.EnumerateArray())
                {
                    var field = $"args[{i++}]";
                    if (arg.ValueKind != JsonValueKind.String)
                    {
                        Error(field, "each argument must be a string (quote numbers)");
                        continue;
                    }
                    if (Expand(field, arg.GetString()!) is { } expanded)
                    {
                        args.Add(expanded);
                    }
                }
            }
        }

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (element.TryGetProperty("env", out var envElement) && envElement.ValueKind != JsonValueKind.Null)
        {
            if (envElement.ValueKind != JsonValueKind.Object)
            {
                Error("env", "\"env\" must be an object of string values");
            }
            else
            {
                foreach (var prop in envElement.EnumerateObject())
                {
                    var field = $"env.{prop.Name}";
                    if (prop.Value.ValueKind != JsonValueKind.String)
                    {
                        Error(field, "environment values must be strings (quote numbers and booleans)");
                        continue;
                    }
                    if (Expand(field, prop.Value.GetString()!) is { } expanded)
                    {
                        env[prop.Name] = expanded;
                    }
                }
            }
        }

        string? cwd = null;
        if (element.TryGetProperty("cwd", out var cwdElement) && cwdElement.ValueKind != JsonValueKind.Null)
        {
            if (cwdElement.ValueKind != JsonValueKind.String)
            {
                Error("cwd", "\"cwd\" must be a string (a directory path)");
            }
            else
            {
                cwd = Expand("cwd", cwdElement.GetString()!);
            }
        }

        var timeout = ServerConfig.DefaultTimeout;
        if (element.TryGetProperty("timeout", out var timeoutElement) && timeoutElement.ValueKind != JsonValueKind.Null)
        {
            if (timeoutElement.ValueKind != JsonValueKind.Number || !timeoutElement.TryGetDouble(out var seconds) ||
                seconds <= 0 || seconds > 86_400)
            {
                Error("timeout", "\"timeout\" must be a number of seconds between 0 and 86400");
            }
            else
            {
                timeout = TimeSpan.FromSeconds(seconds);
            }
        }

        var enabled = true;
        if (element.TryGetProperty("enabled", out var enabledElement) && enabledElement.ValueKind != JsonValueKind.Null)
        {
            if (enabledElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                Error("enabled", "\"enabled\" must be true or false");
            }
            else
            {
                enabled = enabledElement.GetBoolean();
            }
        }
        if (element.TryGetProperty("disabled", out var disabledElement) && disabledElement.ValueKind is JsonValueKind.True)
        {
            enabled = false; // the Claude/Cursor spelling
        }

        var inheritEnv = inheritEnvDefault;
        if (element.TryGetProperty("inheritEnv", out var inheritElement) && inheritElement.ValueKind != JsonValueKind.Null && remoteTransport is null)
        {
            if (inheritElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                Error("inheritEnv", "\"inheritEnv\" must be true or false");
            }
            else
            {
                inheritEnv = inheritElement.GetBoolean();
            }
        }

        var tools = ToolFilter.All;
        if (element.TryGetProperty("tools", out var toolsElement) && toolsElement.ValueKind != JsonValueKind.Null)
        {
            IReadOnlyList<string> Globs(string member) =>
                Glob.ReadList(toolsElement, member, "read_*", message => Error($"tools.{member}", message)) ?? [];
            if (toolsElement.ValueKind != JsonValueKind.Object)
            {
                Error("tools", "\"tools\" must be an object: {\"allow\": [\"read_*\"], \"deny\": [\"delete_*\"]} over the server's own tool names");
            }
            else
            {
                tools = new ToolFilter(Globs("allow"), Globs("deny"));
            }
        }

        if (errors.Count > 0 || name is null || command is null || (remoteTransport is not null && remote is null))
        {
            return new ServerDefinition(displayName, null, errors);
        }
        return new ServerDefinition(name, new ServerConfig
        {
            Name = name, Command = command, Args = args, Env = env, Cwd = cwd, Timeout = timeout, Enabled = enabled, Tools = tools,
            Remote = remote, InheritEnv = remote is null ? inheritEnv : true, // no child, no environment: a default flip must not restart remotes
        }, []);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex NamePattern();
}
