using System.Runtime.InteropServices;

namespace MCProxy.Admin;

/// <summary>The few libc calls the admin socket and <c>mcproxy doctor</c> need that .NET does not expose.</summary>
internal static unsafe partial class Posix
{
    private const int W_OK = 2;
    private const int X_OK = 1;

    /// <summary>TIME_ERROR from adjtimex(2): the kernel clock is not synchronised (no NTP discipline).</summary>
    public const int TimeError = 5;

    public static int UserId => (int)getuid();

    /// <summary>Whether this process may create files in <paramref name="directory"/> (write and search permission).</summary>
    public static bool CanWriteIn(string directory) => access(directory, W_OK | X_OK) == 0;

    /// <summary>The kernel clock's state (0 = synchronised … 5 = unsynchronised); null when it cannot be read.</summary>
    public static int? ClockState()
    {
        // struct timex is 208 bytes on 64-bit Linux; modes (the first int) = 0 only reads. A larger zeroed buffer is harmless.
        var buffer = stackalloc byte[512];
        new Span<byte>(buffer, 512).Clear();
        var state = adjtimex(buffer);
        return state < 0 ? null : state;
    }

    [LibraryImport("libc")]
    private static partial uint getuid();

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int access(string path, int mode);

    [LibraryImport("libc")]
    private static partial int adjtimex(byte* timex);
}
