using MCProxy.Configuration;

namespace MCProxy.Tests.Configuration;

public class ConfigLoaderTests
{
    private static readonly EnvironmentSource Env = new(
        new Dictionary<string, string> { ["HOME_DIR"] = "/home/u", ["TOKEN"] = "from-process", ["EMPTY"] = "" },
        new Dictionary<string, string> { ["TOKEN"] = "from-dotenv", ["ONLY_DOTENV"] = "dot" });

    private static GatewayConfig LoadValid(string json)
    {
        var result = ConfigLoader.Load(json, Env, "__");
        Assert.True(result.IsValid, string.Join("\n", result.FileErrors));
        return result.Config!;
    }

    private static IReadOnlyList<ConfigError> FileErrors(string json)
    {
        var result = ConfigLoader.Load(json, Env, "__");
        Assert.False(result.IsValid);
        return result.FileErrors;
    }

    [Fact]
    public void Load_ServersForm_ReadsEveryField()
    {
        var config = LoadValid("""
            {"servers":[{"name":"wikipedia","command":"/usr/bin/npx","args":["-y","wikipedia-mcp"],
              "env":{"KEY":"${TOKEN}"},"cwd":"/tmp","timeout":2.5,"enabled":false}]}
            """);
        var server = Assert.Single(config.Servers).Config!;
        Assert.Equal("wikipedia", server.Name);
        Assert.Equal("/usr/bin/npx", server.Command);
        Assert.Equal(["-y", "wikipedia-mcp"], server.Args);
        Assert.Equal("from-process", server.Env["KEY"]);
        Assert.Equal("/tmp", server.Cwd);
        Assert.Equal(TimeSpan.FromSeconds(2.5), server.Timeout);
        Assert.False(server.Enabled);
    }

    [Fact]
    public void Load_ClaudeForm_KeysAreNames()
    {
        var config = LoadValid("""
            {"mcpServers":{"memory":{"command":"npx","args":["-y","@modelcontextprotocol/server-memory"]},
                           "fs":{"type":"stdio","command":"npx","disabled":true}}}
            """);
        Assert.Equal(["memory", "fs"], config.Servers.Select(s => s.Name));
        Assert.True(config.Servers[0].Config!.Enabled);
        Assert.False(config.Servers[1].Config!.Enabled);
        Assert.Equal(ServerConfig.DefaultTimeout, config.Servers[0].Config!.Timeout);
    }

    [Fact]
    public void Load_Variables_ProcessWinsDefaultsApplyDotEnvFills()
    {
        var config = LoadValid("""
            {"servers":[{"name":"a","command":"${HOME_DIR}/bin/x","args":["${ONLY_DOTENV}","${MISSING:-fallback}","${EMPTY:-e}","$${HOME_DIR}"],
                         "env":{"T":"${TOKEN}"}}]}
            """);
        var server = config.Servers[0].Config!;
        Assert.Equal("/home/u/bin/x", server.Command);
        Assert.Equal(["dot", "fallback", "e", "${HOME_DIR}"], server.Args);
        Assert.Equal("from-process", server.Env["T"]);
    }

    [Fact]
    public void Load_MalformedJson_ReportsLineAndColumn()
    {
        var error = Assert.Single(FileErrors("{\n  \"servers\": [\n    {\"name\": \"a\",, }\n  ]\n}"));
        Assert.StartsWith("line 3, column", error.Path);
        Assert.Contains("malformed JSON", error.Message);
    }

    [Theory]
    [InlineData("[]", "must be a JSON object")]
    [InlineData("{}", "no servers")]
    [InlineData("{\"servers\":\"x\"}", "must be an array")]
    [InlineData("{\"mcpServers\":[]}", "must be an object")]
    [InlineData("{\"servers\":[],\"mcpServers\":{}}", "not both")]
    public void Load_WrongTopLevelShape_RejectsFile(string json, string expected)
    {
        Assert.Contains(expected, Assert.Single(FileErrors(json)).Message);
    }

    [Fact]
    public void Load_DuplicateNames_RejectsFileNamingBothPlaces()
    {
        var error = Assert.Single(FileErrors("""{"servers":[{"name":"a","command":"x"},{"name":"b","command":"x"},{"name":"a","command":"y"}]}"""));
        Assert.Equal("a", error.Server);
        Assert.Contains("$.servers[0]", error.Path);
        Assert.Contains("$.servers[2]", error.Path);
    }

    [Fact]
    public void Load_DuplicateKeysInMcpServers_RejectsFile()
    {
        Assert.Contains("duplicate", Assert.Single(FileErrors("""{"mcpServers":{"a":{"command":"x"},"a":{"command":"y"}}}""")).Message);
    }

