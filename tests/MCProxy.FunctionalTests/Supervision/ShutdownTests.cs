using System.Diagnostics;
using System.Text.RegularExpressions;
using MCProxy.FunctionalTests.Infrastructure;

namespace MCProxy.FunctionalTests.Supervision;

/// <summary>The gateway as its own OS process, stopped with SIGTERM like systemd or podman does.</summary>
public sealed partial class ShutdownTests
{
    [Fact]
    public async Task Sigterm_LeavesNoChildOrGrandchildAlive_WithinFiveSeconds()
    {
        await using var gateway = await ExternalGateway.StartAsync(TestServers.Config(
            TestServers.Entry("polite", "--grandchild"),
            TestServers.Entry("stubborn", "--ignore-sigterm", "--grandchild")));
        var health = await gateway.HealthAsync();
        var pids = health["servers"]!.AsArray().Select(s => (int)s!["pid"]!).ToList();
        Assert.Equal(2, pids.Count);
        var grandchildren = health["servers"]!.AsArray()
            .SelectMany(s => s!["stderr"]!.AsArray().Select(l => GrandchildPid().Match((string)l!)))
            .Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.Equal(2, grandchildren.Count);
        Assert.All(pids.Concat(grandchildren), pid => Assert.True(ProcessProbe.IsAlive(pid)));

        var (exitCode, elapsed) = await gateway.SigtermAsync();

        Assert.True(await ProcessProbe.AllGoneAsync(pids.Concat(grandchildren), TimeSpan.FromMilliseconds(500)),
            "a child or grandchild outlived the gateway:\n" + string.Join("\n", gateway.Output));
        Assert.True(elapsed < TimeSpan.FromSeconds(6), $"shutdown took {elapsed}");
        Assert.Equal(0, exitCode);
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

    [GeneratedRegex(@"grandchild pid (\d+)")]
    private static partial Regex GrandchildPid();
}
