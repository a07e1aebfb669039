using MCProxy.Hosting;

namespace MCProxy.Configuration;

/// <summary>Reads the config file and its .env from disk: the I/O edge in front of the pure <see cref="ConfigLoader"/>.</summary>
internal static class ConfigFile
{
    /// <summary>The raw texts of one read. <see cref="Fingerprint"/> changes exactly when either file's content does.</summary>
    /// <param name="SecretFiles">Each <c>${file:…}</c> the texts name, with a SHA-256 of its content (never the
    /// content): a rotated secret file changes the fingerprint, so the next poll or SIGHUP applies it.</param>
    internal sealed record Texts(string? Config, string? ConfigError, string? DotEnv, string? DotEnvError, string SecretFiles = "")
    {
        public string Fingerprint => $"{Config ?? "\u0001" + ConfigError}\u0000{DotEnv ?? "\u0001" + DotEnvError}\u0000{SecretFiles}";
    }

    public static Texts ReadTexts(GatewayOptions options)
    {
        var (config, configError) = TryRead(options.ConfigPath);
        var (dotEnv, dotEnvError) = File.Exists(options.ResolvedEnvFile) ? TryRead(options.ResolvedEnvFile) : (null, null);
        return new Texts(config, configError, dotEnv, dotEnvError, SecretFileState(config, dotEnv));
    }

    private static string SecretFileState(string? config, string? dotEnv)
    {
        var state = new System.Text.StringBuilder();
        foreach (var text in new[] { config ?? "", dotEnv ?? "" })
        {
            for (var at = text.IndexOf("${file:", StringComparison.Ordinal); at >= 0; at = text.IndexOf("${file:", at + 1, StringComparison.Ordinal))
            {
                var end = text.IndexOf('}', at);
                if (end < 0)
                {
                    break;
                }
                var path = text[(at + 7)..end];
                var content = EnvironmentSource.ReadSecretFile(path);
                state.Append(path).Append('=').Append(content is null ? "-" : Convert.ToHexString(
                    System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content)))).Append('\n');
            }
        }
        return state.ToString();
    }

    public static ConfigLoadResult Parse(Texts texts, GatewayOptions options)
    {
        if (texts.Config is null)
        {
            return ConfigLoadResult.Rejected([new ConfigError(null, options.ConfigPath,
                $"cannot read the file ({texts.ConfigError}); pass --config PATH to a server list")]);
        }
        if (string.IsNullOrWhiteSpace(texts.Config))
        {
            return ConfigLoadResult.Rejected([new ConfigError(null, options.ConfigPath, "the file is empty")]);
        }
        if (texts.DotEnvError is not null)
        {
            return ConfigLoadResult.Rejected([new ConfigError(null, options.ResolvedEnvFile, $"cannot read the .env file: {texts.DotEnvError}")]);
        }
        EnvironmentSource environment;
        try
        {
            environment = EnvironmentSource.FromProcessAndText(texts.DotEnv);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return ConfigLoadResult.Rejected([new ConfigError(null, options.ResolvedEnvFile, $"cannot read the .env file: {ex.Message}")]);
        }
        return ConfigLoader.Load(texts.Config, environment, options.Separator);
    }

    private static (string? Text, string? Error) TryRead(string path)
    {
        try
        {
            return (File.ReadAllText(path), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, ex.Message);
        }
    }
}
