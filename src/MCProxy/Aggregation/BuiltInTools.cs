using System.Text.Json;
using MCProxy.Protocol;
using MCProxy.Supervision;

namespace MCProxy.Aggregation;

/// <summary>The gateway's own tools. Today one: <c>mcproxy__status</c>, the servers with state, pid, restarts, tools and last error.</summary>
internal sealed class BuiltInTools
{
    private readonly ServerRegistry _registry;

    public BuiltInTools(ServerRegistry registry, GatewaySeparator separator)
    {
        _registry = registry;
        StatusToolName = "mcproxy" + separator.Value + "status";
        Definitions =
        [
            (StatusToolName, JsonRpcWriter.Build(w =>
            {
                w.WriteStartObject();
                w.WriteString("name"u8, StatusToolName);
                w.WriteString("title"u8, "MCProxy status");
                w.WriteString("description"u8,
                    "Lists the MCP servers behind this gateway with their state (starting, ready, restarting, failed, " +
                    "disabled, invalid), pid, restart count, tool count and last error.");
                w.WriteStartObject("inputSchema"u8);
                w.WriteString("type"u8, "object");
                w.WriteStartObject("properties"u8);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteStartObject("annotations"u8);
                w.WriteBoolean("readOnlyHint"u8, true);
                w.WriteBoolean("openWorldHint"u8, false);
                w.WriteEndObject();
                w.WriteEndObject();
            })),
        ];
    }

    public string StatusToolName { get; }

    public IReadOnlyList<(string Name, byte[] Raw)> Definitions { get; }

    /// <summary>The tools/call result of a built-in tool.</summary>
    public byte[] Call(string name)
    {
        var status = StatusJson();
        return JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("content"u8);
            w.WriteStartObject();
            w.WriteString("type"u8, "text");
            w.WriteString("text"u8, System.Text.Encoding.UTF8.GetString(status));
            w.WriteEndObject();
            w.WriteEndArray();
            w.WritePropertyName("structuredContent"u8);
            w.WriteRawValue(status, skipInputValidation: true);
            w.WriteEndObject();
        });
    }

    private byte[] StatusJson() => JsonRpcWriter.Build(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("servers"u8);
        foreach (var entry in _registry.Entries)
        {
            ServerStatusWriter.Write(w, entry, StatusDetail.Errors);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });
}
