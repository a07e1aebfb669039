using MCProxy.Configuration;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;
using Serilog.Core;
using Serilog.Events;

namespace MCProxy.Hosting.Logging;

/// <summary>
/// A small Serilog syslog sink. It stands in for <c>Serilog.Sinks.SyslogMessages</c>, which is not on our package
/// mirror. Formatting happens on the caller; sending happens on one background task behind a bounded queue, so
/// logging never blocks the hot path and never throws into the caller. When the socket is missing or the queue is
/// full, messages are dropped and counted, with at most one warning on stderr every 10 s.
/// </summary>
internal sealed class SyslogSink : ILogEventSink, IDisposable
{
    private const int Capacity = 10_000;
    private static readonly TimeSpan WarnEvery = TimeSpan.FromSeconds(10);

    private readonly SyslogOptions _options;
    private readonly SyslogTransport _transport;
    private readonly Channel<string> _queue = Channel.CreateBounded<string>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true,
    });
    private readonly Task _writer;
    private readonly string _hostname = Environment.MachineName;
    private readonly int _pid = Environment.ProcessId;
    private readonly TextWriter _warnings;
    private long _dropped;
    private long _lastWarning = -1;

    public SyslogSink(SyslogOptions options, TextWriter? warnings = null)
    {
        _options = options;
        _transport = new SyslogTransport(options.Target);
        _warnings = warnings ?? Console.Error;
        _writer = Task.Run(WriteLoopAsync);
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Emit(LogEvent logEvent)
    {
        try
        {
            var structured = new List<KeyValuePair<string, string>>(1);
            // Structured data: the server of every line about one; for audit records, who did what and how it went.
            foreach (var (property, key) in StructuredProperties)
            {
                if (logEvent.Properties.TryGetValue(property, out var value) && value is ScalarValue { Value: { } scalar })
                {
                    structured.Add(new(key, scalar.ToString()!));
                }
            }
            var message = Render(logEvent);
            if (logEvent.Exception is { } exception)
            {
                message += " | " + exception.GetType().Name + ": " + exception.Message;
            }
            var framed = SyslogFormatter.Format(_options.Format, _options.Facility, _options.AppName, _hostname, _pid,
                logEvent.Timestamp, logEvent.Level, EventName(logEvent), structured, message.ReplaceLineEndings(" "));
            if (!_queue.Writer.TryWrite(framed))
            {
                Drop("the queue is full");
            }
        }
        catch (Exception ex)
        {
            // A sink must never throw into the code that logs.
            Drop(ex.Message);
        }
    }

    /// <summary>The message with string values unquoted (Serilog's default rendering quotes them).</summary>
    private static string Render(LogEvent logEvent)
    {
        var text = new StringWriter();
        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is Serilog.Parsing.PropertyToken property && logEvent.Properties.TryGetValue(property.PropertyName, out var value))
            {
                if (value is ScalarValue { Value: string s })
                {
                    text.Write(s);
                }
                else
                {
                    value.Render(text, property.Format);
                }
            }
            else
            {
                token.Render(logEvent.Properties, text);
            }
        }
        return text.ToString();
    }

    private static readonly (string Property, string Key)[] StructuredProperties =
        [("Server", "server"), ("Identity", "identity"), ("Tool", "tool"), ("Outcome", "outcome")];

    private static string? EventName(LogEvent logEvent) =>
        logEvent.Properties.TryGetValue("EventId", out var id) && id is StructureValue structure
            ? structure.Properties.FirstOrDefault(p => p.Name == "Name")?.Value is ScalarValue { Value: string name } ? name : null
            : null;

    private async Task WriteLoopAsync()
    {
        await foreach (var message in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                _transport.Send(message);
            }
            catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
            {
                Drop($"{_transport.Describe}: {ex.Message}");
            }
        }
    }

    private void Drop(string reason)
    {
        var dropped = Interlocked.Increment(ref _dropped);
        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarning);
        if ((last < 0 || Stopwatch.GetElapsedTime(last, now) >= WarnEvery) &&
            Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            try
            {
                _warnings.WriteLine($"mcproxy: syslog: dropped {dropped} message(s) so far ({reason})");
            }
            catch (IOException)
            {
                // stderr itself is gone: nothing more to do.
            }
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _writer.Wait(TimeSpan.FromSeconds(2));
        _transport.Dispose();
    }
}
