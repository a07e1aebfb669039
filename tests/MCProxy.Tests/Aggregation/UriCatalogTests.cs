using System.Text;
using System.Text.Json;
using MCProxy.Aggregation;
using MCProxy.Protocol;

namespace MCProxy.Tests.Aggregation;

public class UriCatalogTests
{
    private static UpstreamTool Resource(string uri, string name = "r") =>
        new(uri, Encoding.UTF8.GetBytes($$$"""{"uri":{{{JsonSerializer.Serialize(uri)}}},"name":"{{{name}}}","mimeType":"text/plain","_meta":{"k":[1]}}"""));

    private static UpstreamTool Template(string uriTemplate) =>
        new(uriTemplate, Encoding.UTF8.GetBytes($$"""{"uriTemplate":{{JsonSerializer.Serialize(uriTemplate)}},"name":"t"}"""));

    private static (string Server, IReadOnlyList<UpstreamTool> Items) Server(string name, params UpstreamTool[] items) => (name, items);

    private static UriCatalog Resources(params (string, IReadOnlyList<UpstreamTool>)[] servers) => UriCatalog.Build(servers, ListKind.Resources);

    private static UriCatalog Templates(params (string, IReadOnlyList<UpstreamTool>)[] servers) => UriCatalog.Build(servers, ListKind.Templates);

    /// <summary>The exposed keys of the list result, in list order (parsed, so it must be valid JSON).</summary>
    private static string[] Listed(UriCatalog catalog, string key)
    {
        using var doc = JsonDocument.Parse(catalog.ListResult);
        return doc.RootElement.GetProperty(catalog.ArrayName).EnumerateArray().Select(e => e.GetProperty(key).GetString()!).ToArray();
    }

    [Fact]
    public void Build_UniqueUris_KeptAsTheyAreWithTheirRawDefinition()
    {
        var a = Resource("file:///notes/a.md", "a");
        var catalog = Resources(Server("fs", a), Server("web", Resource("https://example.org/page")));

        Assert.Equal(["file:///notes/a.md", "https://example.org/page"], Listed(catalog, "uri"));
        Assert.Equal(a.Raw.ToArray(), catalog.Items[0]);
        Assert.Equal(new ToolRoute("fs", "file:///notes/a.md"), catalog.Routes["file:///notes/a.md"]);
        Assert.Equal(new ToolRoute("web", "https://example.org/page"), catalog.Routes["https://example.org/page"]);
        Assert.Equal("resources", catalog.ArrayName);
    }

    [Fact]
    public void Build_SameUriOnSeveralServers_FirstInConfigOrderKeepsIt()
    {
        var catalog = Resources(
            Server("one", Resource("file:///shared.txt")),
            Server("two", Resource("file:///shared.txt")),
            Server("three", Resource("file:///shared.txt")));

        Assert.Equal(["file:///shared.txt", "mcproxy://two/file%3A%2F%2F%2Fshared.txt", "mcproxy://three/file%3A%2F%2F%2Fshared.txt"],
            Listed(catalog, "uri"));
        Assert.Equal(new ToolRoute("one", "file:///shared.txt"), catalog.Routes["file:///shared.txt"]);
        Assert.Equal(new ToolRoute("two", "file:///shared.txt"), catalog.Routes["mcproxy://two/file%3A%2F%2F%2Fshared.txt"]);
        Assert.Equal(new ToolRoute("three", "file:///shared.txt"), catalog.Routes["mcproxy://three/file%3A%2F%2F%2Fshared.txt"]);
    }

    [Fact]
    public void Build_RenamedItem_KeepsEveryOtherMember()
    {
        var catalog = Resources(Server("one", Resource("mem://x", "first")), Server("two", Resource("mem://x", "second")));
        using var doc = JsonDocument.Parse(catalog.Items[1]);
        var item = doc.RootElement;
        Assert.Equal("mcproxy://two/mem%3A%2F%2Fx", item.GetProperty("uri").GetString());
        Assert.Equal("second", item.GetProperty("name").GetString());
        Assert.Equal("text/plain", item.GetProperty("mimeType").GetString());
        Assert.Equal(1, item.GetProperty("_meta").GetProperty("k")[0].GetInt32());
    }

    [Fact]
    public void Build_OneServerListsAUriTwice_ExposedOnceWithoutAnAlias()
    {
        var catalog = Resources(Server("one", Resource("mem://x"), Resource("mem://x")), Server("two", Resource("mem://y")));
        Assert.Equal(["mem://x", "mem://y"], Listed(catalog, "uri"));
        Assert.Equal(2, catalog.Routes.Count);
    }

