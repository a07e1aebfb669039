using System.Text.Json;
using MCProxy.Supervision;
using Microsoft.AspNetCore.Http;

namespace MCProxy.Admin;

/// <summary>
/// <c>GET /admin/logs[?server=NAME][&amp;follow=true]</c>: each server's stderr ring (<see cref="StderrTail"/>) as
/// NDJSON, <c>{"server":"x","line":"…"}</c> per line, redacted like /health's tail. With follow the response stays
/// open and new lines are sent as they arrive, until the client goes or the gateway stops.
/// NOTE 1: bounded by the ring, not by the reader: lines wait only in each server's ring (its line and character
/// caps), a slow reader is simply written to more slowly, and lines the ring dropped meanwhile are reported as
/// <c>{"server":"x","missed":N}</c>. A server that is restarted by a reload gets a new ring, read from its start.
/// </summary>
internal sealed class AdminLogs(ServerRegistry servers, Func<string, string, string> redact, TimeProvider time)
{
    /// <summary>How often a follower looks for servers that appeared (added or restarted by a reload).</summary>
    public static readonly TimeSpan Rescan = TimeSpan.FromSeconds(1);

    public async Task WriteAsync(HttpContext context, string? server, bool follow, CancellationToken stopping)
    {
        if (server is not null && !servers.TryGet(server, out _))
        {
            await AdminEndpoints.ProblemAsync(context, StatusCodes.Status404NotFound,
                $"no server '{server}': mcproxy servers list shows the names").ConfigureAwait(false);
            return;
        }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var ct = cts.Token;
        context.Response.ContentType = "application/x-ndjson";
        context.Response.Headers.CacheControl = "no-store";
        var positions = new Dictionary<StderrTail, long>(ReferenceEqualityComparer.Instance);
        try
        {
            await WriteNewAsync(context, server, positions, first: true, ct).ConfigureAwait(false);
            while (follow && !ct.IsCancellationRequested)
            {
                var waits = positions.Keys.Select(t => t.WhenAdded()).Append(Task.Delay(Rescan, time, ct));
                await Task.WhenAny(waits).ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
                await WriteNewAsync(context, server, positions, first: false, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went, or the gateway is stopping: the stream simply ends.
        }
    }

    private async Task WriteNewAsync(HttpContext context, string? only, Dictionary<StderrTail, long> positions, bool first, CancellationToken ct)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            var seen = new HashSet<StderrTail>(ReferenceEqualityComparer.Instance);
            foreach (var entry in servers.Entries)
            {
                if ((only is not null && entry.Name != only) || entry.Supervisor is not { } supervisor)
                {
                    continue;
                }
                var tail = supervisor.Stderr;
                seen.Add(tail);
                var (lines, next, missed) = tail.Since(positions.GetValueOrDefault(tail));
                positions[tail] = next;
                if (missed > 0 && !first)
                {
                    Write(w, buffer, entry.Name, line: null, missed);
                }
                foreach (var line in lines)
                {
                    Write(w, buffer, entry.Name, redact(entry.Name, line), 0);
                }
            }
            foreach (var gone in positions.Keys.Where(t => !seen.Contains(t)).ToArray())
            {
                positions.Remove(gone);
            }
        }
        if (buffer.WrittenCount > 0 || first)
        {
            await context.Response.Body.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
        }
    }

    private static void Write(Utf8JsonWriter w, System.Buffers.ArrayBufferWriter<byte> buffer, string server, string? line, long missed)
    {
        w.Reset();
        w.WriteStartObject();
        w.WriteString("server"u8, server);
        if (line is null)
        {
            w.WriteNumber("missed"u8, missed);
        }
        else
        {
            w.WriteString("line"u8, line);
        }
        w.WriteEndObject();
        w.Flush();
        System.Buffers.BuffersExtensions.Write(buffer, "\n"u8);
    }
}
