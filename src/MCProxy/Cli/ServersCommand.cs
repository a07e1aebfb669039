using System.Globalization;
using System.Text.Json;
using MCProxy.Configuration;

namespace MCProxy.Cli;

/// <summary><c>mcproxy servers list | get NAME | restart NAME</c>: the daemon's view, or the file's when no daemon runs.</summary>
internal static class ServersCommand
{
    public static async Task<int> ListAsync(CliContext cli, CancellationToken ct)
    {
        using var admin = cli.Admin(TimeSpan.FromSeconds(10));
        using var status = await admin.TryStatusAsync(ct).ConfigureAwait(false);
        if (status is not null)
        {
            var servers = status.RootElement.GetProperty("servers"u8);
            if (cli.Json)
            {
                cli.WriteJson(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("source"u8, "gateway");
                    w.WritePropertyName("servers"u8);
                    servers.WriteTo(w);
                    w.WriteEndObject();
                });
                return 0;
            }
            var table = new TextTable("NAME", "STATE", "ENABLED", "KIND", "TOOLS", "COMMAND / URL");
            foreach (var s in servers.EnumerateArray())
            {
                table.Add(s.GetProperty("name"u8).GetString()!, s.GetProperty("state"u8).GetString()!,
                    s.GetProperty("enabled"u8).GetBoolean() ? "yes" : "no", s.GetProperty("kind"u8).GetString()!,
                    s.GetProperty("tools"u8).GetInt32().ToString(CultureInfo.InvariantCulture),
                    s.TryGetProperty("url"u8, out var url) ? url.GetString()! : s.TryGetProperty("command"u8, out var c) ? c.GetString()! : "");
            }
            table.WriteTo(cli.Out);
            return 0;
        }
        // No daemon: what the file says, states unknown.
        var path = cli.ConfigPath(null);
        var (loaded, _) = CheckCommand.Validate(path, null);
        if (loaded.Config is null)
        {
            throw new CliException($"no gateway answers on {admin.SocketPath} and {path} is not usable: mcproxy check {path}");
        }
        if (cli.Json)
        {
            cli.WriteJson(w =>
            {
                w.WriteStartObject();
                w.WriteString("source"u8, "file");
                w.WriteString("config"u8, path);
                w.WriteStartArray("servers"u8);
                foreach (var d in loaded.Config.Servers)
                {
                    w.WriteStartObject();
                    w.WriteString("name"u8, d.Name);
                    w.WriteBoolean("valid"u8, d.IsValid);
                    w.WriteBoolean("enabled"u8, d.Config?.Enabled ?? false);
                    w.WriteString("kind"u8, Kind(d.Config));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return 0;
        }
        cli.Error.WriteLine($"mcproxy: no gateway answers on {admin.SocketPath}; listing {path} (states unknown)");
        var fileTable = new TextTable("NAME", "ENABLED", "KIND", "COMMAND / URL");
        foreach (var d in loaded.Config.Servers)
        {
            fileTable.Add(d.Name, d.Config is null ? "invalid" : d.Config.Enabled ? "yes" : "no", Kind(d.Config),
                d.Config?.Remote?.DisplayUrl ?? d.Config?.Command ?? "");
        }
        fileTable.WriteTo(cli.Out);
        return 0;
    }

    public static async Task<int> GetAsync(CliContext cli, string name, CancellationToken ct)
    {
        using var admin = cli.Admin(TimeSpan.FromSeconds(10));
        using var status = await admin.TryStatusAsync(ct).ConfigureAwait(false);
        JsonElement? server = status?.RootElement.GetProperty("servers"u8).EnumerateArray()
            .Where(s => s.GetProperty("name"u8).GetString() == name).Select(s => (JsonElement?)s).FirstOrDefault();
        var path = cli.ConfigPath(status?.RootElement);
        string? entry = null;
        if (File.Exists(path))
        {
            try
            {
                entry = ConfigEditor.EntryText(ConfigFileWriter.Read(path).Bytes, name);
            }
            catch (ConfigEditException)
            {
                // A broken file: the daemon's view alone.
            }
        }
        if (server is null && entry is null)
        {
            throw new CliException($"no server '{name}' in {path}{(status is null ? "" : " or the running gateway")}: mcproxy servers list shows the names");
        }
        if (cli.Json)
        {
            cli.WriteJson(w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("server"u8);
                if (server is { } s)
                {
                    s.WriteTo(w);
                }
                else
                {
                    w.WriteNullValue();
                }
                w.WriteString("config"u8, path);
                w.WriteString("entry"u8, entry);
                w.WriteEndObject();
            });
            return 0;
        }
        if (server is { } found)
        {
            foreach (var property in found.EnumerateObject())
            {
                var value = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Number when property.Name == "rssBytes" => TextTable.Bytes(property.Value.GetInt64()),
                    JsonValueKind.Array => string.Join("; ", property.Value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Object ? StatusCommand.Problem(e) : e.ToString())),
                    JsonValueKind.Null => "-",
                    _ => property.Value.GetRawText(),
                };
                cli.Out.WriteLine($"{property.Name + ":",-14} {value}");
            }
        }
        else
        {
            cli.Out.WriteLine($"{"state:",-14} {(status is null ? "unknown (no gateway answers)" : "not running (not in the gateway's config yet)")}");
        }
        if (entry is not null)
        {
            cli.Out.WriteLine($"in {path}:");
            cli.Out.WriteLine(entry);
        }
        return 0;
    }

    public static async Task<int> RestartAsync(CliContext cli, string name, CancellationToken ct)
    {
        using var admin = cli.Admin(TimeSpan.FromSeconds(60));
        var (code, body) = await admin.PostAsync($"/admin/servers/{Uri.EscapeDataString(name)}/restart", [], ct).ConfigureAwait(false);
        using (body)
        {
            if (code != 200)
            {
                throw new CliException(AdminClient.ErrorText(body.RootElement) ?? $"the gateway answered {code}");
            }
            if (cli.Json)
            {
                cli.WriteJson(body.RootElement);
            }
            else
            {
                cli.Out.WriteLine($"restarted '{name}': {Describe(body.RootElement)}");
            }
            return body.RootElement.GetProperty("state"u8).GetString() == "ready" ? 0 : 1;
        }
    }

    /// <summary>"ready, 9 tools, pid 1234" or "failed: why".</summary>
    public static string Describe(JsonElement server)
    {
        var state = server.GetProperty("state"u8).GetString();
        var text = state == "ready"
            ? $"ready, {server.GetProperty("tools"u8).GetInt32()} tools" + (server.GetProperty("pid"u8) is { ValueKind: JsonValueKind.Number } pid ? $", pid {pid.GetInt32()}" : "")
            : state!;
        if (server.TryGetProperty("lastError"u8, out var error) && state != "ready")
        {
            text += $": {error.GetString()}";
        }
        if (server.TryGetProperty("configErrors"u8, out var problems))
        {
            text += ": " + string.Join("; ", problems.EnumerateArray().Select(StatusCommand.Problem));
        }
        return text;
    }

    private static string Kind(ServerConfig? config) => config?.Remote is { } r ? r.Transport.ToString().ToLowerInvariant() : config is null ? "-" : "stdio";
}
