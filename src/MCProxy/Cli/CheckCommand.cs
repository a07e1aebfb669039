using System.Text;
using System.Text.RegularExpressions;
using MCProxy.Configuration;

namespace MCProxy.Cli;

/// <summary>
/// <c>mcproxy check [CONFIG]</c>: the daemon's own validator (<see cref="ConfigFile"/>, <see cref="ConfigLoader"/>)
/// on a file, with its .env and this shell's environment; every problem with its JSON path; exit 1 on any.
/// </summary>
internal static partial class CheckCommand
{
    public static async Task<int> RunAsync(CliContext cli, string? file, CancellationToken ct)
    {
        string path;
        string? envFile = null;
        if ((file ?? cli.ConfigOption) is { } given)
        {
            path = Path.GetFullPath(given);
        }
        else
        {
            using var admin = cli.Admin(TimeSpan.FromSeconds(5));
            using var status = await admin.TryStatusAsync(ct).ConfigureAwait(false);
            path = cli.ConfigPath(status?.RootElement);
            envFile = CliContext.EnvFile(status?.RootElement, path);
        }
        var (loaded, problems) = Validate(path, envFile);
        if (cli.Json)
        {
            cli.WriteJson(w =>
            {
                w.WriteStartObject();
                w.WriteString("path"u8, path);
                w.WriteBoolean("valid"u8, problems.Count == 0);
                w.WriteNumber("servers"u8, loaded.Config?.Servers.Count ?? 0);
                w.WriteStartArray("problems"u8);
                foreach (var problem in problems)
                {
                    problem.WriteTo(w);
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
        }
        else if (problems.Count == 0)
        {
            var names = loaded.Config!.Servers.Select(s => s.Name).ToArray();
            cli.Out.WriteLine($"{path}: valid, {names.Length} server{(names.Length == 1 ? "" : "s")}{(names.Length > 0 ? ": " + string.Join(", ", names) : "")}");
        }
        else
        {
            cli.Out.WriteLine($"{path}: {problems.Count} problem{(problems.Count == 1 ? "" : "s")}{(loaded.IsValid ? " (the other servers would run)" : " (the gateway would not take this file)")}");
            foreach (var problem in problems)
            {
                cli.Out.WriteLine($"  {problem.Path}: {problem.Message}{(problem.Server is { } s ? $" (server '{s}')" : "")}");
            }
        }
        return problems.Count == 0 ? 0 : 1;
    }

    /// <summary>The load result and every problem: the file's, then each invalid server's.</summary>
    public static (ConfigLoadResult Loaded, IReadOnlyList<ConfigError> Problems) Validate(string path, string? envFile)
    {
        var options = new GatewayOptions { ConfigPath = path, EnvFile = envFile };
        var loaded = ConfigFile.Parse(ConfigFile.ReadTexts(options), options);
        var problems = loaded.FileErrors.Concat(loaded.Config?.Servers.SelectMany(s => s.Errors) ?? []).ToArray();
        return (loaded, problems);
    }

    /// <summary>
    /// The validator with every <c>${VAR}</c> taken as set: the file's own shape, apart from this shell's environment
    /// (which is not the daemon's).
    /// </summary>
    public static ConfigLoadResult LoadWithAnyVariables(byte[] bytes, string separator)
    {
        var text = Encoding.UTF8.GetString(bytes);
        var variables = Variable().Matches(text).Select(m => m.Groups[1].Value).Distinct()
            .ToDictionary(v => v, _ => "set-for-validation", StringComparer.Ordinal);
        return ConfigLoader.Load(text, new EnvironmentSource(variables, new Dictionary<string, string>()), separator);
    }

    [GeneratedRegex(@"\$\{([^}:]+)")]
    private static partial Regex Variable();
}
