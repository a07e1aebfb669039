using System.Diagnostics;

namespace MCProxy.Bench;

/// <summary>
/// The peer the bench compares against: `mcp-proxy` (npm), the most used Node gateway, fronting the same stdio
/// child on both its doors (/sse and /mcp), started from tests/e2e's node_modules.
/// </summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private PeerProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public static string Executable => Path.Combine(Paths.NodeModules, ".bin", "mcp-proxy");

    public static async Task<PeerProcess> StartAsync(HttpClient http, params string[] child)
    {
        var port = GatewayProcess.FreePort();
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--port", port.ToString(), "--host", "127.0.0.1", "--" }.Concat(child))
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var url = $"http://127.0.0.1:{port}";
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"mcp-proxy exited with {process.ExitCode}");
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
        return new PeerProcess(process, url);
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
