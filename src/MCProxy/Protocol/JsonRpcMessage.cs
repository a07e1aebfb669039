using System.Text.Json;
using System.Text.Unicode;

namespace MCProxy.Protocol;

internal enum JsonRpcKind { Invalid, Request, Notification, Response, Error }

/// <summary>
/// One JSON-RPC message read at the top level only: the members a relay routes on (method, id) are decoded,
/// everything else stays as raw UTF-8 slices of the original buffer so it can be passed on unchanged.
/// NOTE 1: slices point into <see cref="Buffer"/>; the buffer must not be reused while the message lives.
/// </summary>
internal readonly struct JsonRpcMessage
{
    public JsonRpcKind Kind { get; init; }
    public string? Method { get; init; }
    /// <summary>The raw id token (number or string, including quotes), empty when absent.</summary>
    public ReadOnlyMemory<byte> Id { get; init; }
    public ReadOnlyMemory<byte> Params { get; init; }
    public ReadOnlyMemory<byte> Result { get; init; }
    public ReadOnlyMemory<byte> Error { get; init; }
    public ReadOnlyMemory<byte> Buffer { get; init; }
    /// <summary>Why the message is invalid, when <see cref="Kind"/> is Invalid.</summary>
    public string? Problem { get; init; }

    public bool HasId => !Id.IsEmpty;

    /// <summary>
    /// Parses one JSON-RPC object. Never throws for bad input: returns Kind=Invalid with a Problem. A message that is
    /// well-formed JSON but not valid UTF-8 is Invalid too, with its <see cref="Id"/> kept when one could be read, so
    /// a reader can fail the request it answers instead of leaving its caller waiting.
    /// </summary>
    public static JsonRpcMessage Parse(ReadOnlyMemory<byte> buffer)
    {
        var reader = new Utf8JsonReader(buffer.Span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        JsonRpcMessage message;
        try
        {
            if (!reader.Read())
            {
                return Invalid(buffer, "empty message");
            }
            message = ParseObject(buffer, ref reader);
        }
        catch (JsonException ex)
        {
            return Invalid(buffer, ex.Message.Split(" Path:")[0]);
        }
        if (!Utf8.IsValid(buffer.Span))
        {
            return Invalid(buffer, "the message is not valid UTF-8", message.Id);
        }
        return message;
    }

    /// <summary>Parses the object at the reader's current StartObject token; leaves the reader on its EndObject.</summary>
    public static JsonRpcMessage ParseObject(ReadOnlyMemory<byte> buffer, ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return Invalid(buffer, "a JSON-RPC message must be an object");
        }
        string? method = null;
        string? version = null;
        ReadOnlyMemory<byte> id = default, prms = default, result = default, error = default;
        bool hasResult = false, hasError = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            if (name.SequenceEqual("method"u8))
            {
                method = reader.TokenType == JsonTokenType.String ? TryGetString(ref reader) : null;
                if (method is null)
                {
                    reader.Skip();
                    return Invalid(buffer, "'method' must be a string of valid UTF-8");
                }
                continue;
            }
            if (name.SequenceEqual("jsonrpc"u8))
            {
                version = reader.TokenType == JsonTokenType.String ? TryGetString(ref reader) : null;
                reader.Skip();
                continue;
            }
            reader.Skip();
            var slice = buffer.Slice(start, (int)reader.BytesConsumed - start);
            if (name.SequenceEqual("id"u8))
            {
                id = slice;
            }
            else if (name.SequenceEqual("params"u8))
            {
                prms = slice;
            }
            else if (name.SequenceEqual("result"u8))
            {
                result = slice;
                hasResult = true;
            }
            else if (name.SequenceEqual("error"u8))
            {
                error = slice;
                hasError = true;
            }
        }
        if (version != "2.0")
        {
            return Invalid(buffer, "'jsonrpc' must be \"2.0\"", id);
        }
        if (!id.IsEmpty && !IsValidId(id.Span))
        {
            return Invalid(buffer, "'id' must be a string or a number", default);
        }
        JsonRpcKind kind;
        if (method is not null)
        {
            kind = id.IsEmpty ? JsonRpcKind.Notification : JsonRpcKind.Request;
        }
        else if (hasResult && !id.IsEmpty)
        {
            kind = JsonRpcKind.Response;
        }
        else if (hasError)
        {
            kind = JsonRpcKind.Error;
        }
        else
        {
            return Invalid(buffer, "a message needs 'method', 'result' or 'error'", id);
        }
        return new JsonRpcMessage
        {
            Kind = kind, Method = method, Id = id, Params = prms, Result = result, Error = error, Buffer = buffer,
        };
    }

    /// <summary>The string token's value, or null when it holds invalid UTF-8 (GetString would throw).</summary>
    private static string? TryGetString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static bool IsValidId(ReadOnlySpan<byte> raw) =>
        raw.Length > 0 && (raw[0] == (byte)'"' || raw[0] == (byte)'-' || (raw[0] >= (byte)'0' && raw[0] <= (byte)'9'));

    /// <summary>A result the gateway answers itself in place of a peer (its id is a placeholder: callers answer under their own).</summary>
    public static JsonRpcMessage LocalResult(ReadOnlySpan<byte> rawResult) => Parse(JsonRpcWriter.Response("0"u8, rawResult));

    /// <summary>An error the gateway answers itself in place of a peer (its id is a placeholder, as above).</summary>
    public static JsonRpcMessage LocalError(int code, string message) => Parse(JsonRpcWriter.Error("0"u8, code, message));

    private static JsonRpcMessage Invalid(ReadOnlyMemory<byte> buffer, string problem, ReadOnlyMemory<byte> id = default) =>
        new() { Kind = JsonRpcKind.Invalid, Problem = problem, Buffer = buffer, Id = id };
}
