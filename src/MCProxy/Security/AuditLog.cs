using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using MCProxy.Configuration;
using MCProxy.Protocol;
using Microsoft.Extensions.Logging;

namespace MCProxy.Security;

/// <summary>
/// The audit trail: one JSON record per call, refusal and failed sign-in, to the log (event <c>audit</c>, which
/// syslog carries as MSGID <c>audit</c> with identity, server, tool and outcome as structured data) and, when
/// configured, to a JSONL file rotated by size. Records carry who, what, how long and how it ended, and the
/// arguments only as their SHA-256 unless <c>includeArguments</c>: never a token or an env value.
/// NOTE 1: the file is written by one background task behind a bounded queue (10 000 records; beyond it records
/// are dropped for the file and counted, the log still has them), so a slow disk never slows a call.
/// </summary>
internal sealed partial class AuditLog : IAsyncDisposable
{
    private readonly ILogger<AuditLog> _logger;
    private readonly Channel<(string Line, AuditConfig Config)> _file = Channel.CreateBounded<(string, AuditConfig)>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Task _writer;
    private volatile AuditConfig _config;
    private long _dropped;

    public AuditLog(AuditConfig? initial, ILogger<AuditLog> logger)
    {
        _config = initial ?? AuditConfig.Default;
        _logger = logger;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Records the file could not take (queue full or the file unwritable).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Update(AuditConfig? config) => _config = config ?? AuditConfig.Default;

    /// <summary>Hex SHA-256 of the arguments exactly as received (empty arguments hash the empty string).</summary>
    public static string HashArguments(ReadOnlySpan<byte> arguments) => Convert.ToHexStringLower(SHA256.HashData(arguments));

    /// <summary>Raised for every record, before anything else and whether or not anyone reads the log (the status page and the metrics count these).</summary>
    public event Action<AuditRecord>? Recorded;

    public void Write(AuditRecord record)
    {
        Recorded?.Invoke(record);
        var config = _config;
        if (config.File is null && !_logger.IsEnabled(LogLevel.Information))
        {
            return; // nobody reads it: no JSON, no hash
        }
        if (record.ArgsSha256 is null && record.Tool is not null && record.Outcome != AuditOutcome.Unauthenticated)
        {
            record = record with { ArgsSha256 = HashArguments(record.Arguments.Span) };
        }
        var line = Format(record, config.IncludeArguments);
        LogAudit(_logger, record.Identity, record.Server ?? "-", record.Tool ?? "-", Name(record.Outcome), line);
        if (config.File is not null && !_file.Writer.TryWrite((line, config)))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    public static string Name(AuditOutcome outcome) => outcome switch
    {
        AuditOutcome.Ok => "ok",
        AuditOutcome.IsError => "isError",
        AuditOutcome.Error => "error",
        AuditOutcome.Timeout => "timeout",
        AuditOutcome.Denied => "denied",
        AuditOutcome.RateLimited => "rateLimited",
        _ => "unauthenticated",
    };

    private static string Format(AuditRecord r, bool includeArguments) => Encoding.UTF8.GetString(JsonRpcWriter.Build(w =>
    {
        w.WriteStartObject();
        w.WriteString("time"u8, r.Time.UtcDateTime.ToString("O"));
        w.WriteString("identity"u8, r.Identity);
        w.WriteString("session"u8, r.Session);
        w.WriteString("door"u8, r.Door);
        w.WriteString("server"u8, r.Server);
        w.WriteString("tool"u8, r.Tool);
        w.WriteNumber("durationMs"u8, Math.Round(r.DurationMs, 3));
        w.WriteString("outcome"u8, Name(r.Outcome));
        w.WriteNumber("bytesIn"u8, r.BytesIn);
        w.WriteNumber("bytesOut"u8, r.BytesOut);
        w.WriteString("argsSha256"u8, r.ArgsSha256);
        w.WriteNumber("redactions"u8, r.Redactions);
        if (includeArguments && !r.Arguments.IsEmpty && JsonSlice.IsObject(r.Arguments.Span))
        {
            w.WritePropertyName("arguments"u8);
            w.WriteRawValue(r.Arguments.Span, skipInputValidation: false);
        }
        w.WriteEndObject();
    }));

    private async Task WriteLoopAsync()
    {
        FileStream? stream = null;
        string? path = null;
        try
        {
            await foreach (var (line, config) in _file.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                try
                {
                    var target = config.File!;
                    if (path != target || stream is null)
                    {
                        stream?.Dispose();
                        path = target;
                        stream = Open(target);
                    }
                    var bytes = Encoding.UTF8.GetBytes(line + "\n");
                    if (stream!.Length > 0 && stream.Length + bytes.Length > config.MaxBytes)
                    {
                        stream.Dispose();
                        Rotate(target, config.Keep);
                        stream = Open(target);
                    }
                    await stream.WriteAsync(bytes).ConfigureAwait(false);
                    await stream.FlushAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // The log has the record; the file missed it. Reopen at the next one.
                    Interlocked.Increment(ref _dropped);
                    LogFileFailed(_logger, path ?? "?", ex.Message);
                    stream?.Dispose();
                    stream = null;
                    path = null;
                }
            }
        }
        finally
        {
            stream?.Dispose();
        }
    }

    private static FileStream Open(string path) => AppendOnlyFile.Open(path); // replicas may share the file

    /// <summary>audit.jsonl → audit.jsonl.1 → … → audit.jsonl.KEEP (the oldest falls off).</summary>
    private static void Rotate(string path, int keep)
    {
        if (keep == 0)
        {
            File.Delete(path);
            return;
        }
        File.Delete($"{path}.{keep}");
        for (var i = keep - 1; i >= 1; i--)
        {
            if (File.Exists($"{path}.{i}"))
            {
                File.Move($"{path}.{i}", $"{path}.{i + 1}");
            }
        }
        File.Move(path, $"{path}.1");
    }

    public async ValueTask DisposeAsync()
    {
        _file.Writer.TryComplete();
        await _writer.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
    }

    // The named values become syslog structured data; the record itself is the message.
    [LoggerMessage(EventId = 700, EventName = "audit", Level = LogLevel.Information, Message = "audit {Identity} {Server} {Tool} {Outcome} {Record}")]
    private static partial void LogAudit(ILogger logger, string identity, string server, string tool, string outcome, string record);

    [LoggerMessage(EventId = 701, Level = LogLevel.Error, Message = "audit file {Path} not writable: {Reason}")]
    private static partial void LogFileFailed(ILogger logger, string path, string reason);
}
