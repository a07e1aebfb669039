using System.Text.Json;
using MCProxy.Configuration;

namespace MCProxy.Cli;

/// <summary>
/// <c>mcproxy setup --client claude|cursor|vscode|codex</c>: the snippet that points a client at this gateway's
/// <c>/mcp</c>, with the Authorization header when auth is on. NOTE 1: never a real token — the placeholder
/// <c>${MCPROXY_TOKEN}</c> (Claude Code expands it from the environment), or for Codex the variable's name.
/// </summary>
internal static class SetupCommand
{
    public static readonly string[] Clients = ["claude", "cursor", "vscode", "codex"];

    public const string TokenPlaceholder = "${MCPROXY_TOKEN}";

    public static async Task<int> RunAsync(CliContext cli, string client, string? hostOption, int? portOption, CancellationToken ct)
    {
        using var admin = cli.Admin(TimeSpan.FromSeconds(5));
        using var status = await admin.TryStatusAsync(ct).ConfigureAwait(false);
        string host;
        int port;
        bool tls, auth;
        if (status?.RootElement.GetProperty("listen"u8) is { } listen)
        {
            (host, port, tls, auth) = (listen.GetProperty("host"u8).GetString()!, listen.GetProperty("port"u8).GetInt32(),
                listen.GetProperty("tls"u8).GetBoolean(), listen.GetProperty("auth"u8).GetBoolean());
        }
        else
        {
            (host, port, tls, auth) = ("127.0.0.1", GatewayOptions.DefaultPort, false, FileHasAuth(cli.ConfigPath(null)));
            cli.Error.WriteLine($"mcproxy: no gateway answers on {admin.SocketPath}; assuming {host}:{port}{(auth ? " with auth (the config has an \"auth\" section)" : "")}");
        }
        if (hostOption is null && host is "0.0.0.0" or "::" or "*")
        {
            cli.Error.WriteLine("mcproxy: the gateway listens on every address; for another machine pass --host with this machine's name");
            host = "127.0.0.1";
        }
        host = hostOption ?? host;
        host = host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;
        var url = $"{(tls ? "https" : "http")}://{host}:{portOption ?? port}/mcp";
        if (client == "codex" && !cli.Json)
        {
            // Codex reads TOML (~/.codex/config.toml) and takes the token from a variable it names.
            cli.Out.WriteLine("[mcp_servers.mcproxy]");
            cli.Out.WriteLine($"url = \"{url}\"");
            if (auth)
            {
                cli.Out.WriteLine("bearer_token_env_var = \"MCPROXY_TOKEN\"");
            }
        }
        else
        {
            cli.WriteJson(w => Write(w, client, url, auth));
        }
        if (auth)
        {
            cli.Error.WriteLine("mcproxy: set MCPROXY_TOKEN in the client's environment to the token of an identity in the config's \"auth\" section");
        }
        return 0;
    }

    public static void Write(Utf8JsonWriter w, string client, string url, bool auth)
    {
        w.WriteStartObject();
        w.WriteStartObject(client switch { "vscode" => "servers", "codex" => "mcp_servers", _ => "mcpServers" });
        w.WriteStartObject("mcproxy"u8);
        if (client is "claude" or "vscode")
        {
            w.WriteString("type"u8, "http");
        }
        w.WriteString("url"u8, url);
        if (auth && client == "codex")
        {
            w.WriteString("bearer_token_env_var"u8, "MCPROXY_TOKEN");
        }
        else if (auth)
        {
            w.WriteStartObject("headers"u8);
            w.WriteString("Authorization"u8, "Bearer " + TokenPlaceholder);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static bool FileHasAuth(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("auth"u8, out _);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return false;
        }
    }
}
