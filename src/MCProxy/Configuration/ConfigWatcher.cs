using Microsoft.Extensions.Logging;

namespace MCProxy.Configuration;

/// <summary>
/// Tells when the config file (or its .env) may have changed. Watches the file's <em>directory</em>, so editors'
/// temp-file-and-rename saves, <c>cp</c>, in-place writes and ConfigMap-style symlink swaps (<c>..data</c>) are all
/// seen, and polls every <c>--reload-interval</c> for mounts where inotify stays silent. It only signals; the
/// reconcile loop reads the files and decides (rule 8: level-triggered).
/// </summary>
internal sealed partial class ConfigWatcher : IDisposable
{
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly ITimer _poll;
    private readonly ILogger _logger;

    /// <param name="onFileEvent">Something in a watched folder changed; the content may still be being written.</param>
    /// <param name="onReplaced">A watched file (or a ConfigMap "..data" link) was renamed into place: its content is final.</param>
    /// <param name="onPoll">The poll interval elapsed.</param>
    public ConfigWatcher(IReadOnlyList<string> files, TimeSpan pollInterval, TimeProvider time, ILogger logger,
        Action onFileEvent, Action onReplaced, Action onPoll)
    {
        _logger = logger;
        var names = files.Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
        foreach (var directory in files.Select(f => Path.GetDirectoryName(Path.GetFullPath(f))!).Distinct(StringComparer.Ordinal))
        {
            if (!Directory.Exists(directory))
            {
                LogCannotWatch(_logger, directory, "the directory does not exist");
                continue;
            }
            try
            {
                var watcher = new FileSystemWatcher(directory)
                {
                    IncludeSubdirectories = false,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite |
                                   NotifyFilters.Size | NotifyFilters.CreationTime,
                };
                // NOTE 1: every event in the folder counts, not only ones named like the file: a symlink swap renames
                // "..data", and an editor's save renames a temp file. Reading and comparing afterwards is cheap.
                FileSystemEventHandler changed = (_, _) => onFileEvent();
                watcher.Changed += changed;
                watcher.Created += changed;
                watcher.Deleted += changed;
                // NOTE 2: a rename onto the file is an atomic save (vim, sed -i, kubelet's swap): no need to wait for quiet.
                watcher.Renamed += (_, e) =>
                {
                    if (names.Contains(e.Name) || e.Name == "..data")
                    {
                        onReplaced();
                    }
                    else
                    {
                        onFileEvent();
                    }
                };
                watcher.Error += (_, e) =>
                {
                    LogWatcherError(_logger, directory, e.GetException().Message);
                    onFileEvent();
                };
                watcher.EnableRaisingEvents = true;
                _watchers.Add(watcher);
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
            {
                // inotify limits and the like: the poll still sees changes.
                LogCannotWatch(_logger, directory, ex.Message);
            }
        }
        _poll = time.CreateTimer(_ => onPoll(), null, pollInterval, pollInterval);
    }

    public void Dispose()
    {
        _poll.Dispose();
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "cannot watch {Directory} ({Reason}); relying on polling")]
    private static partial void LogCannotWatch(ILogger logger, string directory, string reason);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "file watcher on {Directory} reported: {Reason}")]
    private static partial void LogWatcherError(ILogger logger, string directory, string reason);
}
