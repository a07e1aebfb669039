using System.Text.Json;

namespace MCProxy.Configuration;

/// <summary>
/// Turns the text of mcp-servers.json into a <see cref="GatewayConfig"/>. Pure: no I/O besides what the caller passes in.
/// Accepts <c>{"servers":[{"name":…}]}</c> and the Claude/Cursor form <c>{"mcpServers":{"name":{…}}}</c>.
/// Every problem is collected (rule: validate everything first). File errors reject the whole file;
/// server errors mark only that server invalid.
/// </summary>
internal static class ConfigLoader
{
    public const string ReservedServerName = "mcproxy";

    /// <summary>Names no server may take: the gateway's own tools, the home of spilled results (mcproxy://results/…), the broadcast tools.</summary>
    public static bool IsReserved(string name) =>
        string.Equals(name, ReservedServerName, StringComparison.OrdinalIgnoreCase) || string.Equals(name, "results", StringComparison.OrdinalIgnoreCase) ||
        string.Equals(name, "broadcast", StringComparison.OrdinalIgnoreCase);

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static ConfigLoadResult Load(string json, EnvironmentSource environment, string separator)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $"line {line + 1}, column {(ex.BytePositionInLine ?? 0) + 1}" : "$";
            return ConfigLoadResult.Rejected([new ConfigError(null, where, $"malformed JSON: {FirstSentence(ex.Message)}")]);
        }
        using (document)
        {
            return LoadDocument(document.RootElement, environment, separator);
        }
    }

    private static ConfigLoadResult LoadDocument(JsonElement root, EnvironmentSource environment, string separator)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ConfigLoadResult.Rejected([new ConfigError(null, "$",
                "the file must be a JSON object with a \"servers\" array or a \"mcpServers\" object")]);
        }
        var hasServers = root.TryGetProperty("servers", out var servers);
        var hasMcpServers = root.TryGetProperty("mcpServers", out var mcpServers);
        var entries = new List<(string? Name, string Path, JsonElement Element)>();
        var fileErrors = new List<ConfigError>();
        if (hasServers && hasMcpServers)
        {
            fileErrors.Add(new ConfigError(null, "$", "use either \"servers\" or \"mcpServers\", not both"));
        }
        else if (hasServers)
        {
            if (servers.ValueKind == JsonValueKind.Object)
            {
                // VS Code's mcp.json: "servers" keyed by name, like "mcpServers".
                foreach (var prop in servers.EnumerateObject())
                {
                    entries.Add((prop.Name, $"$.servers.{prop.Name}", prop.Value));
                }
            }
            else if (servers.ValueKind != JsonValueKind.Array)
            {
                fileErrors.Add(new ConfigError(null, "$.servers", "\"servers\" must be an array of server objects (or an object keyed by name, as VS Code writes it)"));
            }
            else
            {
                var i = 0;
                foreach (var item in servers.EnumerateArray())
                {
                    var path = $"$.servers[{i++}]";
                    var name = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("name", out var n)
                        && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
                    entries.Add((name, path, item));
                }
            }
        }
        else if (hasMcpServers)
        {
            if (mcpServers.ValueKind != JsonValueKind.Object)
            {
                fileErrors.Add(new ConfigError(null, "$.mcpServers", "\"mcpServers\" must be an object keyed by server name"));
            }
            else
            {
                foreach (var prop in mcpServers.EnumerateObject())
                {
                    entries.Add((prop.Name, $"$.mcpServers.{prop.Name}", prop.Value));
                }
            }
        }
        else
        {
            fileErrors.Add(new ConfigError(null, "$",
                "no servers: add a \"servers\" array (or a Claude/Cursor-style \"mcpServers\" object)"));
        }

        foreach (var group in entries.Where(e => e.Name is not null).GroupBy(e => e.Name!, StringComparer.Ordinal))
        {
            if (group.Count() > 1)
            {
                fileErrors.Add(new ConfigError(group.Key, string.Join(", ", group.Select(g => g.Path)),
                    "duplicate server name: every server needs a unique name"));
            }
        }
        AuthConfig? auth = null;
        if (root.TryGetProperty("auth", out var authElement))
        {
            // NOTE 1: an auth problem rejects the whole file, so the last good config — its auth included — runs on.
            auth = AuthParser.Parse(authElement, environment, fileErrors);
        }
        var audit = root.TryGetProperty("audit", out var auditElement) ? AuditConfig.Parse(auditElement, fileErrors) : AuditConfig.Default;
        var results = ParseResults(root, fileErrors);
        var disclosure = root.TryGetProperty("disclosure", out var disclosureElement)
            ? DisclosureConfig.Parse(disclosureElement, DisclosureConfig.Default, (field, message) => fileErrors.Add(new ConfigError(null, "$." + field, message))) ?? DisclosureConfig.Default
            : DisclosureConfig.Default;
        var broadcast = false;
        if (root.TryGetProperty("broadcast", out var broadcastElement) && broadcastElement.ValueKind != JsonValueKind.Null)
        {
            if (broadcastElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                fileErrors.Add(new ConfigError(null, "$.broadcast", "\"broadcast\" must be true or false"));
            }
            else
            {
                broadcast = broadcastElement.GetBoolean();
            }
        }
        var inheritEnv = true;
        if (root.TryGetProperty("inheritEnv", out var inheritElement) && inheritElement.ValueKind != JsonValueKind.Null)
        {
            if (inheritElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                fileErrors.Add(new ConfigError(null, "$.inheritEnv", "\"inheritEnv\" must be true or false (the default for every stdio server)"));
            }
            else
            {
                inheritEnv = inheritElement.GetBoolean();
            }
        }
        if (fileErrors.Count > 0)
        {
            return ConfigLoadResult.Rejected(fileErrors);
        }

        var definitions = new List<ServerDefinition>(entries.Count);
        foreach (var (name, path, element) in entries)
        {
            definitions.Add(ServerParser.Parse(name, path, element, environment, separator, hasMcpServers || servers.ValueKind == JsonValueKind.Object, inheritEnv));
        }
        // Namespaces must not collide: a prefix is the server's name unless "prefix" says otherwise.
        var namespaces = definitions.Where(d => d.Config is { Enabled: true }).GroupBy(d => d.Config!.Shape.PrefixFor(d.Name), StringComparer.Ordinal);
        foreach (var clash in namespaces.Where(g => g.Count() > 1))
        {
            fileErrors.Add(new ConfigError(null, "prefix", clash.Key.Length == 0
                ? $"servers {string.Join(" and ", clash.Select(d => $"'{d.Name}'"))} both expose bare tool names (\"prefix\": \"\"): only one server may"
                : $"servers {string.Join(" and ", clash.Select(d => $"'{d.Name}'"))} both use the prefix '{clash.Key}': give one another \"prefix\""));
        }
        if (fileErrors.Count > 0)
        {
            return ConfigLoadResult.Rejected(fileErrors);
        }
        return new ConfigLoadResult(new GatewayConfig(definitions, auth, audit) { Results = results, Disclosure = disclosure, Broadcast = broadcast }, []);
    }

    /// <summary>Top-level "maxOutputBytes", "redact" and "spill" (see <see cref="ResultsConfig"/>).</summary>
    private static ResultsConfig ParseResults(JsonElement root, List<ConfigError> fileErrors)
    {
        void Error(string field, string message) => fileErrors.Add(new ConfigError(null, "$." + field, message));
        var cap = ReadCap(root, Error);
        var redact = root.TryGetProperty("redact", out var r) ? RedactionConfig.Parse(r, Error) ?? RedactionConfig.Off : RedactionConfig.Off;
        var spill = root.TryGetProperty("spill", out var sp) && sp.ValueKind != JsonValueKind.Null ? SpillConfig.Parse(sp, Error) ?? SpillConfig.Default : SpillConfig.Default;
        return new ResultsConfig(cap, redact, spill);
    }

    /// <summary>"maxOutputBytes": a positive integer of at least <see cref="ResultsConfig.MinimumCap"/>, or absent.</summary>
    internal static int? ReadCap(JsonElement owner, Action<string, string> error)
    {
        if (!owner.TryGetProperty("maxOutputBytes", out var cap) || cap.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (cap.ValueKind != JsonValueKind.Number || !cap.TryGetInt32(out var bytes) || bytes < ResultsConfig.MinimumCap)
        {
            error("maxOutputBytes", $"\"maxOutputBytes\" must be a whole number of bytes, at least {ResultsConfig.MinimumCap}");
            return null;
        }
        return bytes;
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
