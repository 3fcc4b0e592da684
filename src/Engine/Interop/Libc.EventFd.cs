using System.Runtime.InteropServices;

namespace MptFast.Engine.Interop;

/// <summary>eventfd(2): a counter fd used to wake a thread blocked in poll.</summary>
internal static unsafe partial class Libc
{
    internal const int EFD_NONBLOCK = 0x800;
    internal const int EFD_CLOEXEC = 0x80000;

    [LibraryImport(Name, EntryPoint = "eventfd", SetLastError = true)]
    internal static partial int EventFd(uint initialValue, int flags);
}
