namespace MCProxy.Configuration;

/// <summary>The outcome of reading a config file: a config, or the file-level errors that reject it whole.</summary>
internal sealed record ConfigLoadResult(GatewayConfig? Config, IReadOnlyList<ConfigError> FileErrors)
{
    public bool IsValid => Config is not null;

    public static ConfigLoadResult Rejected(IReadOnlyList<ConfigError> errors) => new(null, errors);
}
