using MCProxy.Configuration;
using MCProxy.Reconciliation;

namespace MCProxy.Tests.Configuration;

/// <summary>A server's <c>"protocol"</c>: how it is driven (auto, or pinned to one revision's handshake).</summary>
public sealed class ProtocolConfigTests
{
    private static ServerDefinition LoadOne(string entry) => FirstServer.Load(entry);

    [Theory]
    [InlineData(null, null)]
    [InlineData("\"auto\"", null)]
    [InlineData("\"2025-11-25\"", "2025-11-25")]
    [InlineData("\"2026-07-28\"", "2026-07-28")]
    public void Protocol_IsReadOrAuto(string? value, string? expected)
    {
        var entry = value is null ? """{"name":"a","command":"x"}""" : $$"""{"name":"a","command":"x","protocol":{{value}}}""";
        var definition = LoadOne(entry);
        Assert.True(definition.IsValid, string.Join("\n", definition.Errors));
        Assert.Equal(expected, definition.Config!.Protocol);
    }

    [Theory]
    [InlineData("\"2024-11-05\"")]
    [InlineData("true")]
    [InlineData("\"latest\"")]
    public void Protocol_OtherValues_AreRefusedWithTheChoices(string value)
    {
        var definition = LoadOne($$"""{"name":"a","command":"x","protocol":{{value}}}""");
        Assert.False(definition.IsValid);
        Assert.Contains(definition.Errors, e => e.ToString().Contains("\"protocol\" must be \"auto\""));
    }

    [Fact]
    public void Protocol_IsPartOfEquality_SoAnEditRestartsTheServer()
    {
        var auto = LoadOne("""{"name":"a","command":"x"}""").Config!;
        var pinned = LoadOne("""{"name":"a","command":"x","protocol":"2025-11-25"}""").Config!;
        Assert.NotEqual(auto, pinned);
        Assert.Equal(auto, LoadOne("""{"name":"a","command":"x","protocol":"auto"}""").Config!);
    }
}
