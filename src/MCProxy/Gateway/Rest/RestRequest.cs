using System.Text.Json;
using MCProxy.Protocol;
using Microsoft.AspNetCore.Http;

namespace MCProxy.Gateway.Rest;

/// <summary>Turns a REST call (tool name + arguments body) into the JSON-RPC <c>tools/call</c> request the dispatcher answers.</summary>
internal static class RestRequest
{
    /// <summary>
    /// The request, or null with a 400 answer when the body is not one JSON object (empty or whitespace means <c>{}</c>:
    /// <c>curl -X POST</c> with no <c>-d</c>). Any Content-Type is taken, since curl's <c>-d</c> sends a form type.
    /// </summary>
    public static byte[]? ToolsCall(string name, byte[] body, out RestAnswer? problem)
    {
        problem = null;
        ReadOnlySpan<byte> arguments = body.AsSpan().Trim(" \t\r\n"u8);
        if (arguments.IsEmpty)
        {
            arguments = "{}"u8;
        }
        else if (Check(arguments) is { } why)
        {
            problem = why;
            return null;
        }
        var prms = JsonRpcWriter.Concat("{\"name\":"u8, JsonRpcWriter.Quote(name), ",\"arguments\":"u8, arguments, "}"u8);
        return JsonRpcWriter.Request("1"u8, "tools/call", prms);
    }

    private static RestAnswer? Check(ReadOnlySpan<byte> arguments)
    {
        if (!System.Text.Unicode.Utf8.IsValid(arguments))
        {
            return RestAnswer.Error(StatusCodes.Status400BadRequest, JsonRpcErrorCodes.ParseError, "Parse error: the body is not valid UTF-8");
        }
        try
        {
            var reader = new Utf8JsonReader(arguments);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return RestAnswer.Error(StatusCodes.Status400BadRequest, JsonRpcErrorCodes.InvalidParams,
                    "Invalid params: the body must be a JSON object, the tool's arguments (send {} for none)");
            }
            reader.Skip();
            if (reader.Read())
            {
                return RestAnswer.Error(StatusCodes.Status400BadRequest, JsonRpcErrorCodes.ParseError, "Parse error: unexpected data after the JSON object");
            }
            return null;
        }
        catch (JsonException ex)
        {
            return RestAnswer.Error(StatusCodes.Status400BadRequest, JsonRpcErrorCodes.ParseError,
                $"Parse error: {ex.Message.Split(" Path:")[0]} (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})");
        }
    }
}
