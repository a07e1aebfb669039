using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace MCProxy.Bench;

/// <summary>The gateway (Release build) as a separate process on a free loopback port, with its config in a temp folder.</summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;

    private GatewayProcess(Process process, string baseUrl, string configPath, double startMs)
    {
        _process = process;
        BaseUrl = baseUrl;
        ConfigPath = configPath;
        StartToReadyMs = startMs;
    }

    public string BaseUrl { get; }
    public string ConfigPath { get; }
    public double StartToReadyMs { get; }
    public int Pid => _process.Id;

    public static async Task<GatewayProcess> StartAsync(HttpClient http, string configJson, string workDir, params string[] extraArgs)
    {
        var dir = Directory.CreateTempSubdirectory("mcproxy-bench-").FullName;
        var config = Path.Combine(dir, "mcp-servers.json");
        await File.WriteAllTextAsync(config, configJson);
        var port = FreePort();
        var info = new ProcessStartInfo(Paths.Gateway.File)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workDir,
        };
        foreach (var arg in Paths.Gateway.Prefix.Concat(["--log", "--log-level", "warning", "--config", config, "--port", port.ToString(), .. extraArgs]))
        {
            info.ArgumentList.Add(arg);
        }
        // BENCH_GATEWAY_X=V in the bench's environment becomes X=V for the gateway alone (for trying GC settings).
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            if (e.Key is string key && key.StartsWith("BENCH_GATEWAY_", StringComparison.Ordinal))
            {
                info.Environment[key["BENCH_GATEWAY_".Length..]] = (string?)e.Value;
            }
        }
        var stopwatch = Stopwatch.StartNew();
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var url = $"http://127.0.0.1:{port}";
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"gateway exited with {process.ExitCode}");
            try
            {
                using var doc = JsonDocument.Parse(await http.GetStringAsync(url + "/health"));
                if (doc.RootElement.GetProperty("ready").GetBoolean()) break;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            if (stopwatch.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException("gateway not ready");
            await Task.Delay(2);
        }
        return new GatewayProcess(process, url, config, stopwatch.Elapsed.TotalMilliseconds);
    }

    /// <summary>Resident set size of the gateway process alone (children are separate processes).</summary>
    public double RssMiB()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
            }
        }
        return double.NaN;
    }

    /// <summary>CPU time the gateway process has used so far (user + system), from /proc.</summary>
    /// <summary>Where the RSS is: anonymous (heap, stacks, pools) and file-backed (the binary, libraries) MiB, and threads.</summary>
    public (double AnonMiB, double FileMiB, int Threads) RssBreakdown()
    {
        long Field(string name) => File.ReadLines($"/proc/{_process.Id}/status")
            .Where(l => l.StartsWith(name, StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1])).FirstOrDefault();
        return (Field("RssAnon:") / 1024.0, Field("RssFile:") / 1024.0, (int)Field("Threads:"));
    }

    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[11], fields[12] = utime, stime (fields 14 and 15 of stat(5)), in clock ticks of 1/100 s
        return TimeSpan.FromSeconds((long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
            if (!_process.WaitForExit(10_000)) _process.Kill(true);
        }
        await Task.CompletedTask;
        _process.Dispose();
        Directory.Delete(Path.GetDirectoryName(ConfigPath)!, true);
    }
}
