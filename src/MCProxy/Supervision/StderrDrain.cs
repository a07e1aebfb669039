using System.Runtime.InteropServices;
using System.Text;
using MCProxy.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using static MCProxy.Supervision.NativeMethods;

namespace MCProxy.Supervision;

/// <summary>
/// Reads a child's stderr on its own thread, line by line, into the log and the <see cref="StderrTail"/>.
/// Bounds: a line is cut at <see cref="MaxLineBytes"/> (the rest of it up to the newline is counted, not kept),
/// the log takes at most <see cref="LinesPerSecond"/> lines a second per server, and the reader can be abandoned:
/// a grandchild that escaped the process group may hold the pipe open forever, and stopping a server must not
/// wait for it (NOTE 1: the thread polls, so it notices <see cref="Abandon"/> within <see cref="PollMs"/>).
/// </summary>
internal sealed partial class StderrDrain
{
    public const int MaxLineBytes = 8 * 1024;
    public const int LinesPerSecond = 200;
    private const int PollMs = 200;

    private readonly SafeFileHandle _pipe;
    private readonly string _server;
    private readonly StderrTail _tail;
    private readonly ILogger _logger;
    private readonly LogThrottle _throttle;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _abandoned;

    private StderrDrain(SafeFileHandle pipe, string server, StderrTail tail, TimeProvider time, ILogger logger)
    {
        _pipe = pipe;
        _server = server;
        _tail = tail;
        _logger = logger;
        _throttle = new LogThrottle(time, LinesPerSecond, TimeSpan.FromSeconds(1));
    }

    public static StderrDrain Start(SafeFileHandle pipe, string server, StderrTail tail, TimeProvider time, ILogger logger)
    {
        var drain = new StderrDrain(pipe, server, tail, time, logger);
        new Thread(drain.Run) { IsBackground = true, Name = $"mcp-stderr {server}" }.Start();
        return drain;
    }

    /// <summary>Waits up to <paramref name="grace"/> for EOF, then stops reading whatever still holds the pipe.</summary>
    public async Task FinishAsync(TimeSpan grace, TimeProvider time)
    {
        try
        {
            await _done.Task.WaitAsync(grace, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _abandoned = true;
            LogAbandoned(_logger, _server, grace.TotalMilliseconds);
            await _done.Task.ConfigureAwait(false); // at most one poll interval
        }
    }

    /// <summary>Stops reading at the next poll, without waiting for EOF.</summary>
    public void Abandon() => _abandoned = true;

    private unsafe void Run()
    {
        var line = new byte[MaxLineBytes];
        var chunk = new byte[4096];
        var length = 0;
        long cut = 0; // bytes of an over-long line dropped so far
        var added = false;
        try
        {
            _pipe.DangerousAddRef(ref added);
            var fd = (int)_pipe.DangerousGetHandle();
            while (!_abandoned)
            {
                var poll = new PollFd { Fd = fd, Events = POLLIN };
                var ready = NativeMethods.poll(&poll, 1, PollMs);
                if (ready == 0 || (ready < 0 && Marshal.GetLastPInvokeError() == EINTR))
                {
                    continue;
                }
                nint n;
                fixed (byte* p = chunk)
                {
                    n = read(fd, p, chunk.Length);
                }
                if (n < 0 && Marshal.GetLastPInvokeError() is EINTR or EAGAIN)
                {
                    continue;
                }
                if (n <= 0)
                {
                    break; // EOF: every process holding the pipe is gone
                }
                var data = chunk.AsSpan(0, (int)n);
                int newline;
                while ((newline = data.IndexOf((byte)'\n')) >= 0)
                {
                    Append(line, ref length, ref cut, data[..newline]);
                    Emit(line, length, cut);
                    length = 0;
                    cut = 0;
                    data = data[(newline + 1)..];
                }
                Append(line, ref length, ref cut, data);
            }
            if (length > 0 || cut > 0)
            {
                Emit(line, length, cut);
            }
        }
        catch (Exception ex)
        {
            // Last resort on a reader thread: a broken drain costs the stderr lines, never the gateway.
            LogDrainFailed(_logger, _server, ex.Message);
        }
        finally
        {
            if (added)
            {
                _pipe.DangerousRelease();
            }
            _done.TrySetResult();
        }
    }

    private static void Append(byte[] line, ref int length, ref long cut, ReadOnlySpan<byte> data)
    {
        var room = line.Length - length;
        if (data.Length <= room)
        {
            data.CopyTo(line.AsSpan(length));
            length += data.Length;
            return;
        }
        data[..room].CopyTo(line.AsSpan(length));
        length = line.Length;
        cut += data.Length - room;
    }

    private void Emit(byte[] line, int length, long cut)
    {
        var text = Encoding.UTF8.GetString(line, 0, length).TrimEnd('\r');
        if (cut > 0)
        {
            text += $" … [{cut} more bytes cut]";
        }
        _tail.Add(text);
        if (_throttle.TryPass(out var suppressed))
        {
            if (suppressed > 0)
            {
                LogSuppressed(_logger, _server, suppressed, LinesPerSecond);
            }
            LogStderr(_logger, _server, text);
        }
    }

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "[{Server}] stderr: {Line}")]
    private static partial void LogStderr(ILogger logger, string server, string line);

    [LoggerMessage(EventId = 109, Level = LogLevel.Warning, Message = "[{Server}] {Count} stderr lines were not logged (more than {PerSecond} a second); the last ones are in /health")]
    private static partial void LogSuppressed(ILogger logger, string server, int count, int perSecond);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "[{Server}] stderr still held open {GraceMs:0} ms after the server stopped (an escaped descendant?); no longer read")]
    private static partial void LogAbandoned(ILogger logger, string server, double graceMs);

    [LoggerMessage(EventId = 111, Level = LogLevel.Error, Message = "[{Server}] stderr reader failed: {Reason}")]
    private static partial void LogDrainFailed(ILogger logger, string server, string reason);
}
