using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MptFast.Engine.Config;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Interop;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Daemon;

/// <summary>
/// Route changes over rtnetlink (rtnetlink(7): RTM_NEWROUTE / RTM_DELROUTE in the main table), what
/// <c>ip route add|replace|del DEST [via GW] [dev NAME]</c> sends, without starting <c>ip</c>. Issue 15: a server
/// installs a connection's routes at every remote create (two host routes, the tunnel route, the temporary route to the
/// requester and its removal) and at every NAT move; as <c>ip</c> processes that was five fork/execs per create on the
/// control thread, about half of each create's time with a hundred clients. Same semantics as iproute2: protocol
/// <c>boot</c>, scope <c>link</c> without a gateway, and failures reported with ip's words ("RTNETLINK answers: File
/// exists", "Cannot find device") so callers and operators read the same. One socket per change, opened on the calling
/// thread, so the change lands in that thread's network namespace. Setup path: allocates.
/// </summary>
internal static class RouteNetlink
{
    internal const ushort NewRoute = 24;
    internal const ushort DeleteRoute = 25;
    internal const ushort MessageError = 2;

    internal const ushort FlagRequest = 0x1;
    internal const ushort FlagAck = 0x4;
    internal const ushort FlagReplace = 0x100;
    internal const ushort FlagExclusive = 0x200;
    internal const ushort FlagCreate = 0x400;

    internal const byte TableMain = 254;
    internal const byte ProtocolBoot = 3;
    internal const byte ScopeUniverse = 0;
    internal const byte ScopeLink = 253;
    internal const byte ScopeNowhere = 255;
    internal const byte TypeUnicast = 1;

    internal const ushort AttributeDestination = 1;
    internal const ushort AttributeOutputInterface = 4;
    internal const ushort AttributeGateway = 5;

    /// <summary>sizeof(struct nlmsghdr) and sizeof(struct rtmsg).</summary>
    internal const int HeaderLength = NetlinkMessages.HeaderLength, RouteMessageLength = 12;

    /// <summary>The largest request: headers, two 16-byte addresses and an interface index, each attribute aligned.</summary>
    internal const int MaxRequestLength = HeaderLength + RouteMessageLength + (2 * (4 + 16)) + (4 + 4);

    private const int ReplyTimeoutMs = 5000;
    private static int s_sequence;

    /// <summary>What the change does.</summary>
    public enum Verb
    {
        /// <summary><c>ip route add</c>: fails with EEXIST when the route is there.</summary>
        Add,

        /// <summary><c>ip route replace</c>: adds or overwrites.</summary>
        Replace,

        /// <summary><c>ip route del</c>.</summary>
        Delete,
    }

