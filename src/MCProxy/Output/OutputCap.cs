using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MCProxy.Output;

/// <summary>
/// Cuts a tool result whose content is over the cap (<c>maxOutputBytes</c>: the UTF-8 bytes of its <c>content</c>
/// array as sent): images and audio go first, then text is cut on a UTF-8 boundary; a note says how much was cut and
/// a <c>resource_link</c> points at the full result, kept by <see cref="SpillStore"/>. The note and the link add at
/// most 512 bytes. <c>structuredContent</c> stays when it fits the cap, else the link stands for it.
/// Every other member of the result (isError, _meta, unknown fields) passes through as it was.
/// </summary>
internal static class OutputCap
{
    /// <summary>The most the note and the link may add.</summary>
    public const int NoteBudget = 512;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The result as it may leave: <paramref name="result"/> itself when within the cap.</summary>
    /// <param name="spill">Keeps the full result; returns its URI, or null when it cannot be kept.</param>
    public static ReadOnlyMemory<byte> Apply(ReadOnlyMemory<byte> result, int cap, Func<string?> spill)
    {
        if (result.Length <= cap)
        {
            return result; // the content is part of the result: nothing to measure
        }
        using var document = JsonDocument.Parse(result);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
        {
            return result;
        }
        var contentBytes = Raw(content).Length;
        var hasStructured = root.TryGetProperty("structuredContent", out var structured);
        var structuredFits = !hasStructured || Raw(structured).Length <= cap;
        if (contentBytes <= cap && structuredFits)
        {
            return result;
        }

        var items = content.EnumerateArray().ToArray();
        var kept = new byte[]?[items.Length];
        var used = 2; // "[" and "]"
        var droppedMedia = 0;
        // Text and everything else first, in order; the first item that does not fit is cut (if text) and ends the pass.
        var full = false;
        for (var i = 0; i < items.Length; i++)
        {
            if (IsMedia(items[i]))
            {
                continue;
            }
            if (full)
            {
                continue;
            }
            var raw = Raw(items[i]);
            var room = cap - used - (used > 2 ? 1 : 0);
            if (raw.Length <= room)
            {
                kept[i] = raw.ToArray();
                used += raw.Length + (used > 2 ? 1 : 0);
                continue;
            }
            if (Cut(items[i], room) is { } cutItem)
            {
                kept[i] = cutItem;
                used += cutItem.Length + (used > 2 ? 1 : 0);
            }
            full = true;
        }
        // Then images and audio, whole, while they fit.
        for (var i = 0; i < items.Length; i++)
        {
            if (!IsMedia(items[i]))
            {
                continue;
            }
            var raw = Raw(items[i]);
            var room = cap - used - (used > 2 ? 1 : 0);
            if (!full && raw.Length <= room)
            {
                kept[i] = raw.ToArray();
                used += raw.Length + (used > 2 ? 1 : 0);
            }
            else
            {
                droppedMedia++;
            }
        }
        var uri = spill();
        var cutBytes = contentBytes - used + (structuredFits ? 0 : Raw(structured).Length);
        var note = new StringBuilder($"[mcproxy: this result was cut to {cap} bytes; {cutBytes} bytes were left out");
        if (droppedMedia > 0)
        {
            note.Append($", {droppedMedia} image or audio item{(droppedMedia == 1 ? "" : "s")} among them");
        }
        if (!structuredFits)
        {
            note.Append(", structuredContent among them");
        }
        note.Append(uri is null ? ". The full result could not be kept.]" : $". The full result: resources/read {uri}]");

        var buffer = new ArrayBufferWriter<byte>(Math.Min(result.Length, cap + NoteBudget + 256));
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            foreach (var member in root.EnumerateObject())
            {
                if (member.NameEquals("content"u8))
                {
                    w.WriteStartArray("content"u8);
                    foreach (var item in kept)
                    {
                        if (item is not null)
                        {
                            w.WriteRawValue(item, skipInputValidation: true);
                        }
                    }
                    w.WriteStartObject();
                    w.WriteString("type"u8, "text");
                    w.WriteString("text"u8, note.ToString());
                    w.WriteEndObject();
                    if (uri is not null)
                    {
                        w.WriteStartObject();
                        w.WriteString("type"u8, "resource_link");
                        w.WriteString("uri"u8, uri);
                        w.WriteString("name"u8, "full result");
                        w.WriteString("mimeType"u8, "application/json");
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
                else if (member.NameEquals("structuredContent"u8) && !structuredFits)
                {
                    // The link stands for it.
                }
                else
                {
                    member.WriteTo(w);
                }
            }
            w.WriteEndObject();
        }
        return buffer.WrittenMemory;
    }

    private static bool IsMedia(JsonElement item) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String &&
        (t.ValueEquals("image"u8) || t.ValueEquals("audio"u8));

    private static ReadOnlySpan<byte> Raw(JsonElement element) => Encoding.UTF8.GetBytes(element.GetRawText());

    /// <summary>A text item cut to fit <paramref name="room"/> bytes (its text ends on a UTF-8 boundary); null if nothing fits.</summary>
    private static byte[]? Cut(JsonElement item, int room)
    {
        if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("type", out var type) || !type.ValueEquals("text"u8) ||
            !item.TryGetProperty("text", out var textElement) || textElement.ValueKind != JsonValueKind.String)
        {
            return null;
        }
        var text = Encoding.UTF8.GetBytes(textElement.GetString()!);
        var keep = Math.Min(text.Length, Math.Max(0, room - 16));
        while (keep > 0)
        {
            // Back off to a code point boundary: never a continuation byte (10xxxxxx) at the cut.
            while (keep > 0 && keep < text.Length && (text[keep] & 0xC0) == 0x80)
            {
                keep--;
            }
            var candidate = Write(item, text.AsSpan(0, keep));
            if (candidate.Length <= room)
            {
                return candidate;
            }
            keep -= Math.Max(1, candidate.Length - room); // escaping made it longer: shrink by the excess
        }
        return null;
    }

    private static byte[] Write(JsonElement item, ReadOnlySpan<byte> text)
    {
        var buffer = new ArrayBufferWriter<byte>(text.Length + 64);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            foreach (var member in item.EnumerateObject())
            {
                if (member.NameEquals("text"u8))
                {
                    w.WriteString("text"u8, text);
                }
                else
                {
                    member.WriteTo(w);
                }
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