    [Fact]
    public void Build_SecondServerListsCollidingUriTwice_ExposedOnce()
    {
        var catalog = Resources(Server("one", Resource("mem://x")), Server("two", Resource("mem://x"), Resource("mem://x")));
        Assert.Equal(["mem://x", "mcproxy://two/mem%3A%2F%2Fx"], Listed(catalog, "uri"));
        Assert.Equal(2, catalog.Items.Count);
    }

    [Fact]
    public void Build_Templates_UseUriTemplateKeyAndArray()
    {
        var catalog = Templates(Server("one", Template("file:///{path}")), Server("two", Template("file:///{path}")));
        Assert.Equal("resourceTemplates", catalog.ArrayName);
        Assert.Equal(["file:///{path}", "mcproxy://two/file%3A%2F%2F%2F%7Bpath%7D"], Listed(catalog, "uriTemplate"));
        Assert.Equal(new ToolRoute("two", "file:///{path}"), catalog.Routes["mcproxy://two/file%3A%2F%2F%2F%7Bpath%7D"]);
    }

    [Fact]
    public void Build_NoServers_EmptyList()
    {
        var catalog = Resources();
        Assert.Empty(Listed(catalog, "uri"));
        Assert.Empty(catalog.Routes);
    }

    [Fact]
    public void Resolve_ListedAndRemappedUris_RouteBackToServerAndOriginal()
    {
        var resources = Resources(Server("one", Resource("file:///s")), Server("two", Resource("file:///s")));
        Assert.Equal(new ToolRoute("one", "file:///s"), UriCatalog.Resolve("file:///s", resources, UriCatalog.EmptyTemplates));
        Assert.Equal(new ToolRoute("two", "file:///s"), UriCatalog.Resolve("mcproxy://two/file%3A%2F%2F%2Fs", resources, UriCatalog.EmptyTemplates));
    }

    [Fact]
    public void Resolve_UnlistedGatewayUri_RoutesByItsServerSegment()
    {
        // e.g. a link a client built from a remapped template; the server segment names where it goes.
        var route = UriCatalog.Resolve("mcproxy://two/file%3A%2F%2F%2Fdir%2Fa%20b.txt", UriCatalog.EmptyResources, UriCatalog.EmptyTemplates);
        Assert.Equal(new ToolRoute("two", "file:///dir/a b.txt"), route);
    }

    [Fact]
    public void Resolve_UriFromTemplate_GoesToTemplateServerUnchanged()
    {
        var templates = Templates(Server("gh", Template("github://repos/{owner}/{repo}")), Server("fs", Template("file:///{path}")));
        Assert.Equal(new ToolRoute("fs", "file:///etc/hosts"), UriCatalog.Resolve("file:///etc/hosts", UriCatalog.EmptyResources, templates));
        Assert.Equal(new ToolRoute("gh", "github://repos/a/b"), UriCatalog.Resolve("github://repos/a/b", UriCatalog.EmptyResources, templates));
    }

    [Fact]
    public void Resolve_SeveralTemplatesMatch_LongestLiteralPrefixWins()
    {
        var templates = Templates(
            Server("broad", Template("db://{table}")),
            Server("narrow", Template("db://users/{id}")),
            Server("other", Template("db://u{x}")));
        Assert.Equal("narrow", UriCatalog.Resolve("db://users/42", UriCatalog.EmptyResources, templates)?.Server);
        Assert.Equal("other", UriCatalog.Resolve("db://uploads", UriCatalog.EmptyResources, templates)?.Server);
        Assert.Equal("broad", UriCatalog.Resolve("db://orders", UriCatalog.EmptyResources, templates)?.Server);
    }

    [Fact]
    public void Resolve_CollidingTemplates_FirstInConfigOrderServesConcreteUris()
    {
        var templates = Templates(Server("one", Template("file:///{path}")), Server("two", Template("file:///{path}")));
        Assert.Equal(new ToolRoute("one", "file:///x"), UriCatalog.Resolve("file:///x", UriCatalog.EmptyResources, templates));
    }

    [Fact]
    public void Resolve_ListedResourceBeatsTemplate()
    {
        var resources = Resources(Server("static", Resource("file:///readme")));
        var templates = Templates(Server("dynamic", Template("file:///{path}")));
        Assert.Equal("static", UriCatalog.Resolve("file:///readme", resources, templates)?.Server);
        Assert.Equal("dynamic", UriCatalog.Resolve("file:///other", resources, templates)?.Server);
    }

    [Theory]
    [InlineData("https://unknown.example/x")]
    [InlineData("mcproxy://")]
    [InlineData("mcproxy:///no-server")]
    public void Resolve_NothingMatches_ReturnsNull(string uri)
    {
        var resources = Resources(Server("fs", Resource("file:///a")));
        var templates = Templates(Server("fs", Template("file:///{path}")));
        Assert.Null(UriCatalog.Resolve(uri, resources, templates));
    }
}
