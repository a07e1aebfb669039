using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MCProxy.FunctionalTests.Infrastructure;

/// <summary>
/// The gateway as its own OS process, as the quadlet runs it: with a .NET heap hard limit (the quadlet's
/// --memory=512m gives 384 MiB), as child subreaper, stopped with SIGTERM. For the cases that measure RSS, reap
/// orphans or read the environment the children inherit, which an in-process gateway cannot show.
/// </summary>
internal sealed partial class ExternalGateway : IAsyncDisposable
{
    /// <summary>The heap limit the quadlet's 512 MiB container limit gives .NET (75 %).</summary>
    public const long QuadletHeapLimit = 384L * 1024 * 1024;

    private readonly Process _process;
    private readonly string _dir;
    private readonly ConcurrentQueue<string> _output;

    private ExternalGateway(Process process, string dir, ConcurrentQueue<string> output, string baseUrl)
    {
        _process = process;
        _dir = dir;
        _output = output;
        BaseUrl = baseUrl;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
    }

    public string BaseUrl { get; }

    public HttpClient Http { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public IEnumerable<string> Output => _output;

    public string ConfigPath => Path.Combine(_dir, "mcp-servers.json");

    /// <summary>The admin socket, in the gateway's own temp directory: parallel gateways never share one.</summary>
    public string AdminSocket => Path.Combine(_dir, "mcproxy.sock");

    public static async Task<ExternalGateway> StartAsync(string configJson, IReadOnlyDictionary<string, string>? environment = null,
        params string[] extraArgs)
    {
        Evidence.SecretsOf(configJson, null);
        var dir = Directory.CreateTempSubdirectory("mcproxy-external-").FullName;
        var config = Path.Combine(dir, "mcp-servers.json");
        await File.WriteAllTextAsync(config, configJson);
        var (file, prefix) = TestServerPaths.GatewayCommand;
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in prefix.Concat(["--log", "--config", config, "--port", "0", "--admin-socket", Path.Combine(dir, "mcproxy.sock")]).Concat(extraArgs))
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["DOTNET_GCHeapHardLimit"] = QuadletHeapLimit.ToString("X");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }
        var process = Process.Start(start)!;
        var output = new ConcurrentQueue<string>();
        var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            output.Enqueue(e.Data);
            if (ListeningOn().Match(e.Data) is { Success: true } m) url.TrySetResult(m.Groups[1].Value);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var gateway = new ExternalGateway(process, dir, output, await url.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(bool)(await gateway.HealthAsync())["ready"]!)
        {
            Assert.True(DateTime.UtcNow < deadline, "the gateway did not get ready:\n" + string.Join("\n", output));
            await Task.Delay(50);
        }
        return gateway;
    }

    /// <summary>The gateway's resident set, in MiB, from /proc.</summary>
    public double RssMiB()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
            }
        }
        throw new InvalidOperationException("no VmRSS");
    }

    public async Task<JsonObject> HealthAsync() => JsonNode.Parse(await Http.GetStringAsync("/health"))!.AsObject();

    /// <summary>One call through POST /sse; returns the parsed response.</summary>
    public async Task<JsonObject> RpcAsync(string method, JsonObject? prms = null)
    {
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method };
        if (prms is not null) message["params"] = prms;
        using var response = await Http.PostAsync("/sse", new StringContent(message.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    /// <summary>A plain echo call answers: the gateway runs and still relays.</summary>
    public async Task AssertEchoAsync(string server)
    {
        var echo = await RpcAsync("tools/call", new JsonObject
        {
            ["name"] = $"{server}__echo", ["arguments"] = new JsonObject { ["message"] = "still here" },
        });
        Assert.Equal("still here", (string)echo["result"]!["content"]![0]!["text"]!);
    }

    /// <summary>Direct children of the gateway that are zombies.</summary>
    public IReadOnlyList<int> ZombieChildren() =>
        MCProxy.Supervision.ProcessTree.Snapshot().Where(p => p.ParentPid == Pid && p.State == 'Z').Select(p => p.Pid).ToList();

    /// <summary>Sends SIGTERM, as systemd or podman do, and waits (≤ 10 s) for the exit: its code and how long it took.</summary>
    public async Task<(int ExitCode, TimeSpan Elapsed)> SigtermAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        Assert.Equal(0, Kill(_process.Id, 15));
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        return (_process.ExitCode, stopwatch.Elapsed);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, 15);
            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
        if (Evidence.OpenLog("external") is { } log)
        {
            await using (log)
            {
                foreach (var line in _output)
                {
                    await log.WriteLineAsync(line);
                }
            }
        }
        Evidence.Keep(_dir, "*audit*");
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningOn();
}
