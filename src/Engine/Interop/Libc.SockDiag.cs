using System.Runtime.InteropServices;

namespace MptFast.Engine.Interop;

/// <summary>sock_diag(7): looking up one TCP socket of this network namespace and its congestion control
/// (<c>Datapath.Linux.LinuxSocketCongestion</c>).</summary>
internal static unsafe partial class Libc
{
    internal const int NETLINK_SOCK_DIAG = 4;
    internal const int IPPROTO_TCP = 6;

    /// <summary>nlmsg_type of a sock_diag request and its answers.</summary>
    internal const ushort SOCK_DIAG_BY_FAMILY = 20;

    /// <summary>nlmsg_type of an error (or acknowledgement) answer: an int, the negative errno.</summary>
    internal const ushort NLMSG_ERROR = 2;

    internal const ushort NLM_F_REQUEST = 1;

    /// <summary>The answer's attribute holding the congestion control's name (a NUL-terminated string).</summary>
    internal const ushort INET_DIAG_CONG = 4;

    /// <summary>idiag_cookie words that match any socket.</summary>
    internal const uint INET_DIAG_NOCOOKIE = 0xFFFF_FFFF;

    /// <summary>struct nlmsghdr.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NetlinkHeader
    {
        public uint Length;
        public ushort Type;
        public ushort Flags;
        public uint Sequence;
        public uint PortId;
    }

    /// <summary>struct inet_diag_req_v2 (its inet_diag_sockid inline): 56 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct InetDiagRequest
    {
        public byte Family;
        public byte Protocol;
        public byte Extensions;
        public byte Pad;
        public uint States;
        public ushort SourcePort;       // big-endian
        public ushort DestinationPort;  // big-endian
        public fixed byte Source[16];
        public fixed byte Destination[16];
        public uint Interface;
        public fixed uint Cookie[2];
    }

    /// <summary>sizeof(struct inet_diag_msg): what precedes an answer's attributes.</summary>
    internal const int InetDiagMessageSize = 72;
}
