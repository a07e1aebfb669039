using System.Text.Json;

namespace MCProxy.Protocol;

/// <summary>Reads and rewrites single top-level members of a raw JSON object without building a DOM.</summary>
internal static class JsonSlice
{
    /// <summary>Finds a top-level member of the object in <paramref name="json"/>; returns its raw value.</summary>
    public static bool TryGetProperty(ReadOnlyMemory<byte> json, ReadOnlySpan<byte> name, out ReadOnlyMemory<byte> value)
    {
        if (TryLocate(json.Span, name, out var start, out var length))
        {
            value = json.Slice(start, length);
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>The string value of a top-level member, or null when absent or not a string.</summary>
    public static string? GetString(ReadOnlyMemory<byte> json, ReadOnlySpan<byte> name)
    {
        if (!TryGetProperty(json, name, out var raw) || raw.Length < 2 || raw.Span[0] != (byte)'"')
        {
            return null;
        }
        var reader = new Utf8JsonReader(raw.Span);
        reader.Read();
        return reader.GetString();
    }

    /// <summary>A copy of the object with one top-level member's value replaced (appended when absent).</summary>
    public static byte[] ReplaceProperty(ReadOnlySpan<byte> json, ReadOnlySpan<byte> name, ReadOnlySpan<byte> newRawValue)
    {
        if (TryLocate(json, name, out var start, out var length))
        {
            return JsonRpcWriter.Concat(json[..start], newRawValue, json[(start + length)..]);
        }
        var close = json.LastIndexOf((byte)'}');
        if (close < 0)
        {
            throw new JsonException("not a JSON object");
        }
        var isEmpty = json[..close].Trim(" \t\r\n"u8).EndsWith("{"u8);
        return JsonRpcWriter.Concat(json[..close], isEmpty ? "\""u8 : ",\""u8, name, "\":"u8, newRawValue, json[close..]);
    }

    private static bool TryLocate(ReadOnlySpan<byte> json, ReadOnlySpan<byte> name, out int start, out int length)
    {
        start = length = 0;
        if (json.IsEmpty)
        {
            return false;
        }
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(name);
            reader.Read();
            var tokenStart = (int)reader.TokenStartIndex;
            reader.Skip();
            if (match)
            {
                start = tokenStart;
                length = (int)reader.BytesConsumed - tokenStart;
                return true;
            }
        }
        return false;
    }
}
