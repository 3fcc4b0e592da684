using System.Runtime.InteropServices;

namespace MptFast.Engine.Interop;

/// <summary>Scatter/gather datagram calls: recvmmsg, sendmmsg, recvmsg, sendmsg.</summary>
internal static unsafe partial class Libc
{
    internal const int MSG_CTRUNC = 0x08;
    /// <summary>Set in <see cref="MsgHdr.Flags"/> when the datagram was longer than the buffers (MPT-SPEC B04).</summary>
    internal const int MSG_TRUNC = 0x20;
    internal const int MSG_DONTWAIT = 0x40;

    [LibraryImport(Name, EntryPoint = "recvmmsg", SetLastError = true)]
    internal static partial int RecvMmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport(Name, EntryPoint = "sendmmsg", SetLastError = true)]
    internal static partial int SendMmsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport(Name, EntryPoint = "recvmsg", SetLastError = true)]
    internal static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Name, EntryPoint = "sendmsg", SetLastError = true)]
    internal static partial nint SendMsg(int fd, MsgHdr* message, int flags);
}
