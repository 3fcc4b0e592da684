using System.Runtime.InteropServices;

namespace MptFast.Engine.Interop;

/// <summary>rtnetlink (netlink(7), rtnetlink(7)): the link-event subscription of the link monitor and the route changes
/// of <c>Daemon.RouteNetlink</c>.</summary>
internal static unsafe partial class Libc
{
    internal const int AF_NETLINK = 16;
    internal const int SOCK_RAW = 3;
    internal const int NETLINK_ROUTE = 0;

    /// <summary>Multicast group of link changes (RTM_NEWLINK / RTM_DELLINK).</summary>
    internal const uint RTMGRP_LINK = 1;

    [LibraryImport(Name, EntryPoint = "recv", SetLastError = true)]
    internal static partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    /// <summary>if_nametoindex(3): the interface's index in the caller's network namespace, 0 when there is none.</summary>
    [LibraryImport(Name, EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial uint IfNameToIndex(string name);

    /// <summary>struct sockaddr_nl.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockAddrNetlink
    {
        public ushort Family;
        public ushort Pad;
        public uint PortId;
        public uint Groups;
    }
}
