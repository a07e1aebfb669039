using System.Text;
using MCProxy.Protocol;

namespace MCProxy.Tests.Protocol;

/// <summary>Hostile input: <see cref="JsonRpcMessage.Parse"/> runs on reader threads and must never throw.</summary>
public class JsonRpcMessageParseTests
{
    private static JsonRpcMessage Parse(string json) => JsonRpcMessage.Parse(Encoding.UTF8.GetBytes(json));

    /// <summary>The text with every '¤' replaced by the single byte 0xFF (never valid in UTF-8).</summary>
    private static byte[] WithBadByte(string json) =>
        Encoding.UTF8.GetBytes(json.Replace("¤", "\u0001")).Select(b => b == 0x01 ? (byte)0xff : b).ToArray();

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/¤call"}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"notifications/¤"}""")]
    [InlineData("""{"jsonrpc":"2.¤","id":1,"method":"ping"}""")]
    [InlineData("""{"jsonrpc":"2.0","id":"a¤","method":"ping"}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"¤"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"x","arguments":{"q":"¤"}}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":3,"error":{"code":1,"message":"¤"}}""")]
    public void Parse_InvalidUtf8Anywhere_IsInvalidWithProblem(string json)
    {
        var message = JsonRpcMessage.Parse(WithBadByte(json));
        Assert.Equal(JsonRpcKind.Invalid, message.Kind);
        Assert.False(string.IsNullOrEmpty(message.Problem));
    }

    [Fact]
    public void Parse_ResponseWithNumericIdAndInvalidUtf8Result_KeepsId()
    {
        var message = JsonRpcMessage.Parse(WithBadByte("""{"jsonrpc":"2.0","id":42,"result":{"content":[{"type":"text","text":"¤"}]}}"""));
        Assert.Equal(JsonRpcKind.Invalid, message.Kind);
        Assert.Equal("42", Encoding.UTF8.GetString(message.Id.Span));
        Assert.Contains("UTF-8", message.Problem);
    }

    [Fact]
    public void Parse_ResponseWithStringIdAndInvalidUtf8Error_KeepsId()
    {
        var message = JsonRpcMessage.Parse(WithBadByte("""{"id":"7","jsonrpc":"2.0","error":{"code":-1,"message":"¤"}}"""));
        Assert.Equal(JsonRpcKind.Invalid, message.Kind);
        Assert.Equal("\"7\"", Encoding.UTF8.GetString(message.Id.Span));
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(100_000)]
    public void Parse_DeeplyNestedParams_IsInvalid(int depth)
    {
        var json = """{"jsonrpc":"2.0","method":"x","params":""" + new string('[', depth) + new string(']', depth) + "}";
        var message = Parse(json);
        Assert.Equal(JsonRpcKind.Invalid, message.Kind);
        Assert.NotNull(message.Problem);
    }

    [Fact]
    public void Parse_DeeplyNestedTopLevel_IsInvalid()
    {
        var message = Parse(new string('{', 10_000));
        Assert.Equal(JsonRpcKind.Invalid, message.Kind);
        Assert.NotNull(message.Problem);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("[1,\"two\",{\"three\":3}]")]
    [InlineData("\"text\"")]
    [InlineData("-1.5e3")]
    [InlineData("true")]
    [InlineData("false")]
    [InlineData("{}")]
    [InlineData("{\"a\":{\"b\":[null]}}")]
    public void Parse_NotificationParamsOfAnyJsonType_IsNotificationWithRawParams(string rawParams)
    {
        var message = Parse($$"""{"jsonrpc":"2.0","method":"notifications/message","params":{{rawParams}}}""");
        Assert.Equal(JsonRpcKind.Notification, message.Kind);
        Assert.Equal("notifications/message", message.Method);
        Assert.Equal(rawParams, Encoding.UTF8.GetString(message.Params.Span));
        Assert.False(message.HasId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not json")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"x\"")]
    [InlineData("\"just a string\"")]
    [InlineData("null")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":5}")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":null,\"id\":1}")]
    [InlineData("{\"jsonrpc\":2.0,\"method\":\"x\"}")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":[1],\"result\":{}}")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"x\"}")]
    public void Parse_Malformed_IsInvalidWithProblem(string json)
    {
        var message = Parse(json);
        Assert.Equal(JsonRpcKind.Invalid, message.Kind);
        Assert.False(string.IsNullOrEmpty(message.Problem));
    }

    [Fact]
    public void Parse_NotValidJsonRpcVersionOnResponse_KeepsIdForTheWaiter()
    {
        var message = Parse("""{"jsonrpc":"1.0","id":9,"result":{}}""");
        Assert.Equal(JsonRpcKind.Invalid, message.Kind);
        Assert.Equal("9", Encoding.UTF8.GetString(message.Id.Span));
    }
}
