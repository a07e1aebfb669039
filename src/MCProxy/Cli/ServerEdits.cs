using System.Text.Json;
using MCProxy.Configuration;

namespace MCProxy.Cli;

/// <summary>
/// <c>mcproxy servers add | remove | enable | disable</c>: edits the config file's text in place
/// (<see cref="ConfigEditor"/>: other entries keep their bytes), checks the result with the daemon's validator, saves
/// it atomically (<see cref="ConfigFileWriter"/>), then waits — bounded — for the running daemon's normal reload to
/// apply it and reports the server's new state from the admin API.
/// </summary>
internal static class ServerEdits
{
    /// <summary>How long the daemon gets to notice the save (its watcher reacts within about a second).</summary>
    public static readonly TimeSpan ReloadWait = TimeSpan.FromSeconds(5);

    /// <summary>How long a started server gets to settle (the reconciler itself waits up to 10 s).</summary>
    public static readonly TimeSpan SettleWait = TimeSpan.FromSeconds(15);

    public static Task<int> AddAsync(CliContext cli, NewServerEntry entry, CancellationToken ct) =>
        EditAsync(cli, "added", entry.Name, bytes => ConfigEditor.AddServer(bytes, entry), Want.Running, ct);

    public static Task<int> RemoveAsync(CliContext cli, string name, CancellationToken ct) =>
        EditAsync(cli, "removed", name, bytes => ConfigEditor.RemoveServer(bytes, name), Want.Gone, ct);

    public static Task<int> SetEnabledAsync(CliContext cli, string name, bool enabled, CancellationToken ct) =>
        EditAsync(cli, enabled ? "enabled" : "disabled", name, bytes => ConfigEditor.SetEnabled(bytes, name, enabled),
            enabled ? Want.Running : Want.Disabled, ct);

    private enum Want { Running, Gone, Disabled }

    private static async Task<int> EditAsync(CliContext cli, string done, string name, Func<byte[], byte[]?> edit, Want want, CancellationToken ct)
    {
        using var admin = cli.Admin(TimeSpan.FromSeconds(10));
        using var before = await admin.TryStatusAsync(ct).ConfigureAwait(false);
        var path = cli.ConfigPath(before?.RootElement);
        if (!File.Exists(path))
        {
            throw new CliException($"no config file at {path}: pass --config PATH");
        }
        var (bytes, bom) = ConfigFileWriter.Read(path);
        byte[]? edited;
        try
        {
            edited = edit(bytes);
        }
        catch (ConfigEditException ex)
        {
            throw new CliException($"{ex.Message} ({path})");
        }
        if (edited is null)
        {
            return Report(cli, path, name, $"server '{name}' is already {done}; {path} is unchanged", applied: null, server: null, 0);
        }
        var separator = before?.RootElement.GetProperty("config"u8).GetProperty("separator"u8).GetString() ?? GatewayOptions.DefaultSeparator;
        Validate(cli, bytes, edited, name, want, separator);
        try
        {
            ConfigFileWriter.Write(path, edited, bom);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot save {path} ({ex.Message}): run as a user who may write its directory (e.g. with sudo)");
        }
        if (before is null)
        {
            return Report(cli, path, name, $"{done} '{name}' in {path}; no gateway answers on {admin.SocketPath}, so it applies at the next start", applied: false, server: null, 0);
        }
        var config = before.RootElement.GetProperty("config"u8);
        if (config.GetProperty("path"u8).GetString() != path)
        {
            return Report(cli, path, name, $"{done} '{name}' in {path}; the running gateway reads {config.GetProperty("path"u8).GetString()}, so nothing changes there", applied: false, server: null, 0);
        }
        if (!config.GetProperty("watching"u8).GetBoolean())
        {
            return Report(cli, path, name, $"{done} '{name}' in {path}; the gateway runs with --no-reload: restart it to apply the change", applied: false, server: null, 0);
        }
        return await WaitAsync(cli, admin, path, name, done, want, config.GetProperty("reloads"u8).GetInt64(), ct).ConfigureAwait(false);
    }

