namespace MCProxy.Configuration;

/// <summary>One problem found in the config file: where (server and JSON path), what, and how to fix it.</summary>
internal sealed record ConfigError(string? Server, string Path, string Message)
{
    public override string ToString() =>
        Server is null ? $"{Path}: {Message}" : $"server '{Server}' ({Path}): {Message}";

    /// <summary>As a JSON object (<c>server</c> when it has one, <c>path</c>, <c>message</c>): the admin API and <c>mcproxy check --json</c>.</summary>
    public void WriteTo(System.Text.Json.Utf8JsonWriter w)
    {
        w.WriteStartObject();
        if (Server is { } server)
        {
            w.WriteString("server"u8, server);
        }
        w.WriteString("path"u8, Path);
        w.WriteString("message"u8, Message);
        w.WriteEndObject();
    }
}
