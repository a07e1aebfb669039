using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MCProxy.Configuration;

namespace MCProxy.Cli;

/// <summary>The checks of <c>mcproxy doctor</c>, each a small pure-ish function of what it is given.</summary>
internal static class DoctorChecks
{
    public static DoctorFinding Gateway(JsonElement? status, string socket) => status is { } s
        ? new DoctorFinding(Severity.Ok, "gateway", $"pid {s.GetProperty("pid"u8).GetInt32()} answers on {socket}: {s.GetProperty("status"u8).GetString()}")
        : new DoctorFinding(Severity.Warning, "gateway", $"no gateway answers on {socket}", "start it (systemctl start mcproxy, or mcproxy serve), or pass --socket PATH");

    /// <summary>The config's problems; an unset variable is reported as its own kind (its message names the fix).</summary>
    public static IEnumerable<DoctorFinding> Config(string path, IReadOnlyList<ConfigError> problems, bool fromGateway)
    {
        if (problems.Count == 0)
        {
            yield return new DoctorFinding(Severity.Ok, "config", $"{path}: valid{(fromGateway ? " (as the running gateway sees it)" : "")}");
            yield break;
        }
        foreach (var problem in problems)
        {
            var variable = problem.Message.StartsWith("environment variable", StringComparison.Ordinal) || problem.Message.StartsWith("secret file", StringComparison.Ordinal);
            var cut = problem.Message.IndexOf(": ", StringComparison.Ordinal);
            yield return new DoctorFinding(Severity.Error, variable ? "variable" : "config",
                $"{(problem.Server is { } s ? $"server '{s}' " : "")}{problem.Path}: {(variable && cut > 0 ? problem.Message[..cut] : problem.Message)}",
                variable && cut > 0 ? problem.Message[(cut + 2)..] : "edit the config (mcproxy check shows every problem)");
        }
    }

    /// <summary>Servers the gateway runs that failed (gave up restarting): they are not serving.</summary>
    public static IEnumerable<DoctorFinding> FailedServers(JsonElement status)
    {
        foreach (var server in status.GetProperty("servers"u8).EnumerateArray())
        {
            var name = server.GetProperty("name"u8).GetString();
            if (server.GetProperty("state"u8).GetString() == "failed")
            {
                yield return new DoctorFinding(Severity.Error, "server", $"server '{name}' failed: {(server.TryGetProperty("lastError"u8, out var e) ? e.GetString() : "gave up restarting")}",
                    $"mcproxy logs {name} shows its stderr; fix it, then mcproxy servers restart {name}");
            }
        }
    }

    /// <summary>Each enabled stdio server's command: an executable path, or a name found on PATH.</summary>
    public static IEnumerable<DoctorFinding> Commands(GatewayConfig? config, string? pathVariable)
    {
        foreach (var server in config?.Servers.Select(d => d.Config).OfType<ServerConfig>() ?? [])
        {
            if (!server.Enabled || server.IsRemote || server.Command.Contains('$'))
            {
                continue;
            }
            yield return Resolve(server.Command, pathVariable) is { } found
                ? new DoctorFinding(Severity.Ok, "command", $"server '{server.Name}': {server.Command} → {found}")
                : new DoctorFinding(Severity.Error, "command", $"server '{server.Name}': '{server.Command}' is not {(server.Command.Contains('/') ? "an executable file" : "on PATH")}",
                    $"install it, or give its full path in \"command\"{(IsNode(server.Command) ? " (npx and node come with Node.js)" : "")}");
        }
    }

    public static DoctorFinding Node(string? pathVariable)
    {
        var node = Resolve("node", pathVariable);
        var npx = Resolve("npx", pathVariable);
        return node is not null && npx is not null
            ? new DoctorFinding(Severity.Ok, "node", $"node {node}, npx {npx}")
            : new DoctorFinding(Severity.Warning, "node", $"{(node is null ? "node" : "npx")} is not on PATH",
                "install Node.js (most MCP servers start with npx): apt-get install nodejs npm");
    }

