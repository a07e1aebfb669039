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
        else if (ConfigLoader.IsReserved(name))
        {
            Error(keyedByName ? "" : "name", $"the name '{name}' is reserved for the gateway (its own tools and spilled results): choose another");
        }

        var knownType = RemoteParser.TryReadType(element, Error, out var remoteTransport);

        var unset = new List<string>();
        var secrets = new List<string>();
        string? Expand(string field, string value)
        {
            unset.Clear();
            var result = VariableExpander.Expand(value, environment.Lookup, unset);
            if (result is { Length: >= 8 } && value.Contains("${", StringComparison.Ordinal) && !field.StartsWith("url", StringComparison.Ordinal) &&
                field is not ("command" or "cwd" or "caFile") && !field.StartsWith("args", StringComparison.Ordinal))
            {
                secrets.Add(result);
            }
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
            foreach (var stdioOnly in new[] { "args", "env", "cwd", "inheritEnv", "limits" })
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

        string? protocol = null; // probe server/discover, then initialize
        if (element.TryGetProperty("protocol", out var protocolElement) && protocolElement.ValueKind != JsonValueKind.Null)
        {
            protocol = protocolElement.ValueKind == JsonValueKind.String ? protocolElement.GetString() : "";
            if (protocol is "auto")
            {
                protocol = null;
            }
            else if (protocol is not (ServerConfig.Protocol2025 or ServerConfig.Protocol2026))
            {
                Error("protocol", $"\"protocol\" must be \"auto\" (ask server/discover, then initialize), \"{ServerConfig.Protocol2025}\" " +
                                  $"(initialize only) or \"{ServerConfig.Protocol2026}\" (server/discover only)");
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

        var limits = remoteTransport is null && element.TryGetProperty("limits", out var limitsElement)
            ? ChildLimits.Parse(limitsElement, Error)
            : ChildLimits.None;

        var shape = ParseShape(element, separator, Error);
        var maxOutput = ConfigLoader.ReadCap(element, Error);
        var redact = element.TryGetProperty("redact", out var redactElement) ? RedactionConfig.Parse(redactElement, Error) ?? RedactionConfig.Off : RedactionConfig.Off;

        if (errors.Count > 0 || name is null || command is null || (remoteTransport is not null && remote is null))
        {
            return new ServerDefinition(displayName, null, errors);
        }
        return new ServerDefinition(name, new ServerConfig
        {
            Name = name, Command = command, Args = args, Env = env, Cwd = cwd, Timeout = timeout, Enabled = enabled, Tools = tools,
            Shape = shape, MaxOutputBytes = maxOutput, Redact = redact, Secrets = secrets.Distinct().ToArray(), Remote = remote, Limits = limits, Protocol = protocol, InheritEnv = remote is null ? inheritEnv : true, // no child, no environment: a default flip must not restart remotes
        }, []);
    }

    /// <summary>rename, descriptions, prefix and tags (see <see cref="ToolShape"/>); problems go to <paramref name="error"/>.</summary>
    private static ToolShape ParseShape(JsonElement element, string separator, Action<string, string> error)
    {
        var rename = new Dictionary<string, string>(StringComparer.Ordinal);
        if (element.TryGetProperty("rename", out var renameElement) && renameElement.ValueKind != JsonValueKind.Null)
        {
            if (renameElement.ValueKind != JsonValueKind.Object)
            {
                error("rename", "\"rename\" must be an object: {\"original_tool\": \"new_name\"}");
            }
            else
            {
                foreach (var entry in renameElement.EnumerateObject())
                {
                    var target = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : null;
                    if (target is null || !ToolNamePattern().IsMatch(target))
                    {
                        error($"rename.{entry.Name}", "the new name must be 1–128 letters, digits, '_', '-' or '.'");
                    }
                    else if (entry.Name.Contains('*'))
                    {
                        error($"rename.{entry.Name}", "rename keys are exact tool names: a glob would give several tools one name");
                    }
                    else if (rename.FirstOrDefault(kv => kv.Value == target) is { Key: { } other })
                    {
                        error($"rename.{entry.Name}", $"'{other}' is already renamed to '{target}'");
                    }
                    else
                    {
                        rename[entry.Name] = target;
                    }
                }
            }
        }
        var descriptions = new List<(Glob, string)>();
        if (element.TryGetProperty("descriptions", out var descriptionsElement) && descriptionsElement.ValueKind != JsonValueKind.Null)
        {
            if (descriptionsElement.ValueKind != JsonValueKind.Object)
            {
                error("descriptions", "\"descriptions\" must be an object: {\"tool_or_glob\": \"text for models\"}");
            }
            else
            {
                foreach (var entry in descriptionsElement.EnumerateObject())
                {
                    if (entry.Value.ValueKind != JsonValueKind.String)
                    {
                        error($"descriptions.{entry.Name}", "a description must be a string");
                    }
                    else
                    {
                        descriptions.Add((new Glob(entry.Name), entry.Value.GetString()!));
                    }
                }
            }
        }
        string? prefix = null;
        if (element.TryGetProperty("prefix", out var prefixElement) && prefixElement.ValueKind != JsonValueKind.Null)
        {
            prefix = prefixElement.ValueKind == JsonValueKind.String ? prefixElement.GetString() : null;
            if (prefix is null || (prefix.Length > 0 && !NamePattern().IsMatch(prefix)) || (prefix.Length > 0 && prefix.Contains(separator, StringComparison.Ordinal)))
            {
                error("prefix", $"\"prefix\" must be letters, digits, '_' and '-' without the separator '{separator}', or \"\" for bare tool names");
                prefix = null;
            }
            else if (ConfigLoader.IsReserved(prefix))
            {
                error("prefix", $"the prefix '{prefix}' is reserved for the gateway (its own tools and spilled results)");
                prefix = null;
            }
        }
        var tags = new List<string>();
        if (element.TryGetProperty("tags", out var tagsElement) && tagsElement.ValueKind != JsonValueKind.Null)
        {
            if (tagsElement.ValueKind != JsonValueKind.Array ||
                tagsElement.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String || !NamePattern().IsMatch(t.GetString()!) || t.GetString()!.Contains(separator, StringComparison.Ordinal)))
            {
                error("tags", $"\"tags\" must be an array of names (letters, digits, '_', '-', without '{separator}'), e.g. [\"db\", \"prod\"]");
            }
            else
            {
                tags.AddRange(tagsElement.EnumerateArray().Select(t => t.GetString()!).Distinct(StringComparer.Ordinal));
            }
        }
        return rename.Count == 0 && descriptions.Count == 0 && prefix is null && tags.Count == 0
            ? ToolShape.None
            : new ToolShape(rename, descriptions, prefix, tags);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,128}$")]
    private static partial Regex ToolNamePattern();
}
