using System.Buffers.Text;
using MCProxy.Protocol;
using Microsoft.AspNetCore.Http;

namespace MCProxy.Gateway.Rest;

/// <summary>
/// A REST answer: a JSON-RPC result becomes 200 with the result object itself (<c>{"content":[…],"isError":…}</c>; an
/// unavailable server is such a result with isError, as over MCP), a JSON-RPC error becomes <c>{"error":{code,message,…}}</c>
/// (the error object as the dispatcher or the child wrote it) under the HTTP status that means the same.
/// </summary>
internal readonly record struct RestAnswer(int Status, byte[] Body)
{
    public static RestAnswer From(byte[]? answer, bool known, string name, string? broadcastOf)
    {
        var message = answer is null ? default : JsonRpcMessage.Parse(answer);
        switch (message.Kind)
        {
            case JsonRpcKind.Response:
                return new RestAnswer(StatusCodes.Status200OK, message.Result.ToArray());
            case JsonRpcKind.Error:
                var code = CodeOf(message.Error);
                if (code == JsonRpcErrorCodes.InvalidParams && !known)
                {
                    return Error(StatusCodes.Status404NotFound, code, broadcastOf is null
                        ? $"Unknown tool: '{name}'. GET /api/tools lists the tools you may call."
                        : $"no broadcast tool '{broadcastOf}': set \"broadcast\": true and expose '{broadcastOf}' on two or more servers");
                }
                return new RestAnswer(StatusOf(code), JsonRpcWriter.Concat("{\"error\":"u8, message.Error.Span, "}"u8));
            default:
                // The dispatcher answers every request; this is a broken answer, not the caller's fault.
                return Error(StatusCodes.Status502BadGateway, JsonRpcErrorCodes.InternalError, "the gateway produced no valid answer");
        }
    }

    public static RestAnswer Error(int status, int code, string message) => new(status, JsonRpcWriter.Build(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("error"u8);
        w.WriteNumber("code"u8, code);
        w.WriteString("message"u8, message);
        w.WriteEndObject();
        w.WriteEndObject();
    }));

    /// <summary>
    /// Forbidden → 403, rate limited → 429, bad request or arguments → 400, not found → 404; anything else (a child's
    /// own error, an internal one) → 502, since the gateway relayed a failure it did not cause.
    /// </summary>
    public static int StatusOf(int code) => code switch
    {
        McpDispatcher.ForbiddenCode => StatusCodes.Status403Forbidden,
        GatewayContext.RateLimitedCode => StatusCodes.Status429TooManyRequests,
        JsonRpcErrorCodes.ParseError or JsonRpcErrorCodes.InvalidRequest or JsonRpcErrorCodes.InvalidParams => StatusCodes.Status400BadRequest,
        JsonRpcErrorCodes.MethodNotFound or ResourceNotFound => StatusCodes.Status404NotFound,
        _ => StatusCodes.Status502BadGateway,
    };

    private const int ResourceNotFound = -32002;

    private static int CodeOf(ReadOnlyMemory<byte> error) =>
        JsonSlice.TryGetProperty(error, "code"u8, out var raw) && Utf8Parser.TryParse(raw.Span, out int code, out _) ? code : JsonRpcErrorCodes.InternalError;
}
