using System.Runtime.InteropServices;
using MptFast.Engine.Interop;

namespace MptFast.Perf.UdpLoad;

/// <summary>
/// The few libc calls the load needs: socket setup and the batch calls sendmmsg/recvmmsg (the LP64 message
/// structs are the engine's, src/Engine/Interop/MessageHeaders.cs, compiled in). Errors come back as errno through <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static unsafe partial class Native
{
    private const string Libc = "libc";

    internal const int AF_INET = 2;
    internal const int AF_INET6 = 10;
    internal const int SOCK_DGRAM = 2;
    internal const int SOCK_CLOEXEC = 0x80000;
    internal const int IPPROTO_UDP = 17;
    internal const int SOL_SOCKET = 1;
    internal const int SO_SNDBUF = 7;
    internal const int SO_RCVBUF = 8;
    internal const int SO_RCVTIMEO = 20;
    internal const int SO_SNDTIMEO = 21;
    internal const int SO_SNDBUFFORCE = 32;
    internal const int SO_RCVBUFFORCE = 33;

    /// <summary>recvmmsg: report the datagram's real length even when it exceeded the buffer.</summary>
    internal const int MSG_TRUNC = 0x20;

    /// <summary>recvmmsg: do not block.</summary>
    internal const int MSG_DONTWAIT = 0x40;

    /// <summary>recvmmsg: block for the first datagram only, then take what is queued.</summary>
    internal const int MSG_WAITFORONE = 0x10000;

    internal const int EINTR = 4;
    internal const int EAGAIN = 11;
    internal const int ENOBUFS = 105;
    internal const int ECONNREFUSED = 111;

    [LibraryImport(Libc, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Libc, EntryPoint = "bind", SetLastError = true)]
    internal static partial int Bind(int fd, byte* address, uint addressLength);

    [LibraryImport(Libc, EntryPoint = "connect", SetLastError = true)]
    internal static partial int Connect(int fd, byte* address, uint addressLength);

    [LibraryImport(Libc, EntryPoint = "setsockopt", SetLastError = true)]
    internal static partial int SetSockOpt(int fd, int level, int option, void* value, uint valueLength);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Libc, EntryPoint = "sendmmsg", SetLastError = true)]
    internal static partial int SendMmsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport(Libc, EntryPoint = "recvmmsg", SetLastError = true)]
    internal static partial int RecvMmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    internal static int LastErrno => Marshal.GetLastPInvokeError();

    internal static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}

/// <summary><c>struct timeval</c> (LP64) for SO_RCVTIMEO/SO_SNDTIMEO.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TimeVal
{
    public long Seconds;
    public long Microseconds;
}
