namespace MCProxy.Configuration;

/// <summary>One problem found in the config file: where (server and JSON path), what, and how to fix it.</summary>
internal sealed record ConfigError(string? Server, string Path, string Message)
{
    public override string ToString() =>
        Server is null ? $"{Path}: {Message}" : $"server '{Server}' ({Path}): {Message}";
}
