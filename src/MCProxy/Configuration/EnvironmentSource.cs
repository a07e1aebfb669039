namespace MCProxy.Configuration;

/// <summary>
/// Where <c>${VAR}</c> values come from: the process environment, then a <c>.env</c> file (process env wins).
/// Read once per load, at the edge, so the loader itself is a pure function of its inputs.
/// </summary>
internal sealed class EnvironmentSource
{
    private readonly IReadOnlyDictionary<string, string> _process;
    private readonly IReadOnlyDictionary<string, string> _dotEnv;

    public EnvironmentSource(IReadOnlyDictionary<string, string> process, IReadOnlyDictionary<string, string> dotEnv)
    {
        _process = process;
        _dotEnv = dotEnv;
    }

    public static EnvironmentSource FromProcess(string? dotEnvPath)
    {
        var process = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            process[(string)e.Key] = (string?)e.Value ?? "";
        }
        return new EnvironmentSource(process, ReadDotEnv(dotEnvPath));
    }

    /// <summary>Parses a .env file with DotNetEnv without touching the process environment.</summary>
    public static IReadOnlyDictionary<string, string> ReadDotEnv(string? path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (path is null || !File.Exists(path))
        {
            return result;
        }
        var options = new DotNetEnv.LoadOptions(setEnvVars: false, clobberExistingVars: false, onlyExactPath: true);
        foreach (var kv in DotNetEnv.Env.Load(path, options))
        {
            result[kv.Key] = kv.Value;
        }
        return result;
    }

    public string? Lookup(string name) =>
        _process.TryGetValue(name, out var v) ? v : _dotEnv.TryGetValue(name, out var d) ? d : null;
}
