using MCProxy.Configuration;

namespace MCProxy.Tests.Configuration;

public class VariableExpanderTests
{
    private static string? Lookup(string name) => name switch { "A" => "1", "E" => "", _ => null };

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("${A}", "1")]
    [InlineData("x${A}y${A}", "x1y1")]
    [InlineData("${B:-def}", "def")]
    [InlineData("${E:-def}", "def")]
    [InlineData("${B:-}", "")]
    [InlineData("$$A", "$A")]
    [InlineData("$A", "$A")]
    [InlineData("${unterminated", "${unterminated")]
    public void Expand_Cases(string input, string expected)
    {
        var unset = new List<string>();
        Assert.Equal(expected, VariableExpander.Expand(input, Lookup, unset));
        Assert.Empty(unset);
    }

    [Fact]
    public void Expand_UnsetWithoutDefault_ReturnsNullAndNamesEveryVariable()
    {
        var unset = new List<string>();
        Assert.Null(VariableExpander.Expand("${X}-${A}-${Y}", Lookup, unset));
        Assert.Equal(["X", "Y"], unset);
    }
}
