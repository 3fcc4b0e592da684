using System.Runtime.InteropServices;

namespace MptFast.Engine.Interop;

/// <summary>epoll(7): readiness of many descriptors at the cost of the ready ones.</summary>
internal static unsafe partial class Libc
{
    internal const int EPOLL_CLOEXEC = 0x80000;
    internal const int EPOLL_CTL_ADD = 1;
    internal const uint EPOLLIN = 0x001;
    internal const uint EPOLLERR = 0x008;
    internal const uint EPOLLHUP = 0x010;

    [LibraryImport(Name, EntryPoint = "epoll_create1", SetLastError = true)]
    internal static partial int EpollCreate1(int flags);

    /// <summary><paramref name="ev"/> points at a <c>struct epoll_event</c> in the layout of <see cref="EpollEventLayout"/>.</summary>
    [LibraryImport(Name, EntryPoint = "epoll_ctl", SetLastError = true)]
    internal static partial int EpollCtl(int epfd, int op, int fd, void* ev);

    [LibraryImport(Name, EntryPoint = "epoll_wait", SetLastError = true)]
    internal static partial int EpollWait(int epfd, void* events, int maxEvents, int timeoutMilliseconds);
}

/// <summary>
/// <c>struct epoll_event</c> { uint32 events; uint64 data; }: packed (12 bytes, data at 4) on x86-64, where the kernel
/// declares it <c>__attribute__((packed))</c>; naturally aligned (16 bytes, data at 8) elsewhere.
/// </summary>
internal static class EpollEventLayout
{
    public static readonly bool Packed = RuntimeInformation.ProcessArchitecture == Architecture.X64;

    public static int Size => Packed ? 12 : 16;

    public static int DataOffset => Packed ? 4 : 8;
}
