using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MCProxy.FunctionalTests.Infrastructure;

namespace MCProxy.FunctionalTests.Supervision;

/// <summary>The gateway as its own OS process, stopped with SIGTERM like systemd or podman does.</summary>
public sealed partial class ShutdownTests
{
    [Fact]
    public async Task Sigterm_LeavesNoChildOrGrandchildAlive_WithinFiveSeconds()
    {
        var dir = Directory.CreateTempSubdirectory("mcproxy-shutdown-").FullName;
        var config = Path.Combine(dir, "mcp-servers.json");
        await File.WriteAllTextAsync(config, TestServers.Config(
            TestServers.Entry("polite", "--grandchild"),
            TestServers.Entry("stubborn", "--ignore-sigterm", "--grandchild")));
        var start = new ProcessStartInfo(TestServerPaths.GatewayCommand.File)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in TestServerPaths.GatewayCommand.Prefix.Concat(["--log", "--config", config, "--port", "0"]))
        {
            start.ArgumentList.Add(arg);
        }
        using var gateway = Process.Start(start)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var url = new TaskCompletionSource<string>();
        gateway.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            output.Enqueue(e.Data);
            if (ListeningOn().Match(e.Data) is { Success: true } m) url.TrySetResult(m.Groups[1].Value);
        };
        gateway.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        gateway.BeginOutputReadLine();
        gateway.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(await url.Task.WaitAsync(TimeSpan.FromSeconds(30))) };
            JsonObject health;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            do
            {
                health = JsonNode.Parse(await http.GetStringAsync("/health"))!.AsObject();
                if (!(bool)health["ready"]!) await Task.Delay(50);
            } while (!(bool)health["ready"]! && DateTime.UtcNow < deadline);
            var pids = health["servers"]!.AsArray().Select(s => (int)s!["pid"]!).ToList();
            Assert.Equal(2, pids.Count);
            var grandchildren = health["servers"]!.AsArray()
                .SelectMany(s => s!["stderr"]!.AsArray().Select(l => GrandchildPid().Match((string)l!)))
                .Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).ToList();
            Assert.Equal(2, grandchildren.Count);
            Assert.All(pids.Concat(grandchildren), pid => Assert.True(ProcessProbe.IsAlive(pid)));

            var stopwatch = Stopwatch.StartNew();
            Assert.Equal(0, NativeKill(gateway.Id, 15));
            await gateway.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            stopwatch.Stop();

            Assert.True(await ProcessProbe.AllGoneAsync(pids.Concat(grandchildren), TimeSpan.FromMilliseconds(500)),
                "a child or grandchild outlived the gateway:\n" + string.Join("\n", output));
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(6), $"shutdown took {stopwatch.Elapsed}");
            Assert.Equal(0, gateway.ExitCode);
        }
        finally
        {
            if (!gateway.HasExited) gateway.Kill(entireProcessTree: true);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task FirstLoad_InvalidFile_ExitsNonZeroPrintingEveryError()
    {
        var dir = Directory.CreateTempSubdirectory("mcproxy-badconfig-").FullName;
        var config = Path.Combine(dir, "mcp-servers.json");
        await File.WriteAllTextAsync(config, """{"servers":[{"name":"a","command":"x"},{"name":"a","command":"y"},{"name":"b","command":"z"},{"name":"b","command":"z"}]}""");
        var start = new ProcessStartInfo(TestServerPaths.GatewayCommand.File)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var arg in TestServerPaths.GatewayCommand.Prefix.Concat(["--config", config, "--port", "0"]))
        {
            start.ArgumentList.Add(arg);
        }
        using var gateway = Process.Start(start)!;
        var stderr = await gateway.StandardError.ReadToEndAsync();
        await gateway.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, gateway.ExitCode);
        Assert.Contains("server 'a'", stderr);
        Assert.Contains("server 'b'", stderr);
        Assert.Contains("duplicate server name", stderr);
        Directory.Delete(dir, recursive: true);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int NativeKill(int pid, int signal);

    [GeneratedRegex(@"Now listening on: (http://[^\s]+)")]
    private static partial Regex ListeningOn();

    [GeneratedRegex(@"grandchild pid (\d+)")]
    private static partial Regex GrandchildPid();
}
