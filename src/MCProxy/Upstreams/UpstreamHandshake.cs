using System.Text.Json;
using MCProxy.Protocol;

namespace MCProxy.Upstreams;

/// <summary>What a child told us in its initialize result.</summary>
internal sealed record UpstreamInfo(string ProtocolVersion, string? ServerName, string? ServerVersion, ReadOnlyMemory<byte> Capabilities);

/// <summary>The MCP client steps the gateway runs against a child: initialize, then list every page of tools.</summary>
internal static class UpstreamHandshake
{
    private static readonly byte[] InitializeParams = JsonRpcWriter.Build(w =>
    {
        w.WriteStartObject();
        w.WriteString("protocolVersion"u8, McpProtocol.Latest);
        w.WritePropertyName("capabilities"u8);
        WriteClientCapabilities(w);
        w.WriteStartObject("clientInfo"u8);
        w.WriteString("name"u8, "mcproxy");
        w.WriteString("version"u8, McpProtocol.Version);
        w.WriteEndObject();
        w.WriteEndObject();
    });

    /// <summary>
    /// What the gateway can relay to the client that calls (see ServerRequestRelay, and input-required results):
    /// children such as server-everything only offer their sampling/elicitation/roots tools when these are declared.
    /// </summary>
    internal static void WriteClientCapabilities(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartObject("sampling"u8);
        w.WriteEndObject();
        w.WriteStartObject("elicitation"u8);
        w.WriteEndObject();
        w.WriteStartObject("roots"u8);
        w.WriteBoolean("listChanged"u8, false);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>
    /// Asks the upstream <c>server/discover</c> (2026-07-28) before anything else. A server of that revision answers
    /// with the versions it speaks, its capabilities and its identity: it is then driven without initialize, through a
    /// <see cref="PerRequestChannel"/>. An older server answers with an error (method not found, or a transport's
    /// "not initialized"), stays silent, or names no version we speak: null, and the caller runs initialize as before.
    /// </summary>
    public static async Task<UpstreamInfo?> DiscoverAsync(IUpstreamChannel connection, TimeSpan timeout, CancellationToken ct,
        string? protocol = null)
    {
        if (protocol == Configuration.ServerConfig.Protocol2025)
        {
            return null; // pinned: initialize only
        }
        var info = await ProbeAsync(connection, timeout, ct).ConfigureAwait(false);
        if (info is null && protocol == Configuration.ServerConfig.Protocol2026)
        {
            throw new UpstreamProtocolException($"the server did not answer server/discover with {PerRequestChannel.Revision} (its \"protocol\" requires it)");
        }
        return info;
    }

    private static async Task<UpstreamInfo?> ProbeAsync(IUpstreamChannel connection, TimeSpan timeout, CancellationToken ct)
    {
        JsonRpcMessage reply;
        try
        {
            reply = await connection.RequestAsync("server/discover", PerRequestChannel.WithHopMeta(default, null), timeout, ct).ConfigureAwait(false);
        }
        catch (UpstreamTimeoutException)
        {
            return null; // a server that ignores unknown methods: it may still answer initialize
        }
        if (reply.Kind != JsonRpcKind.Response || !JsonSlice.TryGetProperty(reply.Result, "supportedVersions"u8, out var versions) ||
            !ListsVersion(versions, PerRequestChannel.Revision))
        {
            return null;
        }
        JsonSlice.TryGetProperty(reply.Result, "capabilities"u8, out var capabilities);
        string? name = null, serverVersion = null;
        if ((JsonSlice.TryGetProperty(reply.Result, "_meta"u8, out var meta) && JsonSlice.TryGetProperty(meta, "io.modelcontextprotocol/serverInfo"u8, out var info)) ||
            JsonSlice.TryGetProperty(reply.Result, "serverInfo"u8, out info))
        {
            name = JsonSlice.GetString(info, "name"u8);
            serverVersion = JsonSlice.GetString(info, "version"u8);
        }
        return new UpstreamInfo(PerRequestChannel.Revision, name, serverVersion, capabilities);
    }

    private static bool ListsVersion(ReadOnlyMemory<byte> array, string version)
    {
        var reader = new Utf8JsonReader(array.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(version))
            {
                return true;
            }
            reader.Skip();
        }
        return false;
    }

