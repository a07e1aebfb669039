using MCProxy.Configuration;

namespace MCProxy.Tests.Configuration;

/// <summary>rename, descriptions, prefix and tags: parsing, errors by field, and what equality ignores.</summary>
public sealed class ToolShapeConfigTests
{
    private static readonly EnvironmentSource Env = new(new Dictionary<string, string>(), new Dictionary<string, string>());

    private static ConfigLoadResult Load(string servers) => ConfigLoader.Load($$"""{"servers":[{{servers}}]}""", Env, "__");

    [Fact]
    public void Shape_IsParsed_AndLeftOutOfEquality()
    {
        var shaped = Load("""{"name":"a","command":"x","prefix":"files","rename":{"read_file":"read"},"descriptions":{"read_*":"Reads.","read_file":"Reads one file."},"tags":["fs","prod"]}""");
        var shape = shaped.Config!.Servers[0].Config!.Shape;
        Assert.Equal("files", shape.PrefixFor("a"));
        Assert.Equal("read", shape.NameOf("read_file"));
        Assert.Equal("write_file", shape.NameOf("write_file"));
        Assert.Equal("Reads one file.", shape.DescriptionOf("read_file"));
        Assert.Equal("Reads.", shape.DescriptionOf("read_multiple"));
        Assert.Null(shape.DescriptionOf("write_file"));
        Assert.Equal(["fs", "prod"], shape.Tags);
        var plain = Load("""{"name":"a","command":"x"}""").Config!.Servers[0].Config!;
        Assert.Equal(plain, shaped.Config.Servers[0].Config); // a reshape never restarts the server
        Assert.Equal("a", plain.Shape.PrefixFor("a"));
    }

    [Theory]
    [InlineData("""{"name":"a","command":"x","rename":{"r*":"x"}}""", "$.servers[0].rename.r*")]
    [InlineData("""{"name":"a","command":"x","rename":{"one":"same","two":"same"}}""", "$.servers[0].rename.two")]
    [InlineData("""{"name":"a","command":"x","rename":{"one":"has space"}}""", "$.servers[0].rename.one")]
    [InlineData("""{"name":"a","command":"x","descriptions":{"one":1}}""", "$.servers[0].descriptions.one")]
    [InlineData("""{"name":"a","command":"x","prefix":"x__y"}""", "$.servers[0].prefix")]
    [InlineData("""{"name":"a","command":"x","prefix":"mcproxy"}""", "$.servers[0].prefix")]
    [InlineData("""{"name":"a","command":"x","tags":["ok","not ok"]}""", "$.servers[0].tags")]
    public void BadShape_MarksOnlyThatServerInvalid_NamingTheField(string entry, string path)
    {
        var config = Load(entry + """,{"name":"b","command":"x"}""").Config!;
        Assert.Equal(path, Assert.Single(config.Servers[0].Errors).Path);
        Assert.True(config.Servers[1].IsValid);
    }

    [Theory]
    [InlineData("""{"name":"a","command":"x","prefix":"b"},{"name":"b","command":"x"}""", "'a' and 'b' both use the prefix 'b'")]
    [InlineData("""{"name":"a","command":"x","prefix":""},{"name":"b","command":"x","prefix":""}""", "'a' and 'b' both expose bare tool names")]
    public void PrefixCollision_RejectsTheFile_NamingBothServers(string servers, string message)
    {
        var result = Load(servers);
        Assert.False(result.IsValid);
        Assert.Contains(message, Assert.Single(result.FileErrors).Message);
    }

    [Fact]
    public void ADisabledServer_DoesNotClaimItsPrefix()
    {
        Assert.True(Load("""{"name":"a","command":"x","prefix":"b"},{"name":"b","command":"x","enabled":false}""").IsValid);
    }
}
