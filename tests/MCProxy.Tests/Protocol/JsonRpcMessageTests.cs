using System.Text;
using MCProxy.Protocol;

namespace MCProxy.Tests.Protocol;

public class JsonRpcMessageTests
{
    private static JsonRpcMessage Parse(string json) => JsonRpcMessage.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Parse_Request_KeepsRawIdAndParams()
    {
        var m = Parse("""{"jsonrpc":"2.0","id":"a-1","method":"tools/call","params":{"name":"x","arguments":{"n":1}}}""");
        Assert.Equal(JsonRpcKind.Request, m.Kind);
        Assert.Equal("tools/call", m.Method);
        Assert.Equal("\"a-1\"", Encoding.UTF8.GetString(m.Id.Span));
        Assert.Equal("""{"name":"x","arguments":{"n":1}}""", Encoding.UTF8.GetString(m.Params.Span));
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","method":"notifications/initialized"}""", "Notification")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"result":{}}""", "Response")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"error":{"code":1,"message":"m"}}""", "Error")]
    [InlineData("""{"jsonrpc":"1.0","id":1,"method":"x"}""", "Invalid")]
    [InlineData("""{"jsonrpc":"2.0","id":{},"method":"x"}""", "Invalid")]
    [InlineData("""{"jsonrpc":"2.0","id":1}""", "Invalid")]
    [InlineData("""[1]""", "Invalid")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":""", "Invalid")]
    public void Parse_Kinds(string json, string kind) => Assert.Equal(kind, Parse(json).Kind.ToString());

    [Fact]
    public void Writer_Response_SplicesRawPieces()
    {
        var bytes = JsonRpcWriter.Response("\"x\""u8, """{"a":[1,"é"]}"""u8);
        Assert.Equal("""{"jsonrpc":"2.0","id":"x","result":{"a":[1,"é"]}}""", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Slice_ReplaceProperty_ChangesOnlyThatMember()
    {
        var replaced = JsonSlice.ReplaceProperty("""{"name":"s__x","arguments":{"name":"keep"}}"""u8, "name"u8, "\"x\""u8);
        Assert.Equal("""{"name":"x","arguments":{"name":"keep"}}""", Encoding.UTF8.GetString(replaced));
        var appended = JsonSlice.ReplaceProperty("{}"u8, "name"u8, "\"x\""u8);
        Assert.Equal("""{"name":"x"}""", Encoding.UTF8.GetString(appended));
    }
}
