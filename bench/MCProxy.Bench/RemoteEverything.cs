using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace MCProxy.Bench;

/// <summary>
/// server-everything as a remote MCP server, its own process: `node index.js streamableHttp` (POST /mcp) or
/// `node index.js sse` (GET /sse + POST /message) with PORT set to a free loopback port. Ready once it prints the
/// port ("… listening on port N", "Server is running on port N"); killed at dispose.
/// </summary>
internal sealed class RemoteEverything : IAsyncDisposable
{
    private readonly Process _process;

    private RemoteEverything(Process process, int port)
    {
        _process = process;
        BaseUrl = $"http://127.0.0.1:{port}";
    }

    /// <summary>http://127.0.0.1:PORT: the server's endpoints are BaseUrl/mcp or BaseUrl/sse.</summary>
    public string BaseUrl { get; }

    public int Pid => _process.Id;

    public static async Task<RemoteEverything> StartAsync(string mode)
    {
        var port = GatewayProcess.FreePort();
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Paths.EverythingJs);
        info.ArgumentList.Add(mode);
        info.Environment["PORT"] = port.ToString();
        var process = Process.Start(info)!;
        var output = new ConcurrentQueue<string>();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var portWord = new Regex($@"\b{port}\b");
        void Seen(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            output.Enqueue(e.Data);
            if (portWord.IsMatch(e.Data)) listening.TrySetResult();
        }
        process.OutputDataReceived += Seen;
        process.ErrorDataReceived += Seen;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RemoteEverything(process, port);
        try
        {
            var exited = process.WaitForExitAsync();
            if (await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(30))) != listening.Task)
            {
                throw new InvalidOperationException($"server-everything {mode} did not start on port {port}: {string.Join(" | ", output)}");
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
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