    public static async Task<UpstreamInfo> InitializeAsync(IUpstreamChannel connection, string server, TimeSpan timeout, CancellationToken ct)
    {
        var reply = await connection.RequestAsync("initialize", InitializeParams, timeout, ct).ConfigureAwait(false);
        var result = ResultOrThrow(reply, server, "initialize");
        var version = JsonSlice.GetString(result, "protocolVersion"u8);
        if (!McpProtocol.IsSupported(version))
        {
            throw new UpstreamProtocolException(
                $"server '{server}' answered initialize with protocol version '{version}', which the gateway does not speak");
        }
        JsonSlice.TryGetProperty(result, "capabilities"u8, out var capabilities);
        string? name = null, serverVersion = null;
        if (JsonSlice.TryGetProperty(result, "serverInfo"u8, out var info))
        {
            name = JsonSlice.GetString(info, "name"u8);
            serverVersion = JsonSlice.GetString(info, "version"u8);
        }
        connection.Notify("notifications/initialized", default);
        return new UpstreamInfo(version!, name, serverVersion, capabilities);
    }

    /// <summary>Fetches every page of tools/list, keeping each tool's JSON exactly as sent.</summary>
    public static Task<IReadOnlyList<UpstreamTool>> ListToolsAsync(IUpstreamChannel connection, string server, TimeSpan timeout, CancellationToken ct) =>
        ListAllAsync(connection, server, ListKind.Tools, timeout, ct);

    /// <summary>Fetches every page of one list method; each item keeps its JSON exactly as sent, keyed by its name/uri.</summary>
    public static async Task<IReadOnlyList<UpstreamTool>> ListAllAsync(IUpstreamChannel connection, string server, ListKind kind,
        TimeSpan timeout, CancellationToken ct)
    {
        var items = new List<UpstreamTool>();
        string? cursor = null;
        for (var page = 0; page < 1000; page++)
        {
            var prms = cursor is null ? default : JsonRpcWriter.Build(w =>
            {
                w.WriteStartObject();
                w.WriteString("cursor"u8, cursor);
                w.WriteEndObject();
            });
            var reply = await connection.RequestAsync(kind.Method, prms, timeout, ct).ConfigureAwait(false);
            var result = ResultOrThrow(reply, server, kind.Method);
            if (JsonSlice.TryGetProperty(result, kind.ArrayUtf8, out var array))
            {
                ReadItems(array, items, server, kind);
            }
            cursor = JsonSlice.GetString(result, "nextCursor"u8);
            if (string.IsNullOrEmpty(cursor))
            {
                return items;
            }
        }
        throw new UpstreamProtocolException($"server '{server}' returned more than 1000 pages of {kind.Method}");
    }

    private static void ReadItems(ReadOnlyMemory<byte> array, List<UpstreamTool> items, string server, ListKind kind)
    {
        var reader = new Utf8JsonReader(array.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw new UpstreamProtocolException($"server '{server}' sent a {kind.Method} result whose '{kind.Array}' is not an array");
        }
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var raw = array.Slice(start, (int)reader.BytesConsumed - start);
            if (JsonSlice.GetString(raw, kind.KeyUtf8) is { Length: > 0 } key)
            {
                items.Add(new UpstreamTool(key, raw));
            }
        }
    }

    private static ReadOnlyMemory<byte> ResultOrThrow(JsonRpcMessage reply, string server, string method)
    {
        if (reply.Kind == JsonRpcKind.Response)
        {
            return reply.Result;
        }
        var message = JsonSlice.GetString(reply.Error, "message"u8) ?? "unknown error";
        throw new UpstreamProtocolException($"server '{server}' answered {method} with an error: {message}");
    }
}
