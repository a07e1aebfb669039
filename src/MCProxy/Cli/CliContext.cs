using System.Text.Json;
using MCProxy.Admin;
using MCProxy.Configuration;

namespace MCProxy.Cli;

/// <summary>What every verb shares: <c>--json</c>, <c>--socket</c>, <c>--config</c>, where output goes, the way to the daemon.</summary>
internal sealed class CliContext
{
    private readonly string? _socket;
    private readonly IReadOnlyList<string> _candidates;

    public CliContext(bool json, string? socket, string? config, TextWriter output, TextWriter error, IReadOnlyList<string> socketCandidates)
    {
        Json = json;
        _socket = socket;
        ConfigOption = config;
        Out = output;
        Error = error;
        _candidates = socketCandidates;
    }

    public bool Json { get; }

    /// <summary><c>--config PATH</c> as given; null when absent.</summary>
    public string? ConfigOption { get; }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>Where no <c>--socket</c> was given: the first candidate that exists, else the first (for the error message).</summary>
    public string SocketPath => _socket ?? _candidates.FirstOrDefault(File.Exists) ?? _candidates[0];

    public static IReadOnlyList<string> DefaultCandidates() => AdminSocketPath.Candidates(
        Environment.GetEnvironmentVariable("RUNTIME_DIRECTORY"), Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR"), Posix.UserId);

    public AdminClient Admin(TimeSpan? timeout = null) => new(SocketPath, timeout ?? TimeSpan.FromSeconds(30));

    /// <summary>The config to read or edit: <c>--config</c>, else the running daemon's, else the default path.</summary>
    public string ConfigPath(JsonElement? status) =>
        Path.GetFullPath(ConfigOption
            ?? (status is { } s && s.TryGetProperty("config"u8, out var c) && c.TryGetProperty("path"u8, out var p) ? p.GetString() : null)
            ?? new GatewayOptions().ConfigPath);

    /// <summary>The .env for <paramref name="configPath"/>: the daemon's when it reads that same config, else the one beside it.</summary>
    public static string? EnvFile(JsonElement? status, string configPath) =>
        status is { } s && s.TryGetProperty("config"u8, out var c) && c.TryGetProperty("path"u8, out var p) && p.GetString() == configPath &&
        c.TryGetProperty("envFile"u8, out var e) ? e.GetString() : null;

    /// <summary>Prints a JSON document indented (for <c>--json</c>).</summary>
    public void WriteJson(ReadOnlySpan<byte> json)
    {
        using var document = JsonDocument.Parse(json.ToArray());
        WriteJson(document.RootElement);
    }

    public void WriteJson(JsonElement element)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            element.WriteTo(writer);
        }
        Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    public void WriteJson(Action<Utf8JsonWriter> write) => WriteJson(Protocol.JsonRpcWriter.Build(write));
}
