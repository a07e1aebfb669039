using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace MCProxy.Bench;

/// <summary>
/// The baseline: the same lean client talking to the same child directly over stdio, with the framing work a
/// gateway client does (serialise a request, read one line, parse it).
/// </summary>
internal sealed class StdioClient : IDoorClient
{
    private readonly Process _process;
    private readonly Stream _stdin;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Dictionary<long, TaskCompletionSource<JsonElement>> _pending = [];
    private readonly Task _reader;
    private long _id;

    private StdioClient(Process process)
    {
        _process = process;
        _stdin = process.StandardInput.BaseStream;
        _reader = Task.Run(() => ReadLoop(process.StandardOutput));
    }

    public int Pid => _process.Id;

    public static async Task<StdioClient> StartAsync(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        var client = new StdioClient(process);
        await client.CallAsync("initialize", """{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}""");
        await client.WriteAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        return client;
    }

    /// <summary>One request/response; callers may overlap (replies are matched by id, like a gateway does).</summary>
    public async Task<JsonElement> CallAsync(string method, string paramsJson)
    {
        var id = Interlocked.Increment(ref _id);
        var tcs = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_pending) _pending[id] = tcs;
        await WriteAsync($"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"{method}\",\"params\":{paramsJson}}}");
        return await tcs.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    private async Task ReadLoop(StreamReader stdout)
    {
        while (await stdout.ReadLineAsync() is { } line)
        {
            using var doc = JsonDocument.Parse(line);
            if (!doc.RootElement.TryGetProperty("id", out var rid) || rid.ValueKind != JsonValueKind.Number) continue;
            TaskCompletionSource<JsonElement>? tcs;
            lock (_pending) _pending.Remove(rid.GetInt64(), out tcs);
            tcs?.TrySetResult(doc.RootElement.Clone());
        }
    }

    private async Task WriteAsync(string json)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _stdin.WriteAsync(Encoding.UTF8.GetBytes(json + "\n"));
            await _stdin.FlushAsync();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stdin.Dispose();
        if (!_process.WaitForExit(2000)) _process.Kill(true);
        await _reader.WaitAsync(TimeSpan.FromSeconds(2)).ContinueWith(_ => { });
        _process.Dispose();
    }
}
