using System.Diagnostics;

namespace MCProxy.Bench;

/// <summary>
/// Another MCP gateway the bench holds ours against, as its own process: `mcp-proxy` (npm), the most used Node
/// gateway, fronting the same stdio child on both its doors (/sse and /mcp); or the SDK front-door spike.
/// </summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _stderr;

    private PeerProcess(Process process, string baseUrl, System.Collections.Concurrent.ConcurrentQueue<string> stderr)
    {
        _process = process;
        BaseUrl = baseUrl;
        _stderr = stderr;
    }

    public string BaseUrl { get; }

    public int Pid => _process.Id;

    /// <summary>What the process (and, for the spike, its child) wrote on stderr.</summary>
    public IEnumerable<string> Stderr => _stderr;

    public static string Executable => Path.Combine(Paths.NodeModules, ".bin", "mcp-proxy");

    public static Task<PeerProcess> StartAsync(HttpClient http, params string[] child) =>
        StartAsync(http, Executable, port => ["--port", port.ToString(), "--host", "127.0.0.1", "--", .. child]);

    public static async Task<PeerProcess> StartAsync(HttpClient http, string file, Func<int, string[]> arguments)
    {
        var port = GatewayProcess.FreePort();
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in arguments(port))
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info)!;
        var stderr = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) stderr.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var url = $"http://127.0.0.1:{port}";
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"{file} exited with {process.ExitCode}: {string.Join("\n", stderr)}");
            try
            {
                await using var probe = await StreamableClient.ConnectAsync(http, url);
                break;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
        return new PeerProcess(process, url, stderr);
    }

    public double RssMiB()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
            }
        }
        return double.NaN;
    }

    /// <summary>CPU time the process has used so far (user + system), from /proc (children are separate processes).</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return TimeSpan.FromSeconds((long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