    [Fact]
    public void Load_ServerErrors_MarkOnlyThatServerInvalidAndCollectAll()
    {
        var config = LoadValid("""
            {"servers":[
              {"name":"good","command":"x"},
              {"name":"bad name!","args":"not-an-array","env":{"N":1},"timeout":-1,"enabled":"yes","cwd":3},
              {"name":"has__sep","command":"x"},
              {"name":"unset","command":"x","env":{"K":"${NOPE}"}},
              {"name":"mcproxy","command":"x"},
              {"command":"x"},
              {"name":"remote","url":"ftp://x"},
              {"name":"sse","type":"sse","command":"x"}
            ]}
            """);
        Assert.True(config.Servers[0].IsValid);
        var bad = config.Servers[1];
        Assert.False(bad.IsValid);
        var paths = bad.Errors.Select(e => e.Path).ToArray();
        Assert.Contains("$.servers[1].name", paths);
        Assert.Contains("$.servers[1].command", paths);
        Assert.Contains("$.servers[1].args", paths);
        Assert.Contains("$.servers[1].env.N", paths);
        Assert.Contains("$.servers[1].timeout", paths);
        Assert.Contains("$.servers[1].enabled", paths);
        Assert.Contains("$.servers[1].cwd", paths);
        Assert.Contains("separator", Assert.Single(config.Servers[2].Errors).Message);
        var unset = Assert.Single(config.Servers[3].Errors);
        Assert.Equal("$.servers[3].env.K", unset.Path);
        Assert.Contains("'NOPE' is not set", unset.Message);
        Assert.Contains("reserved", Assert.Single(config.Servers[4].Errors).Message);
        Assert.Equal("$.servers[5].name", Assert.Single(config.Servers[5].Errors).Path);
        Assert.Contains("absolute http:// or https://", Assert.Single(config.Servers[6].Errors).Message);
        var both = config.Servers[7].Errors.Select(e => e.Path + ": " + e.Message).ToArray();
        Assert.Contains(both, e => e.StartsWith("$.servers[7].command: give either", StringComparison.Ordinal));
        Assert.Contains(both, e => e.StartsWith("$.servers[7].url: a remote server needs", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_ErrorMessages_NeverContainSecretValues()
    {
        var config = LoadValid("""{"servers":[{"name":"a","env":{"SECRET":"${TOKEN}","OTHER":"${NOPE}"}}]}""");
        var text = string.Join("\n", config.Servers[0].Errors);
        Assert.DoesNotContain("from-process", text);
        Assert.DoesNotContain("from-dotenv", text);
    }

    [Fact]
    public void Load_SameFileTwice_GivesEqualConfigs()
    {
        const string json = """{"servers":[{"name":"a","command":"x","args":["1"],"env":{"K":"v"}}]}""";
        Assert.Equal(LoadValid(json), LoadValid(json));
        Assert.NotEqual(LoadValid(json), LoadValid(json.Replace("\"v\"", "\"w\"")));
    }

    [Fact]
    public void Load_CommentsAndTrailingCommas_AreAccepted()
    {
        Assert.Single(LoadValid("{ // servers\n \"servers\":[{\"name\":\"a\",\"command\":\"x\",},],}").Servers);
    }

    [Fact]
    public void Load_InheritEnv_DefaultsToTrue()
    {
        Assert.True(LoadValid("""{"servers":[{"name":"a","command":"x"}]}""").Servers[0].Config!.InheritEnv);
    }

    [Fact]
    public void Load_TopLevelInheritEnvFalse_IsEveryStdioServersDefault_AServerMayOverrideIt()
    {
        var config = LoadValid("""
            {"inheritEnv": false,
             "servers":[{"name":"a","command":"x"},{"name":"b","command":"x","inheritEnv":true},{"name":"c","command":"x","inheritEnv":false}]}
            """);
        Assert.Equal([false, true, false], config.Servers.Select(s => s.Config!.InheritEnv));
    }

    [Fact]
    public void Load_PerServerInheritEnvFalse_WithTopLevelDefault()
    {
        var config = LoadValid("""{"mcpServers":{"a":{"command":"x","inheritEnv":false},"b":{"command":"x"}}}""");
        Assert.Equal([false, true], config.Servers.Select(s => s.Config!.InheritEnv));
    }

    [Theory]
    [InlineData("\"false\"")]
    [InlineData("0")]
    [InlineData("[]")]
    public void Load_TopLevelInheritEnvNotBoolean_RejectsFile(string value)
    {
        var error = Assert.Single(FileErrors("{\"inheritEnv\": " + value + ", \"servers\":[{\"name\":\"a\",\"command\":\"x\"}]}"));
        Assert.Equal("$.inheritEnv", error.Path);
        Assert.Contains("true or false", error.Message);
    }

    [Fact]
    public void Load_PerServerInheritEnvNotBoolean_MarksOnlyThatServerInvalid()
    {
        var config = LoadValid("""{"servers":[{"name":"a","command":"x","inheritEnv":"no"},{"name":"b","command":"x"}]}""");
        Assert.Equal("$.servers[0].inheritEnv", Assert.Single(config.Servers[0].Errors).Path);
        Assert.True(config.Servers[1].IsValid);
    }

    [Fact]
    public void Load_InheritEnvChange_MakesTheServerUnequal()
    {
        const string json = """{"servers":[{"name":"a","command":"x"}]}""";
        Assert.NotEqual(LoadValid(json).Servers[0], LoadValid(json.Replace("{\"servers\"", "{\"inheritEnv\":false,\"servers\"")).Servers[0]);
    }

    [Theory]
    [InlineData("mcp-servers.example.json")]
    [InlineData("config/mcp-servers.json")]
    [InlineData("deploy/container/mcp-servers.json")]
    public void Load_ShippedConfig_IsValid_AndNoChildInheritsTheGatewaysEnvironment(string file)
    {
        var repo = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(repo.FullName, "MCProxy.sln")))
        {
            repo = repo.Parent ?? throw new InvalidOperationException("MCProxy.sln not found above " + AppContext.BaseDirectory);
        }
        var environment = new EnvironmentSource(new Dictionary<string, string> { ["MCPROXY_TOKEN"] = "shipped-config-token-0123456789" },
            new Dictionary<string, string>());
        var result = ConfigLoader.Load(File.ReadAllText(Path.Combine(repo.FullName, file)), environment, "__");
        Assert.True(result.IsValid, string.Join("\n", result.FileErrors));
        Assert.NotEmpty(result.Config!.Servers);
        Assert.All(result.Config.Servers, s => Assert.True(s.IsValid, string.Join("\n", s.Errors)));
        Assert.All(result.Config.Servers, s => Assert.False(s.Config!.InheritEnv, s.Name));
    }
}
