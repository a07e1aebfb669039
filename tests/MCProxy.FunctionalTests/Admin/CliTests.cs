using System.Text;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;

namespace MCProxy.FunctionalTests.Admin;

/// <summary>
/// The CLI verbs end to end: the gateway as its own process (ExternalGateway, with its admin socket in its temp
/// directory) and every verb as a process of the same binary, against the real config file on disk.
/// </summary>
public sealed class CliTests
{
    private static string Dotnet => Json(TestServerPaths.DotnetHost);
    private static string Server => Json(TestServerPaths.TestServerDll);

    /// <summary>A hand-formatted file: a comment, one entry on one line, one spread over lines, odd spacing.</summary>
    private static string FormattedConfig => $$"""
        {
          // servers the CLI must not disturb
          "servers": [
            {"name": "one",   "command": {{Dotnet}}, "args": [{{Server}}]},
            {
              "name": "two",
              "command": {{Dotnet}},
              "args": [ {{Server}} ]
            }
          ],
          "inheritEnv": true
        }

        """;

    [Fact]
    public async Task ServersAddRemoveEnableDisable_EditOnlyTheirEntry_AndTheGatewayAppliesThem()
    {
        await using var gateway = await ExternalGateway.StartAsync(FormattedConfig);
        var original = await File.ReadAllBytesAsync(gateway.ConfigPath);
        string[] Common(params string[] args) => [.. args, "--socket", gateway.AdminSocket];

        // Options go before "--": everything after it is the server's command line.
        var add = await CliProcess.RunAsync("servers", "add", "three", "--env", "GREETING=hello", "--socket", gateway.AdminSocket, "--",
            TestServerPaths.DotnetHost, TestServerPaths.TestServerDll);
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains("added 'three': ready, ", add.Out);
        var added = await File.ReadAllBytesAsync(gateway.ConfigPath);
        var cut = Encoding.UTF8.GetString(original).IndexOf("\n  ],", StringComparison.Ordinal); // the end of entry "two"
        Assert.Equal(original[..cut], added[..cut]);
        Assert.Equal(original[cut..], added[^(original.Length - cut)..]);
        var inserted = Encoding.UTF8.GetString(added[cut..^(original.Length - cut)]);
        Assert.StartsWith(",\n    {\n      \"name\": \"three\",\n      \"command\": ", inserted);
        Assert.Contains("\"env\": {\"GREETING\": \"hello\"}", inserted);
        Assert.Equal("ready", await StateAsync(gateway, "three"));

        var remove = await CliProcess.RunAsync(Common("servers", "remove", "three"));
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Contains("removed 'three'", remove.Out);
        Assert.Equal(original, await File.ReadAllBytesAsync(gateway.ConfigPath)); // byte for byte the file before the add
        Assert.Null(await StateAsync(gateway, "three"));

        var disable = await CliProcess.RunAsync(Common("servers", "disable", "one", "--json"));
        Assert.True(disable.ExitCode == 0, disable.ToString());
        Assert.True((bool)JsonNode.Parse(disable.Out)!["applied"]!);
        var disabled = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(gateway.ConfigPath));
        Assert.Equal(Encoding.UTF8.GetString(original).Replace($"[{Server}]}}", $"[{Server}], \"enabled\": false}}"), disabled);
        Assert.Equal("disabled", await StateAsync(gateway, "one"));
        var again = await CliProcess.RunAsync(Common("servers", "disable", "one"));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("already disabled", again.Out);

        var enable = await CliProcess.RunAsync(Common("servers", "enable", "one"));
        Assert.True(enable.ExitCode == 0, enable.ToString());
        Assert.Contains("enabled 'one': ready", enable.Out);
        Assert.Equal(disabled.Replace("\"enabled\": false", "\"enabled\": true"), await File.ReadAllTextAsync(gateway.ConfigPath));
        await gateway.AssertEchoAsync("one");

