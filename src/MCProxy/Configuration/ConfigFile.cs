using MCProxy.Hosting;

namespace MCProxy.Configuration;

/// <summary>Reads the config file and its .env from disk: the I/O edge in front of the pure <see cref="ConfigLoader"/>.</summary>
internal static class ConfigFile
{
    public static ConfigLoadResult Read(GatewayOptions options)
    {
        string text;
        try
        {
            text = File.ReadAllText(options.ConfigPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ConfigLoadResult.Rejected([new ConfigError(null, options.ConfigPath,
                $"cannot read the file ({ex.Message}); pass --config PATH to a server list")]);
        }
        if (string.IsNullOrWhiteSpace(text))
        {
            return ConfigLoadResult.Rejected([new ConfigError(null, options.ConfigPath, "the file is empty")]);
        }
        EnvironmentSource environment;
        try
        {
            environment = EnvironmentSource.FromProcess(options.ResolvedEnvFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return ConfigLoadResult.Rejected([new ConfigError(null, options.ResolvedEnvFile, $"cannot read the .env file: {ex.Message}")]);
        }
        return ConfigLoader.Load(text, environment, options.Separator);
    }
}