    /// <summary>The port: the running gateway's own, free, or taken by something else.</summary>
    public static DoctorFinding Port(string host, int port, JsonElement? status)
    {
        if (status?.GetProperty("listen"u8) is { } listen && listen.GetProperty("port"u8).GetInt32() == port)
        {
            return new DoctorFinding(Severity.Ok, "port", $"{host}:{port} is the running gateway's");
        }
        var address = host is "localhost" ? IPAddress.Loopback : host is "*" ? IPAddress.Any : IPAddress.TryParse(host, out var a) ? a : null;
        if (address is null)
        {
            return new DoctorFinding(Severity.Error, "port", $"--host '{host}' is not an IP address", "use 127.0.0.1, 0.0.0.0 or localhost");
        }
        try
        {
            var probe = new TcpListener(address, port);
            probe.Start();
            probe.Stop();
            return new DoctorFinding(Severity.Ok, "port", $"{host}:{port} is free");
        }
        catch (SocketException ex)
        {
            return new DoctorFinding(Severity.Error, "port", ex.SocketErrorCode == SocketError.AddressAlreadyInUse
                    ? $"{host}:{port} is in use by another program (or a gateway without an admin socket)"
                    : $"cannot listen on {host}:{port}: {ex.Message}",
                "stop that program, or run the gateway with --port");
        }
    }

    public static DoctorFinding Exposure(string host, bool auth, bool tls)
    {
        var loopback = host is "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
        return loopback ? new DoctorFinding(Severity.Ok, "exposure", $"listens on {host} (this machine only)")
            : auth ? new DoctorFinding(tls ? Severity.Ok : Severity.Warning, "exposure", $"listens on {host} with authentication{(tls ? " and TLS" : ", without TLS: tokens cross the network in clear")}",
                tls ? null : "--tls-cert/--tls-key, or a TLS-terminating proxy in front")
            : new DoctorFinding(Severity.Error, "exposure", $"listens on {host} without authentication: anyone who reaches the port can call every tool",
                "add an \"auth\" section with tokens (README, Security), or bind 127.0.0.1");
    }

    public static DoctorFinding ConfigDirectory(string configPath)
    {
        var directory = Path.GetDirectoryName(configPath)!;
        return Admin.Posix.CanWriteIn(directory)
            ? new DoctorFinding(Severity.Ok, "config dir", $"{directory} is writable (servers add/remove save atomically there)")
            : new DoctorFinding(Severity.Warning, "config dir", $"cannot create files in {directory}: mcproxy servers add/remove/enable/disable need to",
                "run them as the directory's owner (e.g. sudo), or make it writable");
    }

    /// <summary>JWT expiry checks need a clock that is both synchronised and not behind this binary's own date.</summary>
    public static DoctorFinding? Clock(bool jwt, DateTimeOffset now, DateTimeOffset buildTime, int? kernelState)
    {
        if (!jwt)
        {
            return null;
        }
        if (now < buildTime.AddDays(-1))
        {
            return new DoctorFinding(Severity.Error, "clock", $"the clock says {now:yyyy-MM-dd}, before this binary was built ({buildTime:yyyy-MM-dd}): JWTs will look not yet valid",
                "set the time and enable NTP: timedatectl set-ntp true");
        }
        return kernelState == Admin.Posix.TimeError
            ? new DoctorFinding(Severity.Warning, "clock", "the kernel clock is not synchronised: JWT exp/nbf checks may drift", "enable NTP: timedatectl set-ntp true")
            : new DoctorFinding(Severity.Ok, "clock", $"{now:u}{(kernelState is null ? "" : ", synchronised")}");
    }

    public static string? Resolve(string command, string? pathVariable)
    {
        if (command.Contains('/'))
        {
            return IsExecutable(command) ? Path.GetFullPath(command) : null;
        }
        foreach (var directory in (pathVariable ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, command);
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path) && !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    private static bool IsNode(string command) => Path.GetFileName(command) is "npx" or "node" or "npm";
}
