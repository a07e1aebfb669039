using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MCProxy.Protocol;

/// <summary>
/// Builds JSON-RPC messages by splicing raw UTF-8 pieces: the relay never builds a DOM for a message it only forwards.
/// </summary>
internal static class JsonRpcWriter
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Response(ReadOnlySpan<byte> rawId, ReadOnlySpan<byte> rawResult) =>
        Concat("{\"jsonrpc\":\"2.0\",\"id\":"u8, rawId, ",\"result\":"u8, rawResult, "}"u8);

    /// <summary>An error response whose error object is passed through raw (as a child sent it).</summary>
    public static byte[] RawError(ReadOnlySpan<byte> rawId, ReadOnlySpan<byte> rawError) =>
        Concat("{\"jsonrpc\":\"2.0\",\"id\":"u8, rawId.IsEmpty ? "null"u8 : rawId, ",\"error\":"u8, rawError, "}"u8);

    public static byte[] Error(ReadOnlySpan<byte> rawId, int code, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("code"u8, code);
            w.WriteString("message"u8, message);
            w.WriteEndObject();
        }
        return RawError(rawId, buffer.WrittenSpan);
    }

    public static byte[] Request(long id, string method, ReadOnlySpan<byte> rawParams)
    {
        Span<byte> idText = stackalloc byte[24];
        System.Buffers.Text.Utf8Formatter.TryFormat(id, idText, out var n);
        return Request(idText[..n], method, rawParams);
    }

    public static byte[] Request(ReadOnlySpan<byte> rawId, string method, ReadOnlySpan<byte> rawParams) =>
        rawParams.IsEmpty
            ? Concat("{\"jsonrpc\":\"2.0\",\"id\":"u8, rawId, ",\"method\":"u8, Quote(method), "}"u8)
            : Concat("{\"jsonrpc\":\"2.0\",\"id\":"u8, rawId, ",\"method\":"u8, Quote(method), ",\"params\":"u8, rawParams, "}"u8);

    public static byte[] Notification(string method, ReadOnlySpan<byte> rawParams) =>
        rawParams.IsEmpty
            ? Concat("{\"jsonrpc\":\"2.0\",\"method\":"u8, Quote(method), "}"u8)
            : Concat("{\"jsonrpc\":\"2.0\",\"method\":"u8, Quote(method), ",\"params\":"u8, rawParams, "}"u8);

    /// <summary>Serialises a value written by <paramref name="write"/> into a byte array.</summary>
    /// <summary>A tools/call result with isError and one text item: the model sees the text and can react.</summary>
    public static byte[] ToolErrorResult(string text) => Build(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("content"u8);
        w.WriteStartObject();
        w.WriteString("type"u8, "text");
        w.WriteString("text"u8, text);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteBoolean("isError"u8, true);
        w.WriteEndObject();
    });

    public static byte[] Build(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(w);
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Quote(string value) => JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping) is var e
        ? Concat("\""u8, e.EncodedUtf8Bytes, "\""u8)
        : [];

    public static string IdText(ReadOnlySpan<byte> rawId) => Encoding.UTF8.GetString(rawId);

    internal static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, ReadOnlySpan<byte> d = default,
        ReadOnlySpan<byte> e = default, ReadOnlySpan<byte> f = default, ReadOnlySpan<byte> g = default)
    {
        var result = new byte[a.Length + b.Length + c.Length + d.Length + e.Length + f.Length + g.Length];
        var span = result.AsSpan();
        a.CopyTo(span); span = span[a.Length..];
        b.CopyTo(span); span = span[b.Length..];
        c.CopyTo(span); span = span[c.Length..];
        d.CopyTo(span); span = span[d.Length..];
        e.CopyTo(span); span = span[e.Length..];
        f.CopyTo(span); span = span[f.Length..];
        g.CopyTo(span);
        return result;
    }
}
