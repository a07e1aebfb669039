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

    public static EnvironmentSource FromProcess(string? dotEnvPath) =>
        new(ProcessEnvironment(), dotEnvPath is not null && File.Exists(dotEnvPath) ? ParseDotEnv(File.ReadAllText(dotEnvPath)) : Empty);

    /// <summary>The process environment plus .env text already read (so one read serves fingerprint and parse).</summary>
    public static EnvironmentSource FromProcessAndText(string? dotEnvText) =>
        new(ProcessEnvironment(), dotEnvText is null ? Empty : ParseDotEnv(dotEnvText));

    /// <summary>Parses a .env file with DotNetEnv without touching the process environment.</summary>
    public static IReadOnlyDictionary<string, string> ReadDotEnv(string? path) =>
        path is not null && File.Exists(path) ? ParseDotEnv(File.ReadAllText(path)) : Empty;

    public static IReadOnlyDictionary<string, string> ParseDotEnv(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var options = new DotNetEnv.LoadOptions(setEnvVars: false, clobberExistingVars: false, onlyExactPath: true);
        foreach (var kv in DotNetEnv.Env.LoadContents(text, options))
        {
            result[kv.Key] = kv.Value;
        }
        return result;
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    private static Dictionary<string, string> ProcessEnvironment()
    {
        var process = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            process[(string)e.Key] = (string?)e.Value ?? "";
        }
        return process;
    }

    /// <summary><c>${file:/run/secrets/x}</c>: the value is the file's text (Podman and Kubernetes secrets are files).</summary>
    public const string FilePrefix = "file:";

    private const int MaxSecretFileBytes = 64 * 1024;

    public string? Lookup(string name) =>
        name.StartsWith(FilePrefix, StringComparison.Ordinal) ? ReadSecretFile(name[FilePrefix.Length..])
        : _process.TryGetValue(name, out var v) ? v : _dotEnv.TryGetValue(name, out var d) ? d : null;

    /// <summary>The file's text with one trailing newline stripped; null when it cannot be read or is over 64 KiB.</summary>
    public static string? ReadSecretFile(string path)
    {
        try
        {
            // Bounded by reading, not by the reported length (/proc files and FIFOs report 0).
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            var buffer = new byte[MaxSecretFileBytes + 1];
            var read = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (read > MaxSecretFileBytes)
            {
                return null;
            }
            var text = new System.Text.UTF8Encoding(false, true).GetString(buffer, 0, read);
            return text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or System.Text.DecoderFallbackException)
        {
            return null;
        }
    }
}
