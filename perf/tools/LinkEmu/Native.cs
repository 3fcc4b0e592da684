using System.Runtime.InteropServices;
using MptFast.Engine.Interop;

namespace MptFast.Perf.LinkEmu;

/// <summary>
/// The libc calls of the emulator: AF_PACKET sockets and their RX ring (packet(7)), the batch calls, ppoll with a
/// nanosecond timeout, the per-thread timer slack and the monotonic clock. Errors come back as errno through
/// <see cref="Marshal.GetLastPInvokeError"/>. Struct offsets are the LP64 Linux ABI.
/// </summary>
internal static unsafe partial class Native
{
    internal const int AF_PACKET = 17;
    internal const int SOCK_RAW = 3;
    internal const int SOCK_CLOEXEC = 0x80000;
    internal const ushort ETH_P_ALL = 0x0003;
    internal const int SOL_SOCKET = 1;
    internal const int SO_RCVBUFFORCE = 33;
    internal const int SOL_PACKET = 263;
    internal const int PACKET_RX_RING = 5;
    internal const int PACKET_STATISTICS = 6;
    internal const int PACKET_VERSION = 10;
    internal const int PACKET_QDISC_BYPASS = 20;
    internal const int PACKET_IGNORE_OUTGOING = 23;
    internal const int TPACKET_V2 = 1;
    internal const int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;
    internal const int MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20;
    internal const short POLLIN = 1;
    internal const int PR_SET_TIMERSLACK = 29;
    internal const int CLOCK_REALTIME = 0;
    internal const int CLOCK_MONOTONIC = 1;
    internal const int EINTR = 4, EAGAIN = 11, ENOBUFS = 105;

    [LibraryImport(Libc.Name, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Libc.Name, EntryPoint = "bind", SetLastError = true)]
    internal static partial int Bind(int fd, void* address, uint length);

    [LibraryImport(Libc.Name, EntryPoint = "setsockopt", SetLastError = true)]
    internal static partial int SetSockOpt(int fd, int level, int option, void* value, uint length);

    [LibraryImport(Libc.Name, EntryPoint = "getsockopt", SetLastError = true)]
    internal static partial int GetSockOpt(int fd, int level, int option, void* value, uint* length);

    [LibraryImport(Libc.Name, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Libc.Name, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(Libc.Name, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(Libc.Name, EntryPoint = "mmap", SetLastError = true)]
    internal static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport(Libc.Name, EntryPoint = "munmap", SetLastError = true)]
    internal static partial int Munmap(void* address, nuint length);

    [LibraryImport(Libc.Name, EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial uint IfNameToIndex(string name);

    [LibraryImport(Libc.Name, EntryPoint = "recvmmsg", SetLastError = true)]
    internal static partial int RecvMmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport(Libc.Name, EntryPoint = "sendmmsg", SetLastError = true)]
    internal static partial int SendMmsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport(Libc.Name, EntryPoint = "ppoll", SetLastError = true)]
    internal static partial int PPoll(PollFd* fds, nuint count, TimeSpec* timeout, void* signalMask);

    [LibraryImport(Libc.Name, EntryPoint = "prctl", SetLastError = true)]
    internal static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport(Libc.Name, EntryPoint = "clock_gettime")]
    internal static partial int ClockGetTime(int clock, TimeSpec* time);

    internal static int LastErrno => Marshal.GetLastPInvokeError();

    internal static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
}

/// <summary><c>struct timespec</c> (LP64).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TimeSpec
{
    public long Seconds;
    public long Nanoseconds;
}

/// <summary><c>struct sockaddr_ll</c> (20 bytes): family, protocol (network order), interface index, and fields unused on bind.</summary>
[StructLayout(LayoutKind.Explicit, Size = 20)]
internal struct SockAddrLl
{
    [FieldOffset(0)] public ushort Family;
    [FieldOffset(2)] public ushort Protocol;
    [FieldOffset(4)] public int IfIndex;
}

/// <summary><c>struct tpacket_req</c>: the RX ring's geometry.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TPacketReq
{
    public uint BlockSize;
    public uint BlockCount;
    public uint FrameSize;
    public uint FrameCount;
}

/// <summary>The start of <c>struct tpacket2_hdr</c>, the header of each RX ring slot (TPACKET_V2).</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal struct TPacket2Hdr
{
    public const uint StatusKernel = 0, StatusUser = 1, StatusCopy = 2, StatusLosing = 4, StatusChecksumNotReady = 8;

    [FieldOffset(0)] public uint Status;
    [FieldOffset(4)] public uint Length;
    [FieldOffset(8)] public uint SnapLength;
    [FieldOffset(12)] public ushort MacOffset;
    [FieldOffset(16)] public uint Seconds;       // when the kernel received the frame, CLOCK_REALTIME
    [FieldOffset(20)] public uint Nanoseconds;
}

/// <summary>A failed system call: what was attempted and the C library's text for errno.</summary>
internal sealed class NativeException(string operation, int errno) : Exception($"{operation}: {Native.Describe(errno)}");

/// <summary>CLOCK_MONOTONIC in nanoseconds: the one clock of the emulator, its schedule and its ready line (the same clock
/// in every network namespace, so a test can compare its own timestamps with the emulator's).</summary>
internal static unsafe class MonotonicClock
{
    public static long NowNs
    {
        get
        {
            TimeSpec t;
            _ = Native.ClockGetTime(Native.CLOCK_MONOTONIC, &t);
            return (t.Seconds * 1_000_000_000) + t.Nanoseconds;
        }
    }

    /// <summary>CLOCK_REALTIME − CLOCK_MONOTONIC now, in nanoseconds: turns the RX ring's (realtime) receive stamps into
    /// this clock. Read per batch, so a clock step moves at most one batch's stamps.</summary>
    public static long RealtimeOffsetNs
    {
        get
        {
            TimeSpec real;
            _ = Native.ClockGetTime(Native.CLOCK_REALTIME, &real);
            return (real.Seconds * 1_000_000_000) + real.Nanoseconds - NowNs;
        }
    }
}
