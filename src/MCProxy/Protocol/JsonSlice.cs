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
        try
        {
            var reader = new Utf8JsonReader(raw.Span);
            reader.Read();
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null; // invalid UTF-8 inside the string: treated as absent, never thrown at a reader thread
        }
    }

    /// <summary>True when <paramref name="json"/> (trimmed) is a JSON object, the only shape members can be replaced in.</summary>
    public static bool IsObject(ReadOnlySpan<byte> json)
    {
        json = json.Trim(" \t\r\n"u8);
        return json.Length >= 2 && json[0] == (byte)'{' && json[^1] == (byte)'}';
    }

    /// <summary>
    /// Like <see cref="ReplaceProperty"/>, but false instead of an exception when <paramref name="json"/> is not an
    /// object (null, an array, a string …): the shape a peer may send where an object belongs.
    /// </summary>
    public static bool TryReplaceProperty(ReadOnlySpan<byte> json, ReadOnlySpan<byte> name, ReadOnlySpan<byte> newRawValue, out byte[] result)
    {
        if (!IsObject(json))
        {
            result = [];
            return false;
        }
        try
        {
            result = ReplaceProperty(json, name, newRawValue);
            return true;
        }
        catch (JsonException)
        {
            result = [];
            return false;
        }
    }

    /// <summary>A copy of the object with one top-level member's value replaced (appended when absent).</summary>
    /// <exception cref="JsonException"><paramref name="json"/> is not a JSON object.</exception>
    public static byte[] ReplaceProperty(ReadOnlySpan<byte> json, ReadOnlySpan<byte> name, ReadOnlySpan<byte> newRawValue)
    {
        if (!IsObject(json))
        {
            throw new JsonException("not a JSON object");
        }
        if (TryLocate(json, name, out var start, out var length))
        {
            return JsonRpcWriter.Concat(json[..start], newRawValue, json[(start + length)..]);
        }
        var close = json.LastIndexOf((byte)'}');
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
        try
        {
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
        catch (JsonException)
        {
            return false; // whitespace only, or not JSON at all: no such member
        }
    }
}
