using MCProxy.Protocol;
using MCProxy.Aggregation;
using MCProxy.Upstreams;

namespace MCProxy.Tests.Aggregation;

public class ToolNamingTests
{
    [Fact]
    public void Expose_ShortName_IsServerSeparatorTool()
    {
        Assert.Equal("memory__read_graph", ToolNaming.Expose("memory", "read_graph", "__"));
        Assert.Equal("memory.read_graph", ToolNaming.Expose("memory", "read_graph", "."));
    }

    [Fact]
    public void Expose_LongName_IsShortenedDeterministicallyTo64()
    {
        var tool = new string('t', 80);
        var a = ToolNaming.Expose("server", tool, "__");
        Assert.Equal(64, a.Length);
        Assert.Equal(a, ToolNaming.Expose("server", tool, "__"));
        Assert.StartsWith("server__ttt", a);
        Assert.NotEqual(a, ToolNaming.Expose("server", tool + "x", "__"));
        Assert.Matches("^[A-Za-z0-9_-]+$", a);
    }

    [Fact]
    public void Catalog_LongNames_RouteBackToTheOriginalTool()
    {
        var longA = new string('a', 70) + "_one";
        var longB = new string('a', 70) + "_two";
        var tools = new[] { Tool(longA), Tool(longB), Tool("short") };
        var catalog = ToolCatalog.Build([("srv", tools)], [], "__");
        Assert.Equal(3, catalog.Routes.Count);
        Assert.All(catalog.Routes.Keys, name => Assert.True(name.Length <= 64));
        Assert.Contains(catalog.Routes, r => r.Value == new ToolRoute("srv", longA));
        Assert.Contains(catalog.Routes, r => r.Value == new ToolRoute("srv", longB));
        Assert.Equal(new ToolRoute("srv", "short"), catalog.Routes["srv__short"]);
    }

    [Fact]
    public void Catalog_RenamesOnlyNameAndKeepsUnknownFields()
    {
        var raw = """{"name":"x","title":"T","inputSchema":{"type":"object"},"x-unknown":{"a":[1,2]},"_meta":{"k":"v"}}""";
        var catalog = ToolCatalog.Build([("s", [new UpstreamTool("x", System.Text.Encoding.UTF8.GetBytes(raw))])], [], "__");
        var json = System.Text.Encoding.UTF8.GetString(catalog.ListResult);
        Assert.Equal("""{"tools":[{"name":"s__x","title":"T","inputSchema":{"type":"object"},"x-unknown":{"a":[1,2]},"_meta":{"k":"v"}}]}""", json);
    }

    private static UpstreamTool Tool(string name) =>
        new(name, System.Text.Encoding.UTF8.GetBytes("{\"name\":\"" + name + "\",\"inputSchema\":{\"type\":\"object\"}}"));
}
