using System.Text;
using MCProxy.Configuration;
using MCProxy.Reconciliation;

namespace MCProxy.Tests.Configuration;

/// <summary>Remote server entries (<c>url</c> instead of <c>command</c>) as Claude Code, VS Code and Cursor write them.</summary>
public sealed class RemoteServerConfigTests : IDisposable
{
    private const string ApiKey = "api-key-0123456789abcdef";
    private const string Token = "bearer-token-0123456789abcdef";
    private const string Password = "basic-password-0123456789";
    private const string ClientSecret = "client-secret-0123456789abcdef";
    private const string DotEnvKey = "dotenv-key-0123456789abcdef";

    private static readonly EnvironmentSource Env = new(
        new Dictionary<string, string> { ["API_KEY"] = ApiKey, ["TOKEN"] = Token, ["PASSWORD"] = Password, ["CLIENT_SECRET"] = ClientSecret,
            ["WITH_NEWLINE"] = "a\r\nInjected: yes", ["HOST"] = "api.example.com" },
        new Dictionary<string, string> { ["DOT_KEY"] = DotEnvKey });

    private static readonly string[] AllSecrets = [ApiKey, Token, Password, ClientSecret, DotEnvKey];

    private readonly string _dir = Directory.CreateTempSubdirectory("mcproxy-remote-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static GatewayConfig Load(string json)
    {
        var result = ConfigLoader.Load(json, Env, "__");
        Assert.True(result.IsValid, string.Join("\n", result.FileErrors));
        return result.Config!;
    }

    /// <summary>One server entry in the "servers" array form, beside a valid stdio server that must stay valid.</summary>
    private static ServerDefinition LoadOne(string entry)
    {
        var config = Load($$$"""{"servers":[{{{entry}}},{"name":"bystander","command":"x"}]}""");
        Assert.True(config.Servers[1].IsValid, string.Join("\n", config.Servers[1].Errors));
        return config.Servers[0];
    }

    private static RemoteServer Remote(string entry)
    {
        var definition = LoadOne(entry);
        Assert.True(definition.IsValid, string.Join("\n", definition.Errors));
        return Assert.IsType<RemoteServer>(definition.Config!.Remote);
    }

    private static IReadOnlyList<ConfigError> Errors(string entry)
    {
        var definition = LoadOne(entry);
        Assert.False(definition.IsValid);
        Assert.NotEmpty(definition.Errors);
        var text = string.Join("\n", definition.Errors);
        foreach (var secret in AllSecrets)
        {
            Assert.DoesNotContain(secret, text);
        }
        return definition.Errors;
    }

    /// <summary><c>${file:path}</c>.</summary>
    private static string FileRef(string path) => "${file:" + path + "}";

    private string SecretFile(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Load_ClaudeCodeHttpForm_ReadsUrlAndExpandedHeaders()
    {
        var config = Load("""
            {"mcpServers":{"api":{"type":"http","url":"https://${HOST}/mcp","headers":{"X-Api-Key":"${API_KEY}","X-Dot":"${DOT_KEY}","X-Plain":"v"}}}}
            """);
        var server = Assert.Single(config.Servers).Config!;
        Assert.True(server.IsRemote);
        Assert.Equal("", server.Command);
        var remote = server.Remote!;
        Assert.Equal(RemoteTransport.Http, remote.Transport);
        Assert.Equal(new Uri("https://api.example.com/mcp"), remote.Url);
        Assert.Equal(ApiKey, remote.Headers["X-Api-Key"]);
        Assert.Equal(ApiKey, remote.Headers["x-api-key"]); // header names are case-insensitive
        Assert.Equal(DotEnvKey, remote.Headers["X-Dot"]);
        Assert.Equal("v", remote.Headers["X-Plain"]);
        Assert.Null(remote.Credential);
        Assert.Null(remote.CaFile);
        Assert.False(remote.Insecure);
    }

    [Theory]
    [InlineData("""{"name":"r","type":"http","url":"https://h/mcp"}""", "Http")]
    [InlineData("""{"name":"r","type":"streamable-http","url":"https://h/mcp"}""", "Http")]
    [InlineData("""{"name":"r","type":"sse","url":"https://h/sse"}""", "Sse")]
    [InlineData("""{"name":"r","url":"http://127.0.0.1:9000/mcp"}""", "Http")]
    [InlineData("""{"name":"r","type":null,"url":"https://h/mcp"}""", "Http")]
    public void Load_TypeAndBareUrl_PickTheTransport(string entry, string expected)
    {
        Assert.Equal(expected, Remote(entry).Transport.ToString());
    }

    [Fact]
    public void Load_CursorSseForm_InMcpServers()
    {
        var config = Load("""{"mcpServers":{"events":{"type":"sse","url":"https://h/sse"},"local":{"command":"npx"}}}""");
        Assert.Equal(RemoteTransport.Sse, config.Servers[0].Config!.Remote!.Transport);
        Assert.False(config.Servers[1].Config!.IsRemote);
        Assert.Null(config.Servers[1].Config!.Remote);
    }

    [Theory]
    [InlineData("""{"name":"r","type":"http"}""", "url")]
    [InlineData("""{"name":"r","type":"sse","url":42}""", "url")]
    [InlineData("""{"name":"r","url":"/relative/mcp"}""", "url")]
    [InlineData("""{"name":"r","url":"ftp://h/mcp"}""", "url")]
    [InlineData("""{"name":"r","url":"https://h/mcp","headers":["X-A: b"]}""", "headers")]
    [InlineData("""{"name":"r","url":"https://h/mcp","headers":{"X-Num":5}}""", "headers.X-Num")]
    [InlineData("""{"name":"r","url":"https://h/mcp","headers":{"Bad Name":"v"}}""", "headers.Bad Name")]
    [InlineData("""{"name":"r","url":"https://h/mcp","headers":{"Host":"evil"}}""", "headers.Host")]
    [InlineData("""{"name":"r","url":"https://h/mcp","headers":{"Mcp-Session-Id":"s"}}""", "headers.Mcp-Session-Id")]
    [InlineData("""{"name":"r","url":"https://h/mcp","headers":{"X-Split":"${WITH_NEWLINE}"}}""", "headers.X-Split")]
    [InlineData("""{"name":"r","url":"https://h/mcp","insecure":"yes"}""", "insecure")]
    [InlineData("""{"name":"r","url":"https://h/mcp","insecure":true,"caFile":"/etc/ca.pem"}""", "insecure")]
    [InlineData("""{"name":"r","url":"https://h/mcp","caFile":""}""", "caFile")]
    public void Load_BadRemoteField_MarksOnlyThatServerInvalid_NamingTheField(string entry, string field)
    {
        var error = Assert.Single(Errors(entry));
        Assert.Equal($"$.servers[0].{field}", error.Path);
        Assert.Equal("r", error.Server);
    }

    [Theory]
    [InlineData("""{"name":"r","type":"websocket","url":"https://h/mcp"}""")]
    [InlineData("""{"name":"r","type":7,"url":"https://h/mcp"}""")]
    public void Load_UnknownType_IsAnError(string entry)
    {
        var error = Assert.Single(Errors(entry)); // only the type: no second error about url or a missing command
        Assert.Equal("$.servers[0].type", error.Path);
        Assert.Contains("\"http\"", error.Message);
    }

    [Fact]
    public void Load_ACredentialEmptyAfterExpansion_IsAnError()
    {
        var file = Path.Combine(_dir, "empty-secret");
        File.WriteAllText(file, "\n");
        var error = Assert.Single(Errors($$$"""{"name":"r","url":"https://h/mcp","auth":{"type":"bearer","token":"${file:{{{file}}}}"}}"""));
        Assert.Equal("$.servers[0].auth.token", error.Path);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void Load_VsCodesServersObject_IsKeyedByName()
    {
        var config = Load("""{"servers":{"github":{"type":"http","url":"https://api.githubcopilot.com/mcp/"},"memory":{"command":"npx"}}}""");
        Assert.Equal(["github", "memory"], config.Servers.Select(s => s.Name));
        Assert.True(config.Servers[0].Config!.IsRemote);
        Assert.Equal("npx", config.Servers[1].Config!.Command);
    }

    [Fact]
    public void Load_TopLevelInheritEnv_DoesNotChangeARemoteServer()
    {
        var inherit = Load("""{"servers":[{"name":"r","url":"https://h/mcp"}]}""").Servers[0].Config;
        var isolated = Load("""{"inheritEnv":false,"servers":[{"name":"r","url":"https://h/mcp"}]}""").Servers[0].Config;
        Assert.Equal(inherit, isolated); // flipping the default restarts no remote server
    }

    [Fact]
    public void SecretFileRotation_ChangesTheFingerprint_WithoutHoldingTheSecret()
    {
        var secret = Path.Combine(_dir, "token");
        File.WriteAllText(secret, Token + "\n");
        var config = Path.Combine(_dir, "mcp-servers.json");
        File.WriteAllText(config, $$$"""{"servers":[{"name":"r","url":"https://h/mcp","auth":{"type":"bearer","token":"${file:{{{secret}}}}"}}]}""");
        var options = new GatewayOptions { ConfigPath = config };
        var before = ConfigFile.ReadTexts(options).Fingerprint;
        Assert.Equal(before, ConfigFile.ReadTexts(options).Fingerprint);
        Assert.DoesNotContain(Token, before);
        File.WriteAllText(secret, "rotated-token-0123456789abcdef\n");
        Assert.NotEqual(before, ConfigFile.ReadTexts(options).Fingerprint);
    }

    [Fact]
    public void Load_InvalidUrl_DoesNotEchoIt()
    {
        var error = Assert.Single(Errors("""{"name":"r","url":"not a url?api_key=${API_KEY}"}"""));
        Assert.Equal("$.servers[0].url", error.Path);
        Assert.DoesNotContain("not a url", error.Message);
    }

    [Fact]
    public void Load_CaFileAndInsecure_AreRead()
    {
        Assert.Equal("/etc/ca/internal.pem", Remote("""{"name":"r","url":"https://h/mcp","caFile":"/etc/ca/internal.pem"}""").CaFile);
        Assert.True(Remote("""{"name":"r","url":"https://h/mcp","insecure":true}""").Insecure);
    }

    [Fact]
    public void Load_BearerAuth_ExpandsTheToken()
    {
        var credential = Assert.IsType<BearerCredential>(Remote("""{"name":"r","url":"https://h/mcp","auth":{"type":"bearer","token":"${TOKEN}"}}""").Credential);
        Assert.Equal(Token, credential.Token);
    }

    [Fact]
    public void Load_BasicAuth_GivesTheHeaderValue()
    {
        var credential = Assert.IsType<BasicCredential>(
            Remote("""{"name":"r","url":"https://h/mcp","auth":{"type":"basic","username":"svc","password":"${PASSWORD}"}}""").Credential);
        Assert.Equal("svc", credential.Username);
        Assert.Equal(Password, credential.Password);
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes("svc:" + Password)), credential.HeaderValue);
    }

    [Fact]
    public void Load_OAuth2Auth_ReadsEveryField()
    {
        var credential = Assert.IsType<OAuth2Credential>(Remote("""
            {"name":"r","url":"https://h/mcp","auth":{"type":"oauth2","tokenUrl":"https://id.example/token","clientId":"gateway",
             "clientSecret":"${CLIENT_SECRET}","scopes":["mcp.read","mcp.write"]}}
            """).Credential);
        Assert.Equal(new Uri("https://id.example/token"), credential.TokenUrl);
        Assert.Equal("gateway", credential.ClientId);
        Assert.Equal(ClientSecret, credential.ClientSecret);
        Assert.Equal(["mcp.read", "mcp.write"], credential.Scopes);
        Assert.Empty(Assert.IsType<OAuth2Credential>(Remote("""
            {"name":"r","url":"https://h/mcp","auth":{"type":"oauth2","tokenUrl":"https://id.example/token","clientId":"c","clientSecret":"s"}}
            """).Credential).Scopes);
    }

    [Theory]
    [InlineData("\"bearer\"", "auth")]
    [InlineData("""{"token":"${TOKEN}"}""", "auth")]
    [InlineData("""{"type":"digest","token":"${TOKEN}"}""", "auth.type")]
    [InlineData("""{"type":"bearer"}""", "auth.token")]
    [InlineData("""{"type":"bearer","token":""}""", "auth.token")]
    [InlineData("""{"type":"bearer","token":"${NOT_SET}"}""", "auth.token")]
    [InlineData("""{"type":"basic","username":"svc"}""", "auth.password")]
    [InlineData("""{"type":"basic","password":"${PASSWORD}"}""", "auth.username")]
    [InlineData("""{"type":"basic","username":"a:b","password":"${PASSWORD}"}""", "auth.username")]
    [InlineData("""{"type":"oauth2","clientId":"c","clientSecret":"${CLIENT_SECRET}"}""", "auth.tokenUrl")]
    [InlineData("""{"type":"oauth2","tokenUrl":"ftp://id/token","clientId":"c","clientSecret":"${CLIENT_SECRET}"}""", "auth.tokenUrl")]
    [InlineData("""{"type":"oauth2","tokenUrl":"https://id/token","clientSecret":"${CLIENT_SECRET}"}""", "auth.clientId")]
    [InlineData("""{"type":"oauth2","tokenUrl":"https://id/token","clientId":"c"}""", "auth.clientSecret")]
    [InlineData("""{"type":"oauth2","tokenUrl":"https://id/token","clientId":"c","clientSecret":"${NOT_SET}"}""", "auth.clientSecret")]
    [InlineData("""{"type":"oauth2","tokenUrl":"https://id/token","clientId":"c","clientSecret":"${CLIENT_SECRET}","scopes":"read"}""", "auth.scopes")]
    [InlineData("""{"type":"oauth2","tokenUrl":"https://id/token","clientId":"c","clientSecret":"${CLIENT_SECRET}","scopes":["read",1]}""", "auth.scopes")]
    public void Load_BadAuth_MarksOnlyThatServerInvalid_NamingTheField(string auth, string field)
    {
        var error = Assert.Single(Errors($$$"""{"name":"r","url":"https://h/mcp","auth":{{{auth}}}}"""));
        Assert.Equal($"$.servers[0].{field}", error.Path);
    }

    [Fact]
    public void Load_AuthAndAuthorizationHeader_IsAnError()
    {
        var error = Assert.Single(Errors("""
            {"name":"r","url":"https://h/mcp","headers":{"Authorization":"Bearer ${TOKEN}"},"auth":{"type":"bearer","token":"${TOKEN}"}}
            """));
        Assert.Equal("$.servers[0].headers.Authorization", error.Path);
    }

    [Fact]
    public void Load_AuthorizationHeaderAlone_IsAccepted()
    {
        Assert.Equal("Bearer " + Token, Remote("""{"name":"r","url":"https://h/mcp","headers":{"Authorization":"Bearer ${TOKEN}"}}""").Headers["Authorization"]);
    }

    [Fact]
    public void Load_UnsetVariableInHeader_MarksOnlyThatServerInvalid_NamingFieldAndVariable()
    {
        var config = Load("""
            {"mcpServers":{"good":{"url":"https://h/mcp","headers":{"X-Api-Key":"${API_KEY}"}},
                           "bad":{"url":"https://h/mcp","headers":{"X-Api-Key":"${API_KEY}","X-Other":"${NOT_SET}"}}}}
            """);
        Assert.True(config.Servers[0].IsValid);
        var error = Assert.Single(config.Servers[1].Errors);
        Assert.Equal("$.mcpServers.bad.headers.X-Other", error.Path);
        Assert.Equal("bad", error.Server);
        Assert.Contains("'NOT_SET' is not set", error.Message);
        Assert.DoesNotContain(ApiKey, error.ToString());
    }

    [Theory]
    [InlineData("s3cret\n", "s3cret")]
    [InlineData("s3cret\r\n", "s3cret")]
    [InlineData("s3cret", "s3cret")]
    [InlineData("line1\nline2\n\n", "line1\nline2\n")]
    [InlineData("", "")]
    public void Load_FileSecret_IsTheFileTextMinusOneTrailingNewline(string content, string expected)
    {
        var path = SecretFile("secret", content);
        var config = Load($$$"""{"servers":[{"name":"a","command":"x","env":{"S":"{{{FileRef(path)}}}"}}]}""");
        Assert.Equal(expected, config.Servers[0].Config!.Env["S"]);
    }

    [Fact]
    public void Load_FileSecret_FillsHeadersAndAuth()
    {
        var key = SecretFile("api-key", ApiKey + "\n");
        var secret = SecretFile("client-secret", ClientSecret + "\n");
        var remote = Remote($$$"""
            {"name":"r","url":"https://h/mcp","headers":{"X-Api-Key":"{{{FileRef(key)}}}"},
             "auth":{"type":"oauth2","tokenUrl":"https://id/token","clientId":"c","clientSecret":"{{{FileRef(secret)}}}"}}
            """);
        Assert.Equal(ApiKey, remote.Headers["X-Api-Key"]);
        Assert.Equal(ClientSecret, Assert.IsType<OAuth2Credential>(remote.Credential).ClientSecret);
    }

    [Fact]
    public void Load_MissingFileSecret_MarksOnlyThatServerInvalid_NamingTheFieldNotTheValues()
    {
        var present = SecretFile("present", ClientSecret + "\n");
        var missing = Path.Combine(_dir, "missing");
        var config = Load($$$"""
            {"servers":[
              {"name":"ok","url":"https://h/mcp","auth":{"type":"oauth2","tokenUrl":"https://id/token","clientId":"c","clientSecret":"{{{FileRef(present)}}}"}},
              {"name":"broken","url":"https://h/mcp","headers":{"X-Api-Key":"${API_KEY}"},
               "auth":{"type":"oauth2","tokenUrl":"https://id/token","clientId":"c","clientSecret":"{{{FileRef(missing)}}}"}},
              {"name":"stdio","command":"x","env":{"K":"{{{FileRef(present)}}}"}}
            ]}
            """);
        Assert.True(config.Servers[0].IsValid);
        Assert.True(config.Servers[2].IsValid);
        var error = Assert.Single(config.Servers[1].Errors);
        Assert.Equal("$.servers[1].auth.clientSecret", error.Path);
        Assert.Contains(missing, error.Message);
        foreach (var secret in AllSecrets)
        {
            Assert.DoesNotContain(secret, error.ToString());
        }
    }

    [Fact]
    public void Load_FileSecretOver64KiB_IsAnError()
    {
        var path = SecretFile("huge", new string('k', 64 * 1024 + 1));
        var error = Assert.Single(Errors($$$"""{"name":"r","url":"https://h/mcp","headers":{"X-Api-Key":"{{{FileRef(path)}}}"}}"""));
        Assert.Equal("$.servers[0].headers.X-Api-Key", error.Path);
        Assert.Contains("64 KiB", error.Message);
        Assert.DoesNotContain("kkkk", error.Message);
    }

    [Theory]
    [InlineData("headers", "{\"X-A\":\"b\"}")]
    [InlineData("auth", "{\"type\":\"bearer\",\"token\":\"t\"}")]
    [InlineData("caFile", "\"/etc/ca.pem\"")]
    [InlineData("insecure", "true")]
    public void Load_RemoteOnlyFieldOnStdioServer_IsAnError(string field, string value)
    {
        var error = Assert.Single(Errors("{\"name\":\"r\",\"command\":\"x\",\"" + field + "\":" + value + "}"));
        Assert.Equal($"$.servers[0].{field}", error.Path);
        Assert.Contains("remote servers only", error.Message);
    }

    [Fact]
    public void Load_UrlOnExplicitStdioServer_IsAnError()
    {
        var error = Assert.Single(Errors("""{"name":"r","type":"stdio","command":"x","url":"https://h/mcp"}"""));
        Assert.Equal("$.servers[0].url", error.Path);
    }

    [Theory]
    [InlineData("args", "[\"-y\"]")]
    [InlineData("env", "{\"K\":\"v\"}")]
    [InlineData("cwd", "\"/srv\"")]
    [InlineData("inheritEnv", "false")]
    [InlineData("command", "\"npx\"")]
    public void Load_StdioOnlyFieldOnRemoteServer_IsAnError(string field, string value)
    {
        var errors = Errors("{\"name\":\"r\",\"url\":\"https://h/mcp\",\"" + field + "\":" + value + "}");
        Assert.Contains(errors, e => e.Path == $"$.servers[0].{field}");
    }

    [Fact]
    public void Load_SameRemoteConfig_IsEqual_AndAnyChangedSecretOrUrlIsNot()
    {
        const string entry = """
            {"name":"r","url":"https://h/mcp?tenant=1","headers":{"X-Api-Key":"${API_KEY}"},"auth":{"type":"bearer","token":"${TOKEN}"}}
            """;
        var before = LoadOne(entry).Config!;
        Assert.Equal(before, LoadOne(entry).Config);
        Assert.Equal(before.GetHashCode(), LoadOne(entry).Config!.GetHashCode());
        Assert.NotEqual(before, LoadOne(entry.Replace("${API_KEY}", "${API_KEY}x")).Config);
        Assert.NotEqual(before, LoadOne(entry.Replace("https://h/mcp", "https://h2/mcp")).Config);
        Assert.NotEqual(before, LoadOne(entry.Replace("tenant=1", "tenant=2")).Config);
        Assert.NotEqual(before, LoadOne(entry.Replace("https://h/", "https://user:pw@h/")).Config);
        Assert.NotEqual(before, LoadOne(entry.Replace("\"type\":\"bearer\",\"token\":\"${TOKEN}\"",
            "\"type\":\"basic\",\"username\":\"u\",\"password\":\"${TOKEN}\"")).Config);
        Assert.NotEqual(before, LoadOne(entry.Replace("${TOKEN}", "${TOKEN}x")).Config);
        Assert.NotEqual(before, LoadOne(entry.Replace("{\"name\"", "{\"type\":\"sse\",\"name\"")).Config);
        Assert.NotEqual(before, LoadOne(entry.Replace("{\"name\"", "{\"insecure\":true,\"name\"")).Config);
    }

    [Fact]
    public void Load_ChangedUserinfoInUrl_IsNotEqual()
    {
        var before = LoadOne("""{"name":"r","url":"https://svc:old-password@h/mcp"}""").Config;
        var after = LoadOne("""{"name":"r","url":"https://svc:new-password@h/mcp"}""").Config;
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Load_OAuth2ScopesOrSecretChange_IsNotEqual()
    {
        const string entry = """
            {"name":"r","url":"https://h/mcp","auth":{"type":"oauth2","tokenUrl":"https://id/token","clientId":"c","clientSecret":"${CLIENT_SECRET}","scopes":["a"]}}
            """;
        var before = LoadOne(entry).Config!;
        Assert.Equal(before, LoadOne(entry).Config);
        Assert.NotEqual(before, LoadOne(entry.Replace("[\"a\"]", "[\"a\",\"b\"]")).Config);
        Assert.NotEqual(before, LoadOne(entry.Replace("${CLIENT_SECRET}", "other")).Config);
        Assert.NotEqual(before, LoadOne(entry.Replace("\"clientId\":\"c\"", "\"clientId\":\"d\"")).Config);
    }

    [Fact]
    public void Reconcile_HeaderValueChange_RestartsOnlyThatServer()
    {
        static GatewayConfig Config(string apiKey) => Load("""
            {"mcpServers":{"api":{"type":"http","url":"https://h/mcp","headers":{"X-Api-Key":"@VALUE@"}},
                           "other":{"type":"sse","url":"https://o/sse","headers":{"X-Api-Key":"${API_KEY}"}},
                           "local":{"command":"x"}}}
            """.Replace("@VALUE@", apiKey));
        var actual = Config("one").Servers.ToDictionary(d => d.Name);
        var plan = ConfigDiff.Compute(actual, Config("two"));
        Assert.Equal(["api"], plan.Restart.Select(d => d.Name));
        Assert.Equal(["other", "local"], plan.Unchanged);
        Assert.True(ConfigDiff.Compute(actual, Config("one")).IsEmpty);
    }

    [Fact]
    public void ToString_NeverShowsHeadersCredentialsOrUrlSecrets()
    {
        var config = Load("""
            {"servers":[
              {"name":"b","url":"https://svc:url-password-0123@h/mcp?api_key=${API_KEY}&page=2","headers":{"X-Key":"${DOT_KEY}"},
               "auth":{"type":"bearer","token":"${TOKEN}"}},
              {"name":"p","type":"sse","url":"https://h/sse","auth":{"type":"basic","username":"svc","password":"${PASSWORD}"}},
              {"name":"o","url":"https://h/mcp","auth":{"type":"oauth2","tokenUrl":"https://id/token","clientId":"c","clientSecret":"${CLIENT_SECRET}"}}
            ]}
            """);
        var basic = Assert.IsType<BasicCredential>(config.Servers[1].Config!.Remote!.Credential);
        string[] secrets = [.. AllSecrets, "url-password-0123", basic.HeaderValue];
        foreach (var definition in config.Servers)
        {
            var remote = definition.Config!.Remote!;
            foreach (var text in new[] { remote.ToString(), remote.DisplayUrl, remote.Credential!.ToString(), definition.Config.ToString(), definition.ToString() })
            {
                foreach (var secret in secrets)
                {
                    Assert.DoesNotContain(secret, text);
                }
            }
        }
        Assert.Equal("http https://h/mcp?api_key=***&page=2", config.Servers[0].Config!.Remote!.ToString());
        Assert.Equal("sse https://h/sse", config.Servers[1].Config!.Remote!.ToString());
        Assert.Equal(["bearer", "basic", "oauth2"], config.Servers.Select(s => s.Config!.Remote!.Credential!.ToString()));
    }

    [Fact]
    public void ToString_OfCredentialsBuiltDirectly_IsOnlyTheirKind()
    {
        RemoteCredential[] credentials =
        [
            new BearerCredential(Token),
            new BasicCredential("svc", Password),
            new OAuth2Credential(new Uri("https://id/token"), "c", ClientSecret, ["s"]),
        ];
        Assert.Equal(["bearer", "basic", "oauth2"], credentials.Select(c => c.ToString()));
        Assert.Equal(["bearer", "basic", "oauth2"], credentials.Select(c => $"{c}"));
    }
}
