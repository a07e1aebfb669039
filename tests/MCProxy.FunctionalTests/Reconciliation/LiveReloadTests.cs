using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using MCProxy.Supervision;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MCProxy.FunctionalTests.Reconciliation;

/// <summary>Edits of the real config file on disk, observed through connected clients and the children's pids.</summary>
public sealed class LiveReloadTests
{
    private static string Config(params JsonObject[] entries) => TestServers.Config(entries);

    private static async Task<HashSet<string>> ToolNamesAsync(McpClient client) =>
        (await client.ListToolsAsync()).Select(t => t.Name).ToHashSet();

    [Fact]
    public async Task AddRemoveChangeEnvDisableRename_EachAppliesAndLeavesTheOthersAlone()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config(TestServers.Entry("keep"), TestServers.Entry("other")));
        await using var client = await gateway.ConnectStreamableAsync();
        var keepPid = gateway.Status("keep").Pid;

        // add
        var outcome = await gateway.WriteConfigAsync(Config(TestServers.Entry("keep"), TestServers.Entry("other"), TestServers.Entry("added")));
        Assert.Equal(["added"], outcome.Plan!.Add.Select(d => d.Name));
        Assert.Contains("added__echo", await ToolNamesAsync(client));

        // change env: restarts exactly that server
        var otherPid = gateway.Status("other").Pid;
        var withEnv = TestServers.Entry("other");
        withEnv["env"] = new JsonObject { ["GREETING"] = "hello" };
        outcome = await gateway.WriteConfigAsync(Config(TestServers.Entry("keep"), withEnv, TestServers.Entry("added")));
        Assert.Equal(["other"], outcome.Plan!.Restart.Select(d => d.Name));
        Assert.NotEqual(otherPid, gateway.Status("other").Pid);
        var env = await client.CallToolAsync("other__env", new Dictionary<string, object?> { ["name"] = "GREETING" });
        Assert.Equal("hello", ((TextContentBlock)env.Content[0]).Text);

        // disable
        var disabled = TestServers.Entry("added");
        disabled["enabled"] = false;
        await gateway.WriteConfigAsync(Config(TestServers.Entry("keep"), withEnv, disabled));
        Assert.DoesNotContain("added__echo", await ToolNamesAsync(client));
        var health = await gateway.HealthAsync();
        Assert.Equal("disabled", (string)health["servers"]!.AsArray().Single(s => (string)s!["name"]! == "added")!["state"]!);

        // rename = remove + add; remove
        outcome = await gateway.WriteConfigAsync(Config(TestServers.Entry("kept"), withEnv));
        Assert.Equal(["kept"], outcome.Plan!.Add.Select(d => d.Name));
        Assert.Equal(["added", "keep"], outcome.Plan.Remove);
        var names = await ToolNamesAsync(client);
        Assert.Contains("kept__echo", names);
        Assert.DoesNotContain("keep__echo", names);
        Assert.False(ProcessProbe.IsAlive(keepPid!.Value));
    }

    [Fact]
    public async Task WriteViaRename_AndSymlinkSwap_BothReload()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config(TestServers.Entry("a")));
        // An editor's save: write a temp file, rename it over the config.
        var outcome = await gateway.ReloadAfterAsync(async () =>
        {
            var temp = Path.Combine(gateway.Folder, ".mcp-servers.json.swp");
            await File.WriteAllTextAsync(temp, Config(TestServers.Entry("a"), TestServers.Entry("b")));
            File.Move(temp, gateway.ConfigPath, overwrite: true);
        });
        Assert.Equal(["b"], outcome.Plan!.Add.Select(d => d.Name));

        // A ConfigMap-style swap: the config is a symlink into ..data, and ..data is swapped atomically.
        var v1 = Directory.CreateDirectory(Path.Combine(gateway.Folder, "..v1")).FullName;
        await File.WriteAllTextAsync(Path.Combine(v1, "mcp-servers.json"), Config(TestServers.Entry("a"), TestServers.Entry("b"), TestServers.Entry("d")));
        var data = Path.Combine(gateway.Folder, "..data");
        File.CreateSymbolicLink(data, "..v1");
        outcome = await gateway.ReloadAfterAsync(async () =>
        {
            File.Delete(gateway.ConfigPath);
            File.CreateSymbolicLink(gateway.ConfigPath, "..data/mcp-servers.json");
            await Task.CompletedTask;
        });
        Assert.Equal(["d"], outcome.Plan!.Add.Select(d => d.Name));

        var v2 = Directory.CreateDirectory(Path.Combine(gateway.Folder, "..v2")).FullName;
        await File.WriteAllTextAsync(Path.Combine(v2, "mcp-servers.json"), Config(TestServers.Entry("a"), TestServers.Entry("c")));
        outcome = await gateway.ReloadAfterAsync(async () =>
        {
            var tmp = Path.Combine(gateway.Folder, "..data_tmp");
            File.CreateSymbolicLink(tmp, "..v2");
            Assert.Equal(0, Rename(tmp, data)); // atomic, like kubelet's swap
            await Task.CompletedTask;
        });
        Assert.Equal(["c"], outcome.Plan!.Add.Select(d => d.Name));
        Assert.Equal(["b", "d"], outcome.Plan.Remove);
    }

    /// <summary>
    /// deploy/kubernetes: the ConfigMap mounted as a directory at /etc/mcproxy, the gateway started with
    /// --config /etc/mcproxy/mcp-servers.json. The volume is laid out and updated exactly as the kubelet does it
    /// (<see cref="KubeletAtomicWriter"/>): the gateway starts on the link through "..data", and each update swaps
    /// "..data" and deletes the old timestamped directory. Polling is off (an hour), so only the watcher can have
    /// seen the updates.
    /// </summary>
    [Fact]
    public async Task ConfigMapVolume_KubeletSwapsOfData_ApplyThroughTheWatcherAlone()
    {
        var volume = Directory.CreateTempSubdirectory("mcproxy-configmap-").FullName;
        try
        {
            var kubelet = new KubeletAtomicWriter(volume);
            string Payload(params JsonObject[] entries) => Config(entries);
            var first = Payload(TestServers.Entry("a"), TestServers.Entry("b"));
            kubelet.Write(new Dictionary<string, string> { ["mcp-servers.json"] = first });   // the pod's start
            var configPath = Path.Combine(volume, "mcp-servers.json");
            Assert.Equal("..data/mcp-servers.json", new FileInfo(configPath).LinkTarget);
            var initial = kubelet.Current!;
            Assert.Matches(@"^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$", initial);

            await using var gateway = await GatewayFixture.StartAsync(first,
                options: o => o with { ConfigPath = configPath, ReloadIntervalSeconds = 3600 });
            var aPid = gateway.Status("a").Pid;

            var outcome = await gateway.ReloadAfterAsync(() =>
            {
                kubelet.Write(new Dictionary<string, string> { ["mcp-servers.json"] = Payload(TestServers.Entry("a"), TestServers.Entry("c")) });
                return Task.CompletedTask;
            }, seconds: 10);
            Assert.True(outcome.Applied);
            Assert.Equal(["c"], outcome.Plan!.Add.Select(d => d.Name));
            Assert.Equal(["b"], outcome.Plan.Remove);
            Assert.Equal(aPid, gateway.Status("a").Pid);
            // The kubelet's layout afterwards: the link, "..data", and only the new timestamped directory.
            Assert.False(Directory.Exists(Path.Combine(volume, initial)));
            Assert.Equal(new[] { "..data", kubelet.Current!, "mcp-servers.json" }.Order(StringComparer.Ordinal),
                Directory.EnumerateFileSystemEntries(volume).Select(Path.GetFileName).Order(StringComparer.Ordinal));

            // A second update: the watcher still watches the same directory, the link is untouched.
            outcome = await gateway.ReloadAfterAsync(() =>
            {
                kubelet.Write(new Dictionary<string, string> { ["mcp-servers.json"] = Payload(TestServers.Entry("a")) });
                return Task.CompletedTask;
            }, seconds: 10);
            Assert.Equal(["c"], outcome.Plan!.Remove);
            Assert.Empty(outcome.Plan.Add);
            Assert.Equal(aPid, gateway.Status("a").Pid);
            Assert.Equal("valid", (string)(await gateway.HealthAsync())["config"]!["status"]!);
        }
        finally
        {
            Directory.Delete(volume, recursive: true);
        }
    }

    [Fact]
    public async Task TenRapidSaves_CoalesceIntoOneReconcile()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config(TestServers.Entry("a")));
        var before = gateway.Loop.ReloadCount;
        var outcome = await gateway.ReloadAfterAsync(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                var entries = new List<JsonObject> { TestServers.Entry("a") };
                if (i == 9) entries.Add(TestServers.Entry("last"));
                await File.WriteAllTextAsync(gateway.ConfigPath, Config([.. entries]) + new string(' ', i));
                await Task.Delay(20);
            }
        });
        Assert.Equal(["last"], outcome.Plan!.Add.Select(d => d.Name));
        Assert.Equal(1, gateway.Loop.ReloadCount - before);
    }

    [Fact]
    public async Task HalfWrittenFile_KeepsServersRunning_ThenTheFixApplies()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config(TestServers.Entry("a"), TestServers.Entry("b")));
        var pids = (gateway.Status("a").Pid, gateway.Status("b").Pid);
        var full = Config(TestServers.Entry("a"), TestServers.Entry("b"), TestServers.Entry("c"));
        var broken = await gateway.WriteConfigAsync(full[..(full.Length / 2)]);
        Assert.False(broken.Applied);
        Assert.Contains(broken.Errors, e => e.Path.StartsWith("line ", StringComparison.Ordinal));
        Assert.Equal(pids, (gateway.Status("a").Pid, gateway.Status("b").Pid));
        var health = await gateway.HealthAsync();
        Assert.Equal("invalid", (string)health["config"]!["status"]!);
        Assert.NotEmpty(health["config"]!["errors"]!.AsArray());
        Assert.NotNull(health["config"]!["lastGoodAt"]);
        Assert.Contains(gateway.Logs.Lines, l => l.StartsWith("Error") && l.Contains("not applied"));

        var empty = await gateway.WriteConfigAsync("");
        Assert.False(empty.Applied);
        Assert.Equal(ServerState.Ready, gateway.Status("a").State);

        var fixedUp = await gateway.WriteConfigAsync(full);
        Assert.Equal(["c"], fixedUp.Plan!.Add.Select(d => d.Name));
        Assert.Equal(pids, (gateway.Status("a").Pid, gateway.Status("b").Pid));
        Assert.Equal("valid", (string)(await gateway.HealthAsync())["config"]!["status"]!);
    }

    [Fact]
    public async Task DeletedFile_KeepsServersRunning()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config(TestServers.Entry("a")));
        var outcome = await gateway.ReloadAfterAsync(() => { File.Delete(gateway.ConfigPath); return Task.CompletedTask; });
        Assert.False(outcome.Applied);
        Assert.Equal(ServerState.Ready, gateway.Status("a").State);
    }

    [Fact]
    public async Task ServerEntryTurnsInvalid_LastGoodInstanceKeepsRunning_HealthShowsTheError()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config(TestServers.Entry("a")));
        var pid = gateway.Status("a").Pid;
        var broken = TestServers.Entry("a");
        broken["env"] = new JsonObject { ["K"] = "${MCPROXY_TEST_NEVER_SET}" };
        var outcome = await gateway.WriteConfigAsync(Config(broken));
        Assert.Equal(["a"], outcome.Plan!.InvalidKept.Select(d => d.Name));
        Assert.Equal(pid, gateway.Status("a").Pid);
        var server = (await gateway.HealthAsync())["servers"]![0]!;
        Assert.Equal("ready", (string)server["state"]!);
        Assert.Contains("MCPROXY_TEST_NEVER_SET", server["configErrors"]!.ToJsonString());
    }

    [Fact]
    public async Task DotEnvChange_RestartsExactlyTheServersUsingTheVariable()
    {
        var uses = TestServers.Entry("uses");
        uses["env"] = new JsonObject { ["GREETING"] = "${MCPROXY_TEST_GREETING}" };
        await using var gateway = await GatewayFixture.StartAsync(Config(uses, TestServers.Entry("plain")),
            dotEnv: "MCPROXY_TEST_GREETING=one\n");
        var plainPid = gateway.Status("plain").Pid;
        // Saved as editors save (beside, then renamed over): an in-place write can be caught half-done, with the
        // variable briefly unset, which is another test's subject.
        var outcome = await gateway.ReloadAfterAsync(async () =>
        {
            await File.WriteAllTextAsync(Path.Combine(gateway.Folder, ".env.tmp"), "MCPROXY_TEST_GREETING=two\n");
            File.Move(Path.Combine(gateway.Folder, ".env.tmp"), Path.Combine(gateway.Folder, ".env"), overwrite: true);
        });
        Assert.Equal(["uses"], outcome.Plan!.Restart.Select(d => d.Name));
        Assert.Equal(plainPid, gateway.Status("plain").Pid);
        var env = await gateway.RpcAsync("tools/call", new JsonObject
        {
            ["name"] = "uses__env", ["arguments"] = new JsonObject { ["name"] = "GREETING" },
        });
        Assert.Equal("two", (string)env["result"]!["content"]![0]!["text"]!);
    }

    [Fact]
    public async Task FailedServer_IsRetriedWhenItsEntryChanges()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config(TestServers.Entry("x", "--exit-at-start", "4")));
        await gateway.WaitUntilAsync(() => gateway.Status("x").State == ServerState.Failed, "x failed");
        var outcome = await gateway.WriteConfigAsync(Config(TestServers.Entry("x")));
        Assert.Equal(["x"], outcome.Plan!.Restart.Select(d => d.Name));
        Assert.Equal(ServerState.Ready, gateway.Status("x").State);
    }

    [Fact]
    public async Task ListChanged_ExactlyOncePerEffectiveChange_NoneForANoOpSave()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config(TestServers.Entry("a")));
        var streamable = 0;
        var sse = 0;
        await using var http = await gateway.ConnectStreamableAsync();
        await using var legacy = await gateway.ConnectSseAsync();
        await using var r1 = http.RegisterNotificationHandler(NotificationMethods.ToolListChangedNotification,
            (_, _) => { Interlocked.Increment(ref streamable); return ValueTask.CompletedTask; });
        await using var r2 = legacy.RegisterNotificationHandler(NotificationMethods.ToolListChangedNotification,
            (_, _) => { Interlocked.Increment(ref sse); return ValueTask.CompletedTask; });
        // Let the Streamable client's GET stream attach before counting.
        await gateway.WaitUntilAsync(() => gateway.Services.GetService(typeof(MCProxy.Gateway.SessionRegistry)) is MCProxy.Gateway.SessionRegistry s &&
                                           s.All.Count(x => x.HasStream) == 2, "both streams open");

        // NOTE: the gateway's own count of tools/list_changed broadcasts is exact (it is raised inside the reconcile
        // that WriteConfigAsync waits for); each client must then receive exactly that many. Clients handle
        // notifications asynchronously, so the test waits for their counts to reach the gateway's.
        var publisher = (MCProxy.Aggregation.CatalogPublisher)gateway.Services.GetService(typeof(MCProxy.Aggregation.CatalogPublisher))!;
        var broadcast = 0;
        publisher.ListsChanged += methods => Interlocked.Add(ref broadcast, methods.Count(m => m == "notifications/tools/list_changed"));

        var added = Config(TestServers.Entry("a"), TestServers.Entry("b"));
        await gateway.WriteConfigAsync(added);
        Assert.Equal(1, Volatile.Read(ref broadcast));
        await Received(gateway, () => streamable, () => sse, 1);

        await gateway.WriteConfigAsync(added.Replace(",", ",\n  "));   // whitespace only: nothing owed
        Assert.Equal(1, Volatile.Read(ref broadcast));
        await gateway.WriteConfigAsync(Config(TestServers.Entry("a")));
        Assert.Equal(2, Volatile.Read(ref broadcast));
        await Received(gateway, () => streamable, () => sse, 2);
    }

    private static async Task Received(GatewayFixture gateway, Func<int> streamable, Func<int> sse, int expected)
    {
        await gateway.WaitUntilAsync(() => streamable() >= expected && sse() >= expected, $"both clients saw {expected} list_changed", 10);
        Assert.Equal((expected, expected), (streamable(), sse()));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "rename")]
    private static extern int Rename(string from, string to);

    [Fact]
    public async Task TwentyServers_OneChanged_RestartsExactlyOne_AndPidsHoldAcrossTwentyReloads()
    {
        var entries = Enumerable.Range(0, 20).Select(i => TestServers.Entry($"s{i}")).ToArray();
        await using var gateway = await GatewayFixture.StartAsync(Config(entries));
        var pids = Enumerable.Range(0, 20).ToDictionary(i => i, i => gateway.Status($"s{i}").Pid);
        for (var round = 0; round < 20; round++)
        {
            var changed = TestServers.Entry("s7");
            changed["env"] = new JsonObject { ["ROUND"] = round.ToString() };
            var next = entries.Select((e, i) => i == 7 ? changed : (JsonObject)e.DeepClone()).ToArray();
            var outcome = await gateway.WriteConfigAsync(Config(next));
            Assert.Equal(["s7"], outcome.Plan!.Restart.Select(d => d.Name));
            Assert.Equal(19, outcome.Plan.Unchanged.Count);
        }
        for (var i = 0; i < 20; i++)
        {
            if (i != 7)
            {
                Assert.Equal(pids[i], gateway.Status($"s{i}").Pid);
            }
        }
        Assert.Equal(ServerState.Ready, gateway.Status("s7").State);
    }
}