    /// <summary>
    /// Writes the request into <paramref name="buffer"/> (at least <see cref="MaxRequestLength"/> bytes) and returns its
    /// length, or −1 when rtnetlink's plain form cannot say it: a gateway of the other family (iproute2's RTA_VIA), or
    /// an address that is neither IPv4 nor IPv6. <paramref name="interfaceIndex"/> 0: no output interface.
    /// </summary>
    public static int Encode(Span<byte> buffer, Verb verb, IpPrefix destination, IPAddress? via, uint interfaceIndex, uint sequence)
    {
        ArgumentNullException.ThrowIfNull(destination);
        (IPAddress address, int length) = Plain(destination.Address, destination.Length);
        IPAddress? gateway = via is null ? null : Plain(via, 0).Address;
        if ((address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            || (gateway is not null && gateway.AddressFamily != address.AddressFamily))
        {
            return -1;
        }

        buffer[..MaxRequestLength].Clear();
        bool delete = verb == Verb.Delete;
        ushort flags = (ushort)(FlagRequest | FlagAck | verb switch
        {
            Verb.Add => FlagCreate | FlagExclusive,
            Verb.Replace => FlagCreate | FlagReplace,
            _ => 0,
        });
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[4..], delete ? DeleteRoute : NewRoute);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[6..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[8..], sequence);

        Span<byte> route = buffer[HeaderLength..];
        route[0] = (byte)(address.AddressFamily == AddressFamily.InterNetwork ? Libc.AF_INET : Libc.AF_INET6);
        route[1] = (byte)length;
        route[4] = TableMain;
        route[5] = delete ? (byte)0 : ProtocolBoot; // a delete matches any protocol, scope and type (as ip sends it)
        route[6] = delete ? ScopeNowhere : gateway is null ? ScopeLink : ScopeUniverse;
        route[7] = delete ? (byte)0 : TypeUnicast;

        int at = HeaderLength + RouteMessageLength;
        at = Attribute(buffer, at, AttributeDestination, address);
        if (gateway is not null)
        {
            at = Attribute(buffer, at, AttributeGateway, gateway);
        }

        if (interfaceIndex != 0)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(buffer[at..], 8);
            BinaryPrimitives.WriteUInt16LittleEndian(buffer[(at + 2)..], AttributeOutputInterface);
            BinaryPrimitives.WriteUInt32LittleEndian(buffer[(at + 4)..], interfaceIndex);
            at += 8;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)at);
        return at;
    }

    /// <summary>
    /// The errno of the kernel's acknowledgement of request <paramref name="sequence"/> among the messages of
    /// <paramref name="reply"/> (0: done), or null when the datagram holds none (or a malformed one).
    /// </summary>
    public static int? ReadAcknowledgement(ReadOnlySpan<byte> reply, uint sequence)
    {
        var messages = new NetlinkMessages(reply);
        while (messages.MoveNext())
        {
            if (messages.Type == MessageError && messages.Sequence == sequence && messages.Payload.Length >= 4)
            {
                return -BinaryPrimitives.ReadInt32LittleEndian(messages.Payload);
            }
        }

        return null;
    }

    /// <summary>
    /// Makes the change in the calling thread's network namespace. Null when rtnetlink cannot be used here (no netlink
    /// socket, or a route it cannot express): the caller runs <c>ip</c> instead. <paramref name="commandLine"/> names the
    /// change in the result.
    /// </summary>
    public static unsafe LinkCommandResult? Change(Verb verb, IpPrefix destination, IPAddress? via, string? device, string commandLine)
    {
        uint index = 0;
        if (device is not null)
        {
            index = Libc.IfNameToIndex(device);
            if (index == 0)
            {
                return new LinkCommandResult(1, $"Cannot find device \"{device}\"", commandLine);
            }
        }

        uint sequence = (uint)Interlocked.Increment(ref s_sequence);
        Span<byte> request = stackalloc byte[MaxRequestLength];
        int length = Encode(request, verb, destination, via, index, sequence);
        if (length < 0)
        {
            return null;
        }

        int fd = Libc.Socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
        if (fd < 0)
        {
            return null;
        }

        try
        {
            var kernel = new Libc.SockAddrNetlink { Family = Libc.AF_NETLINK };
            fixed (byte* p = request)
            {
                if (Libc.SendTo(fd, p, (nuint)length, 0, &kernel, (uint)sizeof(Libc.SockAddrNetlink)) != length)
                {
                    return Failed(LinuxError.Last, commandLine);
                }
            }

            // The acknowledgement carries the request back (or, with extended acks, more): room for both.
            Span<byte> reply = stackalloc byte[4096];
            var poll = new PollSet(1);
            poll.Add(fd);
            long deadline = Environment.TickCount64 + ReplyTimeoutMs;
            for (long left = ReplyTimeoutMs; left > 0; left = deadline - Environment.TickCount64)
            {
                if (poll.Wait((int)left) == 0)
                {
                    continue; // a timeout or a signal: the deadline decides
                }

                nint n;
                fixed (byte* p = reply)
                {
                    n = Libc.Recv(fd, p, (nuint)reply.Length, 0);
                }

                if (n < 0)
                {
                    Errno e = LinuxError.Last;
                    if (e == Errno.EINTR)
                    {
                        continue;
                    }

                    return Failed(e, commandLine);
                }

                if (ReadAcknowledgement(reply[..(int)n], sequence) is int errno)
                {
                    return errno == 0 ? new LinkCommandResult(0, "", commandLine) : Failed((Errno)errno, commandLine);
                }
            }

            return new LinkCommandResult(-1, "timed out", commandLine);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    // iproute2's words for a refused change, and its exit status (2).
    private static LinkCommandResult Failed(Errno errno, string commandLine) =>
        new(2, "RTNETLINK answers: " + LinuxError.Describe(errno), commandLine);

    private static (IPAddress Address, int Length) Plain(IPAddress address, int length) =>
        address.IsIPv4MappedToIPv6 ? (address.MapToIPv4(), Math.Max(0, length - 96)) : (address, length);

    private static int Attribute(Span<byte> buffer, int at, ushort type, IPAddress address)
    {
        int size = address.AddressFamily == AddressFamily.InterNetwork ? 4 : 16;
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[at..], (ushort)(4 + size));
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[(at + 2)..], type);
        if (!address.TryWriteBytes(buffer.Slice(at + 4, size), out _))
        {
            throw new InvalidOperationException("address did not fit its attribute");
        }

        return at + 4 + size;
    }
}
