using System.Security.Cryptography;
using MCProxy.Configuration;
using Microsoft.Extensions.Logging;

namespace MCProxy.Output;

/// <summary>
/// Where cut-off results wait to be read in full through <c>resources/read mcproxy://results/&lt;id&gt;</c>: in memory
/// up to a total cap, then in a private temp directory up to its own cap, each for a TTL, oldest evicted first.
/// A result is readable only by the identity whose call made it; ids are 128-bit random.
/// NOTE 1: every operation takes one lock; sizes are small counts of entries, and reads copy nothing in memory.
/// </summary>
internal sealed partial class SpillStore : IDisposable
{
    public const string UriPrefix = "mcproxy://results/";

    private readonly TimeProvider _time;
    private readonly ILogger<SpillStore> _logger;
    private readonly Lock _gate = new();
    private readonly LinkedList<Entry> _order = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private SpillConfig _config = SpillConfig.Default;
    private string? _directory;
    private long _memoryBytes;
    private long _diskBytes;

    private sealed record Entry(string Id, string Owner, DateTimeOffset Expires, long Length)
    {
        public byte[]? Bytes { get; set; }

        public string? File { get; set; }
    }

    public SpillStore(TimeProvider time, ILogger<SpillStore> logger)
    {
        _time = time;
        _logger = logger;
    }

    public long MemoryBytes { get { lock (_gate) return _memoryBytes; } }

    public long DiskBytes { get { lock (_gate) return _diskBytes; } }

    public int Count { get { lock (_gate) return _entries.Count; } }

    public void Update(SpillConfig config)
    {
        lock (_gate)
        {
            _config = config;
            Evict();
        }
    }

    /// <summary>Keeps a full result for <paramref name="owner"/>; returns its URI, or null when it fits nowhere.</summary>
    public string? Store(string owner, byte[] result)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        lock (_gate)
        {
            Evict();
            var entry = new Entry(id, owner, _time.GetUtcNow() + _config.Ttl, result.Length);
            if (result.Length <= _config.MaxMemoryBytes)
            {
                // Make room in memory by moving the oldest to disk (or dropping them).
                for (var node = _order.First; _memoryBytes + result.Length > _config.MaxMemoryBytes && node is not null;)
                {
                    var next = node.Next; // Demote may remove this node
                    if (node.Value.Bytes is not null)
                    {
                        Demote(node.Value);
                    }
                    node = next;
                }
            }
            if (_memoryBytes + result.Length <= _config.MaxMemoryBytes)
            {
                entry.Bytes = result;
                _memoryBytes += result.Length;
            }
            else if (!TryWrite(entry, result))
            {
                LogTooLarge(_logger, result.Length);
                return null;
            }
            _entries[id] = _order.AddLast(entry);
            return UriPrefix + id;
        }
    }

    /// <summary>The full result behind <paramref name="uri"/>, if it exists, has not expired and belongs to <paramref name="owner"/>.</summary>
    public byte[]? Read(string owner, string uri)
    {
        if (!uri.StartsWith(UriPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        string? file;
        lock (_gate)
        {
            Evict();
            if (!_entries.TryGetValue(uri[UriPrefix.Length..], out var node) || node.Value.Owner != owner)
            {
                return null; // another identity's result looks exactly like one that does not exist
            }
            if (node.Value.Bytes is { } bytes)
            {
                return bytes;
            }
            file = node.Value.File;
        }
        try
        {
            return file is null ? null : File.ReadAllBytes(file);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_directory is not null)
            {
                try
                {
                    Directory.Delete(_directory, recursive: true);
                }
                catch (IOException)
                {
                    // Best effort: a private temp directory.
                }
            }
        }
    }

    private void Demote(Entry entry)
    {
        var bytes = entry.Bytes!;
        entry.Bytes = null;
        _memoryBytes -= bytes.Length;
        if (!TryWrite(entry, bytes))
        {
            Remove(entry);
        }
    }

    private bool TryWrite(Entry entry, byte[] bytes)
    {
        // Make room on disk by dropping the oldest there.
        for (var node = _order.First; _diskBytes + bytes.Length > _config.MaxDiskBytes && node is not null;)
        {
            var next = node.Next;
            if (node.Value.File is not null)
            {
                Remove(node.Value);
            }
            node = next;
        }
        if (_diskBytes + bytes.Length > _config.MaxDiskBytes)
        {
            return false;
        }
        try
        {
            _directory ??= CreateDirectory();
            var path = Path.Combine(_directory, entry.Id);
            File.WriteAllBytes(path, bytes);
            entry.File = path;
            _diskBytes += bytes.Length;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogDiskFailed(_logger, ex.Message);
            return false;
        }
    }

    private string CreateDirectory()
    {
        var root = _config.Directory ?? Path.GetTempPath();
        var dir = Path.Combine(root, $"mcproxy-results-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir);
        }
        else
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return dir;
    }

    private void Evict()
    {
        var now = _time.GetUtcNow();
        while (_order.First is { } oldest && oldest.Value.Expires <= now)
        {
            Remove(oldest.Value);
        }
        for (var node = _order.First; _memoryBytes > _config.MaxMemoryBytes && node is not null;)
        {
            var next = node.Next; // Demote may remove this node
            if (node.Value.Bytes is not null)
            {
                Demote(node.Value);
            }
            node = next;
        }
    }

    private void Remove(Entry entry)
    {
        if (!_entries.Remove(entry.Id, out var node))
        {
            return;
        }
        _order.Remove(node);
        if (entry.Bytes is not null)
        {
            _memoryBytes -= entry.Bytes.Length;
        }
        if (entry.File is { } file)
        {
            _diskBytes -= entry.Length;
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
                // Gone already.
            }
        }
    }

    [LoggerMessage(EventId = 800, Level = LogLevel.Warning, Message = "a cut-off result of {Bytes} bytes fits neither the spill memory nor the spill directory: it is not kept")]
    private static partial void LogTooLarge(ILogger logger, int bytes);

    [LoggerMessage(EventId = 801, Level = LogLevel.Warning, Message = "cannot write a spilled result to disk: {Reason}")]
    private static partial void LogDiskFailed(ILogger logger, string reason);
}
