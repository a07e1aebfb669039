using System.Text;
using MCProxy.Configuration;

namespace MCProxy.Tests.Configuration;

public class ConfigEditorTests
{
    private const string Formatted = """
        {
          // the team's servers
          "servers": [
            {"name": "fs",  "command": "npx", "args": ["-y", "@mcp/fs", "/srv"]},
            {
              "name": "memory",
              "command": "npx",   /* keep */
              "args": ["-y", "@mcp/memory"]
            },
            {"name": "git", "command": "uvx", "args": ["mcp-server-git"], "enabled": false}
          ],
          "broadcast": true
        }

        """;

    private static readonly NewServerEntry Time = new("time") { Command = "uvx", Args = ["mcp-server-time"], Env = [new("TZ", "UTC")] };

    private static string Edit(string text, Func<byte[], byte[]?> edit) => Encoding.UTF8.GetString(edit(Encoding.UTF8.GetBytes(text)) ?? []);

    [Fact]
    public void AddServer_MultiLineArray_AppendsInTheFilesStyle_EverythingElseByteForByte()
    {
        var result = Edit(Formatted, b => ConfigEditor.AddServer(b, Time));
        var after = Formatted.IndexOf("\"enabled\": false}", StringComparison.Ordinal) + "\"enabled\": false}".Length;
        Assert.Equal(Formatted[..after] + """
            ,
                {"name": "time", "command": "uvx", "args": ["mcp-server-time"], "env": {"TZ": "UTC"}}
            """ + Formatted[after..], result);
        Assert.True(ConfigLoader.Load(result, Env(), "__").IsValid);
    }

    [Fact]
    public void AddServer_AfterAMultiLineEntry_WritesOnePropertyALine()
    {
        var text = "{\n\t\"servers\": [\n\t\t{\n\t\t\t\"name\": \"a\",\n\t\t\t\"command\": \"x\"\n\t\t}\n\t]\n}";
        var result = Edit(text, b => ConfigEditor.AddServer(b, Time));
        Assert.Equal("{\n\t\"servers\": [\n\t\t{\n\t\t\t\"name\": \"a\",\n\t\t\t\"command\": \"x\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"time\",\n" +
                     "\t\t\t\"command\": \"uvx\",\n\t\t\t\"args\": [\"mcp-server-time\"],\n\t\t\t\"env\": {\"TZ\": \"UTC\"}\n\t\t}\n\t]\n}", result);
    }

    [Fact]
    public void AddServer_KeyedMcpServers_CompactFile_StaysCompact()
    {
        var text = """{"mcpServers":{"a":{"command":"x"}},"auth":null}""";
        var result = Edit(text, b => ConfigEditor.AddServer(b, new NewServerEntry("r") { Url = "https://h/mcp", Headers = [new("X-Key", "${KEY}")] }));
        Assert.Equal("""{"mcpServers":{"a":{"command":"x"}, "r":{"url":"https://h/mcp", "headers":{"X-Key":"${KEY}"}}},"auth":null}""", result);
    }

    [Fact]
    public void AddServer_EmptyContainer_AndNoContainer()
    {
        Assert.Equal("{\n  \"servers\": [\n    {\n      \"name\": \"time\",\n      \"command\": \"uvx\",\n      \"args\": [\"mcp-server-time\"],\n" +
                     "      \"env\": {\"TZ\": \"UTC\"}\n    }\n  ]\n}",
            Edit("{\n  \"servers\": []\n}", b => ConfigEditor.AddServer(b, Time)));
        var added = Edit("{\n  \"inheritEnv\": false\n}", b => ConfigEditor.AddServer(b, Time));
        Assert.StartsWith("{\n  \"inheritEnv\": false,\n  \"servers\": [\n    {\n      \"name\": \"time\",", added);
        Assert.True(ConfigLoader.Load(added, Env(), "__").IsValid);
    }

    [Fact]
    public void AddServer_CrLfFile_KeepsCrLf()
    {
        var text = "{\r\n  \"servers\": [\r\n    {\r\n      \"name\": \"a\",\r\n      \"command\": \"x\"\r\n    }\r\n  ]\r\n}\r\n";
        var result = Edit(text, b => ConfigEditor.AddServer(b, new NewServerEntry("b") { Command = "y" }));
        Assert.DoesNotContain("\n", result.Replace("\r\n", ""));
        Assert.Contains("},\r\n    {\r\n      \"name\": \"b\",\r\n      \"command\": \"y\"\r\n    }\r\n  ]", result);
    }

    [Fact]
    public void AddServer_NameTaken_Throws()
    {
        var ex = Assert.Throws<ConfigEditException>(() => Edit(Formatted, b => ConfigEditor.AddServer(b, new NewServerEntry("memory") { Command = "x" })));
        Assert.Contains("already exists", ex.Message);
    }

