using System.Globalization;
using System.Text.Json;

namespace MCProxy.Cli;

/// <summary><c>mcproxy status</c>: the daemon's servers, states, pids, restarts, tools, child memory and CPU, sessions, config.</summary>
internal static class StatusCommand
{
    public static async Task<int> RunAsync(CliContext cli, CancellationToken ct)
    {
        using var admin = cli.Admin();
        using var status = await admin.GetAsync("/admin/status", ct).ConfigureAwait(false);
        var root = status.RootElement;
        if (cli.Json)
        {
            cli.WriteJson(root);
            return 0;
        }
        var listen = root.GetProperty("listen"u8);
        var config = root.GetProperty("config"u8);
        cli.Out.WriteLine($"mcproxy {root.GetProperty("version"u8).GetString()}: {root.GetProperty("status"u8).GetString()}" +
                          $" · pid {root.GetProperty("pid"u8).GetInt32()} · up {TextTable.Duration(root.GetProperty("uptimeSeconds"u8).GetDouble())}" +
                          $" · {root.GetProperty("sessions"u8).GetInt32()} sessions");
        cli.Out.WriteLine($"listening on {Url(listen)} (auth {(listen.GetProperty("auth"u8).GetBoolean() ? "on" : "off")})" +
                          $" · admin socket {listen.GetProperty("adminSocket"u8).GetString()}");
        var errors = config.GetProperty("errors"u8);
        cli.Out.WriteLine($"config {config.GetProperty("path"u8).GetString()}: {config.GetProperty("status"u8).GetString()}" +
                          $", {config.GetProperty("reloads"u8).GetInt64()} reloads{(config.GetProperty("watching"u8).GetBoolean() ? "" : " (not watched: --no-reload)")}");
        foreach (var error in errors.EnumerateArray())
        {
            cli.Out.WriteLine($"  {Problem(error)}");
        }
        cli.Out.WriteLine();
        WriteServers(cli.Out, root.GetProperty("servers"u8));
        return 0;
    }

    public static void WriteServers(TextWriter output, JsonElement servers)
    {
        var table = new TextTable("NAME", "STATE", "PID", "RESTARTS", "TOOLS", "RSS", "CPU", "LAST ERROR");
        foreach (var s in servers.EnumerateArray())
        {
            table.Add(
                s.GetProperty("name"u8).GetString()!,
                s.GetProperty("state"u8).GetString()!,
                s.GetProperty("pid"u8) is { ValueKind: JsonValueKind.Number } pid ? pid.GetInt32().ToString(CultureInfo.InvariantCulture) : "-",
                s.GetProperty("restarts"u8).GetInt32().ToString(CultureInfo.InvariantCulture),
                s.GetProperty("tools"u8).GetInt32().ToString(CultureInfo.InvariantCulture),
                s.TryGetProperty("rssBytes"u8, out var rss) ? TextTable.Bytes(rss.GetInt64()) : "-",
                s.TryGetProperty("cpuSeconds"u8, out var cpu) ? $"{cpu.GetDouble():0.00}s" : "-",
                s.TryGetProperty("lastError"u8, out var error) ? error.GetString()! : "");
        }
        if (table.Count == 0)
        {
            output.WriteLine("no servers configured: mcproxy servers add NAME -- COMMAND ARGS...");
            return;
        }
        table.WriteTo(output);
    }

    public static string Url(JsonElement listen)
    {
        var host = listen.GetProperty("host"u8).GetString()!;
        host = host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;
        return $"{(listen.GetProperty("tls"u8).GetBoolean() ? "https" : "http")}://{host}:{listen.GetProperty("port"u8).GetInt32()}";
    }

    /// <summary>A config problem as one line: its JSON path, then what is wrong and how to fix it.</summary>
    public static string Problem(JsonElement error) =>
        $"{error.GetProperty("path"u8).GetString()}: {error.GetProperty("message"u8).GetString()}" +
        (error.TryGetProperty("server"u8, out var server) ? $" (server '{server.GetString()}')" : "");
}