        var duplicate = await CliProcess.RunAsync("servers", "add", "two", "--socket", gateway.AdminSocket, "--", "true");
        Assert.Equal(1, duplicate.ExitCode);
        Assert.Contains("server 'two' already exists", duplicate.Err);
        Assert.Single(duplicate.Err.Trim().Split('\n'));
        var missing = await CliProcess.RunAsync(Common("servers", "remove", "nine"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no server 'nine'", missing.Err);
    }

    [Fact]
    public async Task ServersAdd_Remote_WritesUrlAndHeaders_KeyedForm()
    {
        var dir = Directory.CreateTempSubdirectory("mcproxy-cli-").FullName;
        try
        {
            var path = Path.Combine(dir, "claude.json");
            await File.WriteAllTextAsync(path, "{\n  \"mcpServers\": {\n    \"fs\": {\"command\": \"npx\", \"args\": [\"-y\", \"x\"]}\n  }\n}\n");
            var add = await CliProcess.RunAsync("servers", "add", "remote", "--url", "https://mcp.example/mcp", "--header", "X-Api-Key=${API_KEY}",
                "--config", path, "--socket", Path.Combine(dir, "none.sock"));
            Assert.True(add.ExitCode == 0, add.ToString());
            Assert.Contains("applies at the next start", add.Out);
            Assert.Equal("{\n  \"mcpServers\": {\n    \"fs\": {\"command\": \"npx\", \"args\": [\"-y\", \"x\"]},\n    " +
                         "\"remote\": {\"url\": \"https://mcp.example/mcp\", \"headers\": {\"X-Api-Key\": \"${API_KEY}\"}}\n  }\n}\n",
                await File.ReadAllTextAsync(path));
            var disable = await CliProcess.RunAsync("servers", "disable", "fs", "--config", path, "--socket", Path.Combine(dir, "none.sock"));
            Assert.True(disable.ExitCode == 0, disable.ToString());
            Assert.Contains("\"args\": [\"-y\", \"x\"], \"disabled\": true}", await File.ReadAllTextAsync(path)); // the Claude spelling
            Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories)); // the atomic save left no temp file
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Check_BrokenFile_Exit1_PrintsEveryProblemWithItsPath()
    {
        var dir = Directory.CreateTempSubdirectory("mcproxy-cli-").FullName;
        try
        {
            var broken = Path.Combine(dir, "broken.json");
            await File.WriteAllTextAsync(broken, """
                {"servers": [
                  {"name": "a", "command": ""},
                  {"name": "b", "command": "x", "env": {"K": "${MCPROXY_CLI_TEST_UNSET}"}},
                  {"name": "bad name", "command": "y"}
                ]}
                """);
            var check = await CliProcess.RunAsync("check", broken);
            Assert.True(check.ExitCode == 1, check.ToString());
            Assert.Contains("3 problems", check.Out);
            Assert.Contains("$.servers[0].command: \"command\" must be a non-empty string", check.Out);
            Assert.Contains("$.servers[1].env.K: environment variable 'MCPROXY_CLI_TEST_UNSET' is not set", check.Out);
            Assert.Contains("$.servers[2].name: invalid name 'bad name'", check.Out);

            var json = await CliProcess.RunAsync("check", broken, "--json");
            Assert.Equal(1, json.ExitCode);
            var problems = JsonNode.Parse(json.Out)!["problems"]!.AsArray();
            Assert.Equal(["$.servers[0].command", "$.servers[1].env.K", "$.servers[2].name"], problems.Select(p => (string)p!["path"]!));

            await File.WriteAllTextAsync(broken, "{\"servers\": [}");
            var malformed = await CliProcess.RunAsync("check", "--config", broken);
            Assert.Equal(1, malformed.ExitCode);
            Assert.Contains("line 1, column", malformed.Out);

            await File.WriteAllTextAsync(broken, "{\"servers\": [{\"name\": \"ok\", \"command\": \"true\"}]}");
            var valid = await CliProcess.RunAsync("check", broken);
            Assert.True(valid.ExitCode == 0, valid.ToString());
            Assert.Contains("valid, 1 server: ok", valid.Out);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Status_ReportsServersPidsToolsAndUsage_OnlyOnTheSocket()
    {
        await using var gateway = await ExternalGateway.StartAsync(FormattedConfig);
        var status = await CliProcess.RunAsync("status", "--json", "--socket", gateway.AdminSocket);
        Assert.True(status.ExitCode == 0, status.ToString());
        var root = JsonNode.Parse(status.Out)!;
        Assert.Equal(gateway.Pid, (int)root["pid"]!);
        Assert.Equal("valid", (string)root["config"]!["status"]!);
        Assert.Equal(gateway.ConfigPath, (string)root["config"]!["path"]!);
        Assert.Equal(new Uri(gateway.BaseUrl).Port, (int)root["listen"]!["port"]!);
        Assert.Equal(0, (int)root["sessions"]!);
        var servers = root["servers"]!.AsArray();
        Assert.Equal(["one", "two"], servers.Select(s => (string)s!["name"]!));
        foreach (var server in servers)
        {
            Assert.Equal("ready", (string)server!["state"]!);
            Assert.True((int)server["pid"]! > 0);
            Assert.True((int)server["tools"]! > 0);
            Assert.True((long)server["rssBytes"]! > 1024 * 1024);
            Assert.True((double)server["cpuSeconds"]! >= 0);
            Assert.Equal(0, (int)server["restarts"]!);
        }

        var text = await CliProcess.RunAsync("status", "--socket", gateway.AdminSocket);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Matches(@"(?m)^NAME\s+STATE\s+PID\s+RESTARTS\s+TOOLS\s+RSS\s+CPU", text.Out);
        Assert.Matches(@"(?m)^one\s+ready\s+\d+\s+0\s+\d+\s+[\d.]+ MiB", text.Out);

        // The admin API is not on the TCP port, and the socket serves nothing else.
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await gateway.Http.GetAsync("/admin/status")).StatusCode);

        var pid = (int)servers[0]!["pid"]!;
        var restart = await CliProcess.RunAsync("servers", "restart", "one", "--socket", gateway.AdminSocket);
        Assert.True(restart.ExitCode == 0, restart.ToString());
        Assert.Contains("restarted 'one': ready", restart.Out);
        Assert.DoesNotContain($"pid {pid}", restart.Out);

        var down = await CliProcess.RunAsync("status", "--socket", gateway.AdminSocket + ".missing");
        Assert.Equal(1, down.ExitCode);
        Assert.Contains("no gateway answers on", down.Err);
        Assert.Contains("pass --socket PATH", down.Err);
    }

    [Fact]
    public async Task LogsAndCall_GoThroughTheRunningGateway()
    {
        await using var gateway = await ExternalGateway.StartAsync(FormattedConfig);
        string[] Socket(params string[] args) => [.. args, "--socket", gateway.AdminSocket];

        var call = await CliProcess.RunAsync(Socket("call", "one__echo", "{\"message\": \"to stderr\", \"stderr\": true}"));
        Assert.True(call.ExitCode == 0, call.ToString());
        Assert.Equal("to stderr", call.Out.Trim());
        var json = await CliProcess.RunAsync(Socket("call", "one__echo", "{\"message\": \"x\"}", "--json"));
        Assert.Equal("x", (string)JsonNode.Parse(json.Out)!["content"]![0]!["text"]!);
        var unknown = await CliProcess.RunAsync(Socket("call", "nine__echo"));
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("unknown tool 'nine__echo'", unknown.Err);
        var badArguments = await CliProcess.RunAsync(Socket("call", "one__echo", "[1]"));
        Assert.Equal(2, badArguments.ExitCode);

        var one = await CliProcess.RunAsync(Socket("logs", "one"));
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Contains("testserver: started pid", one.Out);
        Assert.Contains("to stderr", one.Out);
        var all = await CliProcess.RunAsync(Socket("logs"));
        Assert.Contains("[one] to stderr", all.Out);
        Assert.Contains("[two] testserver: started pid", all.Out);
        var nobody = await CliProcess.RunAsync(Socket("logs", "nine"));
        Assert.Equal(1, nobody.ExitCode);
        Assert.Contains("no server 'nine'", nobody.Err);

        var lines = new StringBuilder();
        using var follow = CliProcess.StartFollowing(lines, Socket("logs", "two", "-f"));
        await WaitForAsync(lines, "testserver: started pid");
        var later = await CliProcess.RunAsync(Socket("call", "two__echo", "{\"message\": \"a later line\", \"stderr\": true}"));
        Assert.Equal(0, later.ExitCode);
        await WaitForAsync(lines, "a later line");
        follow.Kill();
    }

    [Fact]
    public async Task Doctor_HealthyExit0_BrokenExit1_EachFindingWithItsFix()
    {
        await using var gateway = await ExternalGateway.StartAsync(FormattedConfig);
        var quadlet = Path.Combine(RepoRoot, "mcproxy.container");
        var healthy = await CliProcess.RunAsync("doctor", "--socket", gateway.AdminSocket, "--quadlet", quadlet);
        Assert.True(healthy.ExitCode == 0, healthy.ToString());
        Assert.Contains($"port       127.0.0.1:{new Uri(gateway.BaseUrl).Port} is the running gateway's", healthy.Out);
        Assert.Contains("quadlet    " + quadlet + ": valid", healthy.Out);
        Assert.Contains("command    server 'one'", healthy.Out);
        Assert.DoesNotContain("FAIL", healthy.Out);

        var dir = Directory.CreateTempSubdirectory("mcproxy-cli-").FullName;
        try
        {
            var config = Path.Combine(dir, "mcp-servers.json");
            await File.WriteAllTextAsync(config, """
                {"servers": [
                  {"name": "gone", "command": "mcproxy-no-such-program"},
                  {"name": "secret", "command": "true", "env": {"K": "${MCPROXY_CLI_TEST_UNSET}"}}
                ]}
                """);
            var badQuadlet = Path.Combine(dir, "mcproxy.container");
            await File.WriteAllTextAsync(badQuadlet, "[Container]\nImage=localhost/mcproxy:latest\nRuntimeDirectory=mcproxy\n");
            var broken = await CliProcess.RunAsync("doctor", "--config", config, "--socket", Path.Combine(dir, "none.sock"),
                "--host", "0.0.0.0", "--port", "0", "--quadlet", badQuadlet, "--json");
            Assert.True(broken.ExitCode == 1, broken.ToString());
            var findings = JsonNode.Parse(broken.Out)!["findings"]!.AsArray();
            string? Fix(string check, string text) => findings.FirstOrDefault(f => (string)f!["check"]! == check && ((string)f["message"]!).Contains(text) &&
                                                                             (string)f["severity"]! == "error")?["fix"]?.ToString();
            Assert.Contains("full path", Fix("command", "'mcproxy-no-such-program' is not on PATH"));
            Assert.Contains("${MCPROXY_CLI_TEST_UNSET:-value}", Fix("variable", "MCPROXY_CLI_TEST_UNSET"));
            Assert.Contains("\"auth\"", Fix("exposure", "without authentication"));
            Assert.Contains("PodmanArgs", Fix("quadlet", "RuntimeDirectory"));
            Assert.False((bool)JsonNode.Parse(broken.Out)!["healthy"]!);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Setup_PrintsEachClientsSnippet_WithATokenPlaceholderNeverAToken()
    {
        await using var gateway = await ExternalGateway.StartAsync(FormattedConfig);
        var url = $"http://127.0.0.1:{new Uri(gateway.BaseUrl).Port}/mcp";
        var claude = await CliProcess.RunAsync("setup", "--client", "claude", "--socket", gateway.AdminSocket);
        Assert.True(claude.ExitCode == 0, claude.ToString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("{\"mcpServers\":{\"mcproxy\":{\"type\":\"http\",\"url\":\"" + url + "\"}}}"), JsonNode.Parse(claude.Out)));
        var vscode = await CliProcess.RunAsync("setup", "--client", "vscode", "--socket", gateway.AdminSocket);
        Assert.Equal(url, (string)JsonNode.Parse(vscode.Out)!["servers"]!["mcproxy"]!["url"]!);

        // Auth on (read from the config when no gateway answers): the header carries a placeholder.
        var dir = Directory.CreateTempSubdirectory("mcproxy-cli-").FullName;
        try
        {
            var config = Path.Combine(dir, "mcp-servers.json");
            await File.WriteAllTextAsync(config, """{"servers": [], "auth": {"tokens": [{"name": "op", "token": "${MCPROXY_TOKEN}"}]}}""");
            string[] Offline(string client) => ["setup", "--client", client, "--config", config, "--socket", Path.Combine(dir, "none.sock"), "--port", "4242"];
            var cursor = await CliProcess.RunAsync(Offline("cursor"));
            Assert.True(cursor.ExitCode == 0, cursor.ToString());
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
                {"mcpServers":{"mcproxy":{"url":"http://127.0.0.1:4242/mcp","headers":{"Authorization":"Bearer ${MCPROXY_TOKEN}"}}}}
                """), JsonNode.Parse(cursor.Out)));
            var codex = await CliProcess.RunAsync(Offline("codex"));
            Assert.Equal("[mcp_servers.mcproxy]\nurl = \"http://127.0.0.1:4242/mcp\"\nbearer_token_env_var = \"MCPROXY_TOKEN\"\n", codex.Out);
            var codexJson = await CliProcess.RunAsync([.. Offline("codex"), "--json"]);
            Assert.Equal("MCPROXY_TOKEN", (string)JsonNode.Parse(codexJson.Out)!["mcp_servers"]!["mcproxy"]!["bearer_token_env_var"]!);
            var bogus = await CliProcess.RunAsync("setup", "--client", "emacs");
            Assert.Equal(2, bogus.ExitCode);
            Assert.Single(bogus.Err.Trim().Split('\n'));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ServeFlags_WithoutAVerb_StillRunTheGateway()
    {
        // ExternalGateway starts the binary with bare flags (no verb): today's unit files. "serve" is the same.
        await using var gateway = await ExternalGateway.StartAsync(FormattedConfig);
        Assert.Contains(gateway.Output, line => line.Contains("admin API on unix socket " + gateway.AdminSocket, StringComparison.Ordinal));
        var help = await CliProcess.RunAsync("serve", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--admin-socket PATH", help.Out);
        var unknown = await CliProcess.RunAsync("frobnicate");
        Assert.Equal(2, unknown.ExitCode);

        // A second gateway given the same socket serves without one (and says why); the socket stays the first's.
        await using var second = await ExternalGateway.StartAsync(FormattedConfig, null, "--admin-socket", gateway.AdminSocket);
        Assert.Contains(second.Output, line => line.Contains("is in use by another running gateway", StringComparison.Ordinal));
        var status = await CliProcess.RunAsync("status", "--json", "--socket", gateway.AdminSocket);
        Assert.Equal(gateway.Pid, (int)JsonNode.Parse(status.Out)!["pid"]!);
    }

    private static async Task<string?> StateAsync(ExternalGateway gateway, string name)
    {
        var status = await CliProcess.RunAsync("status", "--json", "--socket", gateway.AdminSocket);
        Assert.True(status.ExitCode == 0, status.ToString());
        return JsonNode.Parse(status.Out)!["servers"]!.AsArray().FirstOrDefault(s => (string)s!["name"]! == name)?["state"]?.ToString();
    }

    private static async Task WaitForAsync(StringBuilder lines, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            lock (lines)
            {
                if (lines.ToString().Contains(text, StringComparison.Ordinal))
                {
                    return;
                }
            }
            Assert.True(DateTime.UtcNow < deadline, $"'{text}' never arrived; got:\n{lines}");
            await Task.Delay(50);
        }
    }

    private static string Json(string value) => System.Text.Json.JsonSerializer.Serialize(value);

    // tests/MCProxy.FunctionalTests/bin/<Configuration>/net10.0/ → the repository
    private static string RepoRoot => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
}
