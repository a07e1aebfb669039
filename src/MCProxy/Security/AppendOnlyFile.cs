using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MCProxy.Security;

/// <summary>
/// A file opened with <c>O_APPEND</c>, so every write lands at the end even when several processes write the same
/// file (replicas sharing one config, hence one audit path): .NET's <c>FileMode.Append</c> only seeks to the end once,
/// and two writers then overwrite each other's lines. On Linux a positioned write to an O_APPEND file still appends.
/// </summary>
internal static partial class AppendOnlyFile
{
    private const int WriteOnly = 0x1, Create = 0x40, Append = 0x400, CloseOnExec = 0x80000;
    private const int Mode0640 = 0x1A0;

    public static FileStream Open(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var fd = open(path, WriteOnly | Create | Append | CloseOnExec, Mode0640);
        if (fd < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            var message = Marshal.GetPInvokeErrorMessage(error);
            throw error == 13 ? new UnauthorizedAccessException($"{path}: {message}") : new IOException($"{path}: {message}");
        }
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags, int mode);
}
