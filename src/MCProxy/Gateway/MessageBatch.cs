using System.Buffers;
using System.Text.Json;
using MCProxy.Protocol;

namespace MCProxy.Gateway;

/// <summary>An HTTP body read as one JSON-RPC message or a batch array of them.</summary>
internal sealed class MessageBatch
{
    private MessageBatch(IReadOnlyList<JsonRpcMessage> messages, bool isBatch, byte[]? parseError)
    {
        Messages = messages;
        IsBatch = isBatch;
        ParseError = parseError;
    }

    public IReadOnlyList<JsonRpcMessage> Messages { get; }

    public bool IsBatch { get; }

    /// <summary>The whole answer when the body is not JSON-RPC at all (parse error, empty batch).</summary>
    public byte[]? ParseError { get; }

    public bool HasRequests => Messages.Any(m => m.Kind is JsonRpcKind.Request or JsonRpcKind.Invalid);

    public bool Contains(string method) => Messages.Any(m => m.Method == method);

    /// <summary>Requests that reach a server (what a rate limit counts); subscriptions/listen subscribes at children.</summary>
    public int ServerBoundRequests => Messages.Count(m => m.Kind == JsonRpcKind.Request && m.Method is "tools/call" or "prompts/get"
        or "resources/read" or "resources/subscribe" or "resources/unsubscribe" or "completion/complete" or "subscriptions/listen");

    /// <summary>Reads and parses a request body; null after answering 413 (too large) or 400 (not JSON-RPC).</summary>
    public static async Task<MessageBatch?> ReadAsync(Microsoft.AspNetCore.Http.HttpContext context, GatewayContext gateway)
    {
        if (await HttpIo.ReadBodyAsync(context, gateway.Limits.MaxBodyBytes, gateway.BodyBudget).ConfigureAwait(false) is not { } body)
        {
            return null;
        }
        var batch = Parse(body, gateway.Limits.MaxBatch);
        if (batch.ParseError is { } parseError)
        {
            await HttpIo.WriteJsonAsync(context, Microsoft.AspNetCore.Http.StatusCodes.Status400BadRequest, parseError).ConfigureAwait(false);
            return null;
        }
        return batch;
    }

    public static MessageBatch Parse(byte[] body, int maxBatch = int.MaxValue)
    {
        if (System.Text.Unicode.Utf8.IsValid(body) is false)
        {
            return Fail(JsonRpcErrorCodes.ParseError, $"Parse error: the body is not valid UTF-8 (at byte {FirstInvalidUtf8(body)})");
        }
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read())
            {
                return Fail(JsonRpcErrorCodes.ParseError, "Parse error: the body is empty");
            }
            List<JsonRpcMessage> messages = [];
            var isBatch = reader.TokenType == JsonTokenType.StartArray;
            if (isBatch)
            {
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (messages.Count == maxBatch)
                    {
                        return Fail(JsonRpcErrorCodes.InvalidRequest,
                            $"Invalid Request: a batch may hold at most {maxBatch} messages (see --max-batch)");
                    }
                    messages.Add(JsonRpcMessage.ParseObject(body, ref reader));
                }
                if (messages.Count == 0)
                {
                    return Fail(JsonRpcErrorCodes.InvalidRequest, "Invalid Request: empty batch");
                }
            }
            else
            {
                messages.Add(JsonRpcMessage.ParseObject(body, ref reader));
            }
            if (reader.Read())
            {
                return Fail(JsonRpcErrorCodes.ParseError, "Parse error: unexpected data after the JSON value");
            }
            return new MessageBatch(messages, isBatch, null);
        }
        catch (JsonException ex)
        {
            return Fail(JsonRpcErrorCodes.ParseError,
                $"Parse error: {ex.Message.Split(" Path:")[0]} (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})");
        }
    }

    /// <summary>Dispatches every message (batch members concurrently) and joins the answers; null when none is owed.</summary>
    public async Task<byte[]?> DispatchAsync(McpDispatcher dispatcher, DownstreamSession? session, Security.Identity identity, CancellationToken ct)
    {
        if (!IsBatch)
        {
            return await dispatcher.HandleAsync(Messages[0], session, identity, ct).ConfigureAwait(false);
        }
        var tasks = Messages.Select(m => dispatcher.HandleAsync(m, session, identity, ct).AsTask()).ToArray();
        var answers = (await Task.WhenAll(tasks).ConfigureAwait(false)).OfType<byte[]>().ToArray();
        return answers.Length == 0 ? null : JoinAnswers(answers);
    }

    /// <summary>A batch's answers as one JSON array, in the order given.</summary>
    public static byte[] JoinAnswers(IReadOnlyList<byte[]> answers)
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("["u8);
        for (var i = 0; i < answers.Count; i++)
        {
            if (i > 0)
            {
                buffer.Write(","u8);
            }
            buffer.Write(answers[i]);
        }
        buffer.Write("]"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> body)
    {
        var at = 0;
        while (at < body.Length && System.Text.Rune.DecodeFromUtf8(body[at..], out _, out var consumed) == System.Buffers.OperationStatus.Done)
        {
            at += consumed;
        }
        return at + 1;
    }

    private static MessageBatch Fail(int code, string message) => new([], false, JsonRpcWriter.Error(default, code, message));
}
