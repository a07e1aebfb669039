using System.IO.Pipes;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using static MCProxy.Supervision.NativeMethods;

namespace MCProxy.Tests.Infrastructure;

/// <summary>
/// A real kernel pipe (64 KiB on Linux) as two owned <see cref="SafeFileHandle"/>s, the shape
/// <see cref="MCProxy.Supervision.ChildProcess"/> hands out: the write end optionally non-blocking, like a child's stdin.
/// The pipe comes from <see cref="AnonymousPipeServerStream"/>; each end is dup'ed into a handle of its own, so disposing
/// a handle really closes that end (the peer sees EOF or EPIPE) and no unsafe code is needed here.
/// </summary>
internal sealed class TestPipe : IDisposable
{
    private const int F_DUPFD_CLOEXEC = 1030;

    private TestPipe(SafeFileHandle readEnd, SafeFileHandle writeEnd)
    {
        ReadEnd = readEnd;
        WriteEnd = writeEnd;
    }

    public SafeFileHandle ReadEnd { get; }

    public SafeFileHandle WriteEnd { get; }

    public static TestPipe Create(bool nonBlockingWrite)
    {
        using var server = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.None);
        var writeEnd = Dup(server.SafePipeHandle);
        var readEnd = Dup(server.ClientSafePipeHandle);
        server.DisposeLocalCopyOfClientHandle();
        if (nonBlockingWrite)
        {
            var fd = (int)writeEnd.DangerousGetHandle();
            if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK) != 0)
            {
                throw new IOException($"fcntl failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        return new TestPipe(readEnd, writeEnd);
    }

    /// <summary>A blocking stream over the read end (closing it closes the read end).</summary>
    public Stream OpenReader() => new FileStream(ReadEnd, FileAccess.Read, bufferSize: 0);

    /// <summary>A blocking stream over the write end (closing it closes the write end: the reader sees EOF).</summary>
    public Stream OpenWriter() => new FileStream(WriteEnd, FileAccess.Write, bufferSize: 0);

    public void Dispose()
    {
        ReadEnd.Dispose();
        WriteEnd.Dispose();
    }

    private static SafeFileHandle Dup(SafeHandle handle)
    {
        var fd = fcntl((int)handle.DangerousGetHandle(), F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new IOException($"dup failed: errno {Marshal.GetLastPInvokeError()}");
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }
}
