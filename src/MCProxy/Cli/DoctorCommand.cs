using System.Text.Json;
using MCProxy.Configuration;

namespace MCProxy.Cli;

/// <summary>
/// <c>mcproxy doctor</c>: looks at the config, the commands it starts, the environment it expands, the port, the
/// exposure, the config directory, the clock (with JWT) and the quadlet, and prints each finding with its fix.
/// Exits 1 when a finding would stop a server from starting or leaves the gateway open, 0 otherwise (warnings too).
/// </summary>
internal static class DoctorCommand
{
    /// <summary>Where quadlet looks for system and user units.</summary>
    public static IReadOnlyList<string> QuadletPlaces(string? home) =>
        ["/etc/containers/systemd/mcproxy.container", .. home is null ? Array.Empty<string>() : [Path.Combine(home, ".config/containers/systemd/mcproxy.container")]];

    public static async Task<int> RunAsync(CliContext cli, string? hostOption, int? portOption, string? quadlet, CancellationToken ct)
    {
        using var admin = cli.Admin(TimeSpan.FromSeconds(5));
        using var statusDocument = await admin.TryStatusAsync(ct).ConfigureAwait(false);
        JsonElement? status = statusDocument?.RootElement;
        var path = cli.ConfigPath(status);
        var findings = new List<DoctorFinding> { DoctorChecks.Gateway(status, admin.SocketPath) };

        var sameConfig = status?.GetProperty("config"u8).GetProperty("path"u8).GetString() == path;
        var separator = status?.GetProperty("config"u8).GetProperty("separator"u8).GetString() ?? GatewayOptions.DefaultSeparator;
        IReadOnlyList<ConfigError> problems = sameConfig ? GatewayProblems(status!.Value) : CheckCommand.Validate(path, null).Problems;
        findings.AddRange(DoctorChecks.Config(path, problems, sameConfig));
        if (status is { } running)
        {
            findings.AddRange(DoctorChecks.FailedServers(running));
        }
        var config = File.Exists(path) ? LoadShape(path, separator) : null;
        var pathVariable = Environment.GetEnvironmentVariable("PATH");
        findings.AddRange(DoctorChecks.Commands(config, pathVariable));
        findings.Add(DoctorChecks.Node(pathVariable));

        var listen = status?.GetProperty("listen"u8);
        var host = hostOption ?? listen?.GetProperty("host"u8).GetString() ?? "127.0.0.1";
        var port = portOption ?? listen?.GetProperty("port"u8).GetInt32() ?? GatewayOptions.DefaultPort;
        findings.Add(DoctorChecks.Port(host, port, status));
        findings.Add(DoctorChecks.Exposure(host, listen?.GetProperty("auth"u8).GetBoolean() ?? config?.Auth is not null,
            listen?.GetProperty("tls"u8).GetBoolean() ?? false));
        if (Directory.Exists(Path.GetDirectoryName(path)))
        {
            findings.Add(DoctorChecks.ConfigDirectory(path));
        }
        var binary = Environment.ProcessPath is { } self && File.Exists(self) ? File.GetLastWriteTimeUtc(self) : DateTime.MinValue;
        if (DoctorChecks.Clock(config?.Auth?.Jwt is not null, DateTimeOffset.UtcNow, binary, Admin.Posix.ClockState()) is { } clock)
        {
            findings.Add(clock);
        }
        foreach (var unit in quadlet is not null ? [quadlet] : QuadletPlaces(Environment.GetEnvironmentVariable("HOME")).Where(File.Exists))
        {
            findings.AddRange(QuadletCheck.Check(unit));
        }

        var healthy = findings.All(f => f.Severity != Severity.Error);
        if (cli.Json)
        {
            cli.WriteJson(w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("healthy"u8, healthy);
                w.WriteString("config"u8, path);
                w.WriteStartArray("findings"u8);
                foreach (var f in findings)
                {
                    w.WriteStartObject();
                    w.WriteString("severity"u8, f.Severity.ToString().ToLowerInvariant());
                    w.WriteString("check"u8, f.Check);
                    w.WriteString("message"u8, f.Message);
                    if (f.Fix is { } fix)
                    {
                        w.WriteString("fix"u8, fix);
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
        }
        else
        {
            foreach (var f in findings)
            {
                cli.Out.WriteLine($"{f.Severity switch { Severity.Ok => "ok", Severity.Warning => "warn", _ => "FAIL" },-5} {f.Check,-10} {f.Message}");
                if (f.Fix is { } fix && f.Severity != Severity.Ok)
                {
                    cli.Out.WriteLine($"{"",-16} fix: {fix}");
                }
            }
            var errors = findings.Count(f => f.Severity == Severity.Error);
            var warnings = findings.Count(f => f.Severity == Severity.Warning);
            cli.Out.WriteLine(healthy
                ? $"healthy{(warnings > 0 ? $" ({warnings} warning{(warnings == 1 ? "" : "s")})" : "")}"
                : $"{errors} problem{(errors == 1 ? "" : "s")} to fix{(warnings > 0 ? $", {warnings} warning{(warnings == 1 ? "" : "s")}" : "")}");
        }
        return healthy ? 0 : 1;
    }

    /// <summary>The running gateway's verdict on its config: the rejected file's errors and each server's.</summary>
    private static IReadOnlyList<ConfigError> GatewayProblems(JsonElement status)
    {
        static ConfigError Read(JsonElement e) => new(e.TryGetProperty("server"u8, out var s) ? s.GetString() : null,
            e.GetProperty("path"u8).GetString()!, e.GetProperty("message"u8).GetString()!);
        var config = status.GetProperty("config"u8).GetProperty("errors"u8).EnumerateArray().Select(Read);
        var servers = status.GetProperty("servers"u8).EnumerateArray()
            .SelectMany(s => s.TryGetProperty("configErrors"u8, out var errors) ? errors.EnumerateArray().Select(Read) : []);
        return config.Concat(servers).ToArray();
    }

    /// <summary>The file's servers and auth as written (variables taken as set): commands to look for, auth to expect.</summary>
    private static GatewayConfig? LoadShape(string path, string separator)
    {
        try
        {
            return CheckCommand.LoadWithAnyVariables(ConfigFileWriter.Read(path).Bytes, separator).Config;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // the config finding above says why
        }
    }
}