    private static async Task<int> WaitAsync(CliContext cli, AdminClient admin, string path, string name, string done, Want want, long reloadsBefore, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var reloaded = false;
        while (true)
        {
            using var status = await admin.GetAsync("/admin/status", ct).ConfigureAwait(false);
            var root = status.RootElement;
            var config = root.GetProperty("config"u8);
            reloaded |= config.GetProperty("reloads"u8).GetInt64() > reloadsBefore;
            if (reloaded && config.GetProperty("status"u8).GetString() == "invalid")
            {
                foreach (var error in config.GetProperty("errors"u8).EnumerateArray())
                {
                    cli.Error.WriteLine($"  {StatusCommand.Problem(error)}");
                }
                throw new CliException($"saved {path}, but the gateway rejected the file and keeps the last good config: fix the problems above (mcproxy check)");
            }
            JsonElement? server = root.GetProperty("servers"u8).EnumerateArray()
                .Where(s => s.GetProperty("name"u8).GetString() == name).Select(s => (JsonElement?)s).FirstOrDefault();
            var state = server?.GetProperty("state"u8).GetString();
            var settled = reloaded && want switch
            {
                Want.Gone => server is null,
                Want.Disabled => state == "disabled",
                _ => state is not (null or "starting" or "restarting" or "disabled"),
            };
            if (settled)
            {
                var ok = want != Want.Running || state == "ready";
                var text = want == Want.Gone ? $"{done} '{name}': the gateway stopped it"
                    : want == Want.Disabled ? $"{done} '{name}': the gateway stopped it"
                    : ok ? $"{done} '{name}': {ServersCommand.Describe(server!.Value)}"
                    : $"{done} '{name}', but it did not start: {ServersCommand.Describe(server!.Value)} (mcproxy logs {name})";
                return Report(cli, path, name, text, applied: true, server, ok ? 0 : 1);
            }
            var waited = DateTime.UtcNow - started;
            if ((!reloaded && waited > ReloadWait) || waited > ReloadWait + SettleWait)
            {
                throw new CliException(reloaded
                    ? $"saved {path}; the gateway reloaded but '{name}' is still {state ?? "absent"} after {waited.TotalSeconds:0} s: mcproxy status, mcproxy logs {name}"
                    : $"saved {path}, but the gateway did not reload within {ReloadWait.TotalSeconds:0} s: mcproxy status, or systemctl reload mcproxy");
            }
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    private static int Report(CliContext cli, string path, string name, string text, bool? applied, JsonElement? server, int exitCode)
    {
        if (!cli.Json)
        {
            (exitCode == 0 ? cli.Out : cli.Error).WriteLine(exitCode == 0 ? text : $"mcproxy: {text}");
            return exitCode;
        }
        cli.WriteJson(w =>
        {
            w.WriteStartObject();
            w.WriteString("config"u8, path);
            w.WriteString("server"u8, name);
            if (applied is { } a)
            {
                w.WriteBoolean("applied"u8, a);
            }
            else
            {
                w.WriteBoolean("changed"u8, false);
            }
            w.WriteString("message"u8, text);
            if (server is { } s)
            {
                w.WritePropertyName("state"u8);
                s.WriteTo(w);
            }
            w.WriteEndObject();
        });
        return exitCode;
    }

    /// <summary>
    /// The daemon's validator on the edited text, with every <c>${VAR}</c> taken as set (this shell's environment is
    /// not the daemon's; the daemon's verdict comes after the save). Refuses an edit that breaks a file that was
    /// whole, or a server added or enabled that could not start.
    /// </summary>
    private static void Validate(CliContext cli, byte[] original, byte[] edited, string name, Want want, string separator)
    {
        var before = Load(original, separator);
        var after = Load(edited, separator);
        var problems = !after.IsValid && before.IsValid ? after.FileErrors
            : want == Want.Running && after.Config?.Servers.FirstOrDefault(s => s.Name == name) is { IsValid: false } invalid ? invalid.Errors
            : [];
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                cli.Error.WriteLine($"  {problem}");
            }
            throw new CliException($"the edit would leave '{name}' or the file invalid (problems above); nothing was saved");
        }
        if (!before.IsValid)
        {
            cli.Error.WriteLine("mcproxy: the file already had problems before this edit: mcproxy check shows them");
        }
    }

    private static ConfigLoadResult Load(byte[] bytes, string separator) => CheckCommand.LoadWithAnyVariables(bytes, separator);
}
