using System.Text;
using System.Text.Json;
using MCProxy.Protocol;

namespace MCProxy.Tests.Protocol;

public class JsonSliceTests
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    /// <summary>{"a":"&lt;0xff&gt;","b":"ok"}: well-formed JSON whose first string is not UTF-8.</summary>
    private static byte[] WithInvalidUtf8String() =>
        [.. "{\"a\":\""u8, 0xff, .. "\",\"b\":\"ok\"}"u8];

    [Fact]
    public void TryGetProperty_TopLevelMember_ReturnsRawValue()
    {
        var json = Utf8("""{ "name" : "x", "arguments": {"name": "inner", "n": [1, 2]}, "z": null }""");
        Assert.True(JsonSlice.TryGetProperty(json, "arguments"u8, out var raw));
        Assert.Equal("""{"name": "inner", "n": [1, 2]}""", Text(raw));
        Assert.True(JsonSlice.TryGetProperty(json, "z"u8, out raw));
        Assert.Equal("null", Text(raw));
    }

    [Fact]
    public void TryGetProperty_NameOnlyNested_IsNotFound()
    {
        var json = Utf8("""{"arguments":{"secret":1}}""");
        Assert.False(JsonSlice.TryGetProperty(json, "secret"u8, out _));
    }

    [Fact]
    public void TryGetProperty_EscapedMemberName_Matches()
    {
        var json = Utf8("""{"n\u0061me":"x"}""");
        Assert.True(JsonSlice.TryGetProperty(json, "name"u8, out var raw));
        Assert.Equal("\"x\"", Text(raw));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("""[{"name":"x"}]""")]
    [InlineData("\"name\"")]
    [InlineData("42")]
    [InlineData("")]
    public void TryGetProperty_NotAnObject_ReturnsFalse(string json)
    {
        Assert.False(JsonSlice.TryGetProperty(Utf8(json), "name"u8, out var raw));
        Assert.True(raw.IsEmpty);
        Assert.Null(JsonSlice.GetString(Utf8(json), "name"u8));
    }

    [Fact]
    public void GetString_StringMember_IsUnescaped()
    {
        var json = Utf8("""{"uri":"file:///a%20b\"c\u00e9","n":5}""");
        Assert.Equal("file:///a%20b\"cé", JsonSlice.GetString(json, "uri"u8));
    }

    [Theory]
    [InlineData("""{"name":5}""")]
    [InlineData("""{"name":null}""")]
    [InlineData("""{"name":{"name":"x"}}""")]
    [InlineData("""{"name":["x"]}""")]
    [InlineData("""{"other":"x"}""")]
    public void GetString_MemberNotAString_ReturnsNull(string json) => Assert.Null(JsonSlice.GetString(Utf8(json), "name"u8));

    [Fact]
    public void GetString_InvalidUtf8InString_ReturnsNullInsteadOfThrowing()
    {
        var json = WithInvalidUtf8String();
        Assert.Null(JsonSlice.GetString(json, "a"u8));
        Assert.Equal("ok", JsonSlice.GetString(json, "b"u8)); // the other members stay readable
    }

    [Theory]
    [InlineData("{}", true)]
    [InlineData(" \r\n{\"a\":1}\t ", true)]
    [InlineData("null", false)]
    [InlineData("[]", false)]
    [InlineData("""[{"a":1}]""", false)]
    [InlineData("\"{}\"", false)]
    [InlineData("{", false)]
    [InlineData("", false)]
    public void IsObject_ReportsObjectShape(string json, bool expected) => Assert.Equal(expected, JsonSlice.IsObject(Utf8(json)));

    [Fact]
    public void ReplaceProperty_ExistingMember_ReplacesOnlyTopLevelValue()
    {
        var json = Utf8("""{"arguments":{"name":"keep"},"name":"s__x","tail":[1]}""");
        var replaced = JsonSlice.ReplaceProperty(json, "name"u8, "\"x\""u8);
        Assert.Equal("""{"arguments":{"name":"keep"},"name":"x","tail":[1]}""", Encoding.UTF8.GetString(replaced));
    }

    [Fact]
    public void ReplaceProperty_ObjectValueByString_KeepsValidJson()
    {
        var replaced = JsonSlice.ReplaceProperty(Utf8("""{"_meta":{"progressToken":7},"x":1}"""), "_meta"u8, """{"progressToken":"g-1"}"""u8);
        using var doc = JsonDocument.Parse(replaced);
        Assert.Equal("g-1", doc.RootElement.GetProperty("_meta").GetProperty("progressToken").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("x").GetInt32());
    }

    [Theory]
    [InlineData("{}", """{"logger":"fs"}""")]
    [InlineData("{ \n }", "{ \n \"logger\":\"fs\"}")]
    [InlineData("""{"level":"info"}""", """{"level":"info","logger":"fs"}""")]
    [InlineData("""{"data":{"logger":"inner"}}""", """{"data":{"logger":"inner"},"logger":"fs"}""")]
    public void ReplaceProperty_MissingMember_IsAppended(string json, string expected)
    {
        var result = JsonSlice.ReplaceProperty(Utf8(json), "logger"u8, "\"fs\""u8);
        Assert.Equal(expected, Encoding.UTF8.GetString(result));
        JsonDocument.Parse(result).Dispose(); // still valid JSON
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("""[{"a":1}]""")]
    [InlineData("\"{}\"")]
    [InlineData("7")]
    [InlineData("")]
    public void ReplaceProperty_NotAnObject_ThrowsJsonException(string json) =>
        Assert.Throws<JsonException>(() => JsonSlice.ReplaceProperty(Utf8(json), "a"u8, "2"u8));

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("""[{"a":1}]""")]
    [InlineData("\"{}\"")]
    [InlineData("7")]
    [InlineData("")]
    public void TryReplaceProperty_NotAnObject_ReturnsFalseAndEmpty(string json)
    {
        Assert.False(JsonSlice.TryReplaceProperty(Utf8(json), "a"u8, "2"u8, out var result));
        Assert.Empty(result);
    }

    [Fact]
    public void TryReplaceProperty_Object_ReplacesAndReturnsTrue()
    {
        Assert.True(JsonSlice.TryReplaceProperty(Utf8("""{"progressToken":"g-1","progress":5}"""), "progressToken"u8, "42"u8, out var result));
        Assert.Equal("""{"progressToken":42,"progress":5}""", Encoding.UTF8.GetString(result));
    }
}