    [Theory]
    [InlineData("fs")]
    [InlineData("memory")]
    [InlineData("git")]
    public void RemoveServer_AnyPosition_TakesOnlyThatEntry(string name)
    {
        var result = Edit(Formatted, b => ConfigEditor.RemoveServer(b, name));
        var names = ConfigEditor.ServerNames(Encoding.UTF8.GetBytes(result));
        Assert.Equal(new[] { "fs", "memory", "git" }.Where(n => n != name), names);
        Assert.Contains("// the team's servers", result);
        Assert.Contains("\"broadcast\": true", result);
        Assert.True(ConfigLoader.Load(result, Env(), "__").IsValid);
        // What remains of each other entry is its own bytes.
        foreach (var other in names)
        {
            Assert.Contains(ConfigEditor.EntryText(Encoding.UTF8.GetBytes(Formatted), other)!, result);
        }
    }

    [Fact]
    public void RemoveServer_AfterAdd_GivesTheOriginalBack()
    {
        var added = Edit(Formatted, b => ConfigEditor.AddServer(b, Time));
        Assert.Equal(Formatted, Edit(added, b => ConfigEditor.RemoveServer(b, "time")));
    }

    [Fact]
    public void RemoveServer_TheOnlyOne_LeavesAnEmptyContainer_TrailingCommaToo()
    {
        Assert.Equal("{\"servers\": []}", Edit("{\"servers\": [ {\"name\": \"a\", \"command\": \"x\"}, ]}", b => ConfigEditor.RemoveServer(b, "a")));
        Assert.Equal("{\"mcpServers\": {}}", Edit("{\"mcpServers\": {\"a\": {\"command\": \"x\"}}}", b => ConfigEditor.RemoveServer(b, "a")));
    }

    [Fact]
    public void RemoveServer_Missing_Throws() =>
        Assert.Contains("no server 'nope'", Assert.Throws<ConfigEditException>(() => Edit(Formatted, b => ConfigEditor.RemoveServer(b, "nope"))).Message);

    [Fact]
    public void SetEnabled_InsertsFlipsOrLeavesAlone()
    {
        var disabled = Edit(Formatted, b => ConfigEditor.SetEnabled(b, "memory", false));
        Assert.Equal(Formatted.Replace("\"args\": [\"-y\", \"@mcp/memory\"]\n", "\"args\": [\"-y\", \"@mcp/memory\"],\n      \"enabled\": false\n"), disabled);
        Assert.Equal(Formatted.Replace("\"/srv\"]}", "\"/srv\"], \"enabled\": false}"), Edit(Formatted, b => ConfigEditor.SetEnabled(b, "fs", false)));
        Assert.Equal(Formatted.Replace("\"enabled\": false}", "\"enabled\": true}"), Edit(Formatted, b => ConfigEditor.SetEnabled(b, "git", true)));
        Assert.Null(ConfigEditor.SetEnabled(Encoding.UTF8.GetBytes(Formatted), "git", false));
        Assert.Null(ConfigEditor.SetEnabled(Encoding.UTF8.GetBytes(Formatted), "fs", true));
        var loaded = ConfigLoader.Load(disabled, Env(), "__").Config!;
        Assert.False(loaded.Servers.Single(s => s.Name == "memory").Config!.Enabled);
    }

    [Fact]
    public void SetEnabled_ClaudeFile_SpeaksDisabled()
    {
        var text = """{"mcpServers": {"a": {"command": "x"}, "b": {"command": "y", "disabled": true}}}""";
        Assert.Equal("""{"mcpServers": {"a": {"command": "x", "disabled": true}, "b": {"command": "y", "disabled": true}}}""",
            Edit(text, b => ConfigEditor.SetEnabled(b, "a", false)));
        Assert.Equal("""{"mcpServers": {"a": {"command": "x"}, "b": {"command": "y", "disabled": false}}}""",
            Edit(text, b => ConfigEditor.SetEnabled(b, "b", true)));
        Assert.Equal("""{"mcpServers": {"a": {"disabled": true}}}""", Edit("""{"mcpServers": {"a": {}}}""", b => ConfigEditor.SetEnabled(b, "a", false)));
    }

    [Fact]
    public void EntryText_IsTheEntryAsWritten()
    {
        Assert.Equal("{\"name\": \"fs\",  \"command\": \"npx\", \"args\": [\"-y\", \"@mcp/fs\", \"/srv\"]}", ConfigEditor.EntryText(Encoding.UTF8.GetBytes(Formatted), "fs"));
        Assert.Null(ConfigEditor.EntryText(Encoding.UTF8.GetBytes(Formatted), "nope"));
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("{\"servers\": [")]
    [InlineData("{\"servers\": 3}")]
    public void Edits_OnAFileTheyCannotRead_Throw(string text) =>
        Assert.Throws<ConfigEditException>(() => Edit(text, b => ConfigEditor.AddServer(b, Time)));

    [Fact]
    public void NonAsciiAndEscapes_SurviveByteForByte()
    {
        var text = "{\"servers\": [{\"name\": \"ü\", \"command\": \"x\", \"args\": [\"caf\\u00e9\", \"日本\"]}]}";
        var result = Edit(text, b => ConfigEditor.AddServer(b, new NewServerEntry("b") { Command = "y", Args = ["naïve \"q\""] }));
        Assert.StartsWith(text[..^2], result);
        Assert.Contains("\"args\": [\"naïve \\\"q\\\"\"]", result);
    }

    private static EnvironmentSource Env() => new(new Dictionary<string, string>(), new Dictionary<string, string>());
}
