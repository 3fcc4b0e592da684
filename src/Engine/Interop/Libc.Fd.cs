using System.Runtime.InteropServices;

namespace MptFast.Engine.Interop;

/// <summary>File-descriptor calls: open, close, read, write, readv, writev, fcntl.</summary>
internal static unsafe partial class Libc
{
    internal const int O_RDONLY = 0x0;
    internal const int O_RDWR = 0x2;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_CLOEXEC = 0x80000;

    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;

    /// <summary>open(2); <paramref name="path"/> is a NUL-terminated byte string. The mode is passed explicitly
    /// because open is variadic (an unused int argument is harmless under the LP64 calling conventions).</summary>
    [LibraryImport(Name, EntryPoint = "open", SetLastError = true)]
    internal static partial int Open(byte* path, int flags, int mode);

    [LibraryImport(Name, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Name, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport(Name, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport(Name, EntryPoint = "readv", SetLastError = true)]
    internal static partial nint ReadV(int fd, IoVec* iov, int iovcnt);

    [LibraryImport(Name, EntryPoint = "writev", SetLastError = true)]
    internal static partial nint WriteV(int fd, IoVec* iov, int iovcnt);

    /// <summary>fcntl(2) with one int argument (F_GETFL/F_SETFL).</summary>
    [LibraryImport(Name, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int cmd, int arg);

    /// <summary>Opens <paramref name="path"/>; returns the fd or -1 (errno in <see cref="LinuxError.Last"/>).</summary>
    internal static int Open(string path, int flags)
    {
        int max = System.Text.Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        Span<byte> bytes = max <= 512 ? stackalloc byte[max] : new byte[max];
        int n = System.Text.Encoding.UTF8.GetBytes(path, bytes);
        bytes[n] = 0;
        // Sound: the span is pinned for the duration of the call and NUL-terminated above.
        fixed (byte* p = bytes)
        {
            return Open(p, flags, 0);
        }
    }

    /// <summary>Sets O_NONBLOCK on <paramref name="fd"/>; returns the errno (Success on success).</summary>
    internal static Errno SetNonBlocking(int fd)
    {
        int flags = Fcntl(fd, F_GETFL, 0);
        if (flags < 0 || Fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        {
            return LinuxError.Last;
        }

        return Errno.Success;
    }
}
