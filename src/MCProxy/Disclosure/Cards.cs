using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MCProxy.Disclosure;

/// <summary>A search hit as a model needs it: name, a one-line summary and the required parameters, ≤ 400 bytes.</summary>
internal static class Cards
{
    public const int MaxBytes = 400;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Write(string name, JsonElement tool)
    {
        var description = tool.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() ?? "" : "";
        var title = tool.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        var summary = FirstLine(description.Length > 0 ? description : title ?? "");
        var required = tool.TryGetProperty("inputSchema", out var schema) && schema.ValueKind == JsonValueKind.Object &&
                       schema.TryGetProperty("required", out var r) && r.ValueKind == JsonValueKind.Array
            ? r.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToArray()
            : [];
        for (var room = summary.Length; ; room = Math.Max(0, room - Math.Max(8, room / 4)))
        {
            var cut = room >= summary.Length ? summary : summary[..room].TrimEnd() + "…";
            var card = Build(name, cut, required);
            if (card.Length <= MaxBytes || (room == 0 && required.Length == 0))
            {
                return card;
            }
            if (room == 0)
            {
                required = required[..^1]; // a pathological list of required parameters: drop from the end
            }
        }
    }

    private static byte[] Build(string name, string summary, string[] required)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("name"u8, name);
            w.WriteString("summary"u8, summary);
            w.WriteStartArray("required"u8);
            foreach (var p in required)
            {
                w.WriteStringValue(p);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The first sentence or line, whitespace collapsed.</summary>
    private static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        var period = line.IndexOf(". ", StringComparison.Ordinal);
        if (period > 20)
        {
            line = line[..(period + 1)];
        }
        var collapsed = new StringBuilder(line.Length);
        foreach (var c in line)
        {
            if (!char.IsWhiteSpace(c) || (collapsed.Length > 0 && collapsed[^1] != ' '))
            {
                collapsed.Append(char.IsWhiteSpace(c) ? ' ' : c);
            }
        }
        return collapsed.ToString().Trim();
    }
}
