using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace MCProxy.Gateway;

/// <summary>
/// Writes queued JSON-RPC messages to an open text/event-stream response as <c>event: message</c>, with a comment
/// keep-alive when idle so proxies and clients do not time the stream out.
/// </summary>
internal static class SseStream
{
    private static readonly byte[] KeepAliveMarker = ": keep-alive\n\n"u8.ToArray();

    public static async Task PumpAsync(HttpResponse response, OutboundQueue reader, TimeSpan keepAlive,
        TimeProvider time, CancellationToken ct)
    {
        var body = response.BodyWriter;
        while (true)
        {
            var wait = reader.WaitToReadAsync(ct);
            // NOTE 1: a busy stream never arms a timer; only an idle one waits with a keep-alive deadline.
            var hasData = wait.IsCompletedSuccessfully ? wait.Result : await WaitWithKeepAliveAsync(body, wait.AsTask(), keepAlive, time, ct).ConfigureAwait(false);
            if (!hasData)
            {
                return;
            }
            while (reader.TryRead(out var message))
            {
                WriteEvent(body, "message"u8, message);
            }
            await body.FlushAsync(ct).ConfigureAwait(false);
        }
    }

    private static async Task<bool> WaitWithKeepAliveAsync(System.IO.Pipelines.PipeWriter body, Task<bool> wait, TimeSpan keepAlive,
        TimeProvider time, CancellationToken ct)
    {
        while (!wait.IsCompleted)
        {
            using var idleCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var idle = Task.Delay(keepAlive, time, idleCts.Token);
            if (await Task.WhenAny(wait, idle).ConfigureAwait(false) == idle && !wait.IsCompleted)
            {
                ct.ThrowIfCancellationRequested();
                body.Write(KeepAliveMarker);
                await body.FlushAsync(ct).ConfigureAwait(false);
            }
            idleCts.Cancel();
        }
        return await wait.ConfigureAwait(false);
    }

    public static void WriteEvent(System.IO.Pipelines.PipeWriter body, ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> data)
    {
        body.Write("event: "u8);
        body.Write(eventName);
        body.Write("\ndata: "u8);
        // JSON from children and from us never holds a raw newline, but a data line must not break if one did.
        int newline;
        while ((newline = data.IndexOf((byte)'\n')) >= 0)
        {
            body.Write(data[..newline]);
            body.Write("\ndata: "u8);
            data = data[(newline + 1)..];
        }
        body.Write(data);
        body.Write("\n\n"u8);
    }
}
