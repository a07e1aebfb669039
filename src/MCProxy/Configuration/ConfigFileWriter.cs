namespace MCProxy.Configuration;

/// <summary>
/// Saves a config file atomically: a temp file in the same directory (same filesystem, so the rename is atomic),
/// flushed to disk, given the old file's mode, then renamed over the file. A reader — the gateway's watcher —
/// sees the old content or the new, never a half-written file. A symlinked config is written through to its target,
/// so the link stays. The UTF-8 byte order mark of the old file is kept.
/// </summary>
internal static class ConfigFileWriter
{
    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    /// <summary>The file's bytes without a byte order mark, and whether it had one.</summary>
    public static (byte[] Bytes, bool Bom) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return bytes.AsSpan().StartsWith(Bom) ? (bytes[3..], true) : (bytes, false);
    }

    /// <exception cref="IOException">the directory cannot take the temp file, or the rename failed (the old file is untouched).</exception>
    /// <exception cref="UnauthorizedAccessException">no write permission in the directory.</exception>
    public static void Write(string path, byte[] bytes, bool bom)
    {
        var target = Path.GetFullPath(path);
        if (new FileInfo(target).ResolveLinkTarget(returnFinalTarget: true) is { } resolved)
        {
            target = resolved.FullName;
        }
        var directory = Path.GetDirectoryName(target)!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                if (bom)
                {
                    stream.Write(Bom);
                }
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            if (File.Exists(target) && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, File.GetUnixFileMode(target));
            }
            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            // Bare catch (rule 14): whatever failed, the temp file must not be left beside the config; rethrown.
            File.Delete(temp);
            throw;
        }
    }
}
