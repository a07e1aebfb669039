using System.Runtime.InteropServices;

namespace MCProxy.FunctionalTests.Infrastructure;

/// <summary>
/// Writes a directory the way the kubelet writes a ConfigMap (or Secret) volume: AtomicWriter.Write in
/// k8s.io/kubernetes pkg/volume/util/atomic_writer.go, for top-level keys.
/// 1. The payload goes into a fresh directory "..&lt;UTC yyyy_MM_dd_HH_mm_ss&gt;.&lt;random digits&gt;" (os.MkdirTemp).
/// 2. A symlink "..data_tmp" is made, pointing at that directory's name (relative).
/// 3. "..data_tmp" is renamed over "..data" with rename(2): the one atomic step, the only one a reader can see.
/// 4. Each key gets its user-visible symlink "key -> ..data/key" if it has none yet (the first write only).
/// 5. The previous timestamped directory is removed, after the swap.
/// So the file a pod opens, e.g. /etc/mcproxy/mcp-servers.json, is always a link through "..data", and an update
/// never writes to it: it creates, renames and deletes beside it.
/// </summary>
internal sealed class KubeletAtomicWriter(string volume)
{
    public const string DataDir = "..data";

    public string Volume => volume;

    /// <summary>The timestamped directory "..data" points at now, or null before the first write.</summary>
    public string? Current => LinkTarget(Path.Combine(volume, DataDir));

    public void Write(IReadOnlyDictionary<string, string> payload)
    {
        var old = Current;
        // 1.
        var timestamped = $"..{DateTime.UtcNow:yyyy_MM_dd_HH_mm_ss}.{Random.Shared.NextInt64(1_000_000_000L, 10_000_000_000L)}";
        Directory.CreateDirectory(Path.Combine(volume, timestamped));
        foreach (var (key, content) in payload)
        {
            File.WriteAllText(Path.Combine(volume, timestamped, key), content);
        }
        // 2. and 3.
        var tmp = Path.Combine(volume, "..data_tmp");
        File.CreateSymbolicLink(tmp, timestamped);
        if (Rename(tmp, Path.Combine(volume, DataDir)) != 0)
        {
            throw new IOException($"rename ..data_tmp over ..data failed: errno {Marshal.GetLastPInvokeError()}");
        }
        // 4.
        foreach (var key in payload.Keys)
        {
            var visible = Path.Combine(volume, key);
            if (LinkTarget(visible) is null)
            {
                File.CreateSymbolicLink(visible, $"{DataDir}/{key}");
            }
        }
        // 5.
        if (old is not null)
        {
            Directory.Delete(Path.Combine(volume, old), recursive: true);
        }
    }

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;   // no such file
        }
    }

    [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int Rename(string from, string to);
}
