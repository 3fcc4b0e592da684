using System.Buffers.Binary;
using System.Runtime.InteropServices;
using MptFast.Engine.Interop;
using MptFast.Engine.Offload;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Datapath.Linux;

/// <summary>
/// <see cref="ISocketCongestion"/> over sock_diag(7): one exact-match request (<c>SOCK_DIAG_BY_FAMILY</c> without
/// NLM_F_DUMP, asking for <c>INET_DIAG_CONG</c>) per lookup. The kernel answers inside the send, so the answer is read
/// without waiting. Sees the sockets of the network namespace the lookup was opened in; no privilege needed.
/// </summary>
public sealed unsafe class LinuxSocketCongestion : ISocketCongestion, IDisposable
{
    private const int AnswerBytes = 4096;

    private readonly int _fd;
    private readonly byte* _answer;
    private uint _sequence;
    private bool _disposed;

    private LinuxSocketCongestion(int fd)
    {
        _fd = fd;
        _answer = (byte*)NativeMemory.Alloc(AnswerBytes);
    }

    /// <summary>A lookup in the caller's network namespace, or null where sock_diag is refused (a sandbox) — then no
    /// flow counts as delay-based.</summary>
    public static LinuxSocketCongestion? Open()
    {
        int fd = Libc.Socket(Libc.AF_NETLINK, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, Libc.NETLINK_SOCK_DIAG);
        return fd < 0 ? null : new LinuxSocketCongestion(fd);
    }

    /// <inheritdoc/>
    public SocketCongestion Lookup(in TcpSocketId socket)
    {
        Span<byte> name = stackalloc byte[16];
        int length = Name(socket, name);
        if (length < 0)
        {
            return SocketCongestion.Unknown;
        }

        return name[..length].StartsWith("bbr"u8) ? SocketCongestion.DelayBased : SocketCongestion.Other;
    }

    /// <summary>The congestion control's name of the socket (tests and diagnostics; allocates), or null.</summary>
    public string? NameOf(in TcpSocketId socket)
    {
        Span<byte> name = stackalloc byte[16];
        int length = Name(socket, name);
        return length < 0 ? null : System.Text.Encoding.ASCII.GetString(name[..length]);
    }

    /// <summary>Writes the name (at most <paramref name="name"/>'s length) and returns its length; -1 when there is no
    /// such socket or no answer.</summary>
    private int Name(in TcpSocketId socket, Span<byte> name)
    {
        uint sequence = ++_sequence;
        Span<byte> request = stackalloc byte[sizeof(Libc.NetlinkHeader) + sizeof(Libc.InetDiagRequest)];
        request.Clear();
        fixed (byte* r = request)
        {
            var header = (Libc.NetlinkHeader*)r;
            header->Length = (uint)request.Length;
            header->Type = Libc.SOCK_DIAG_BY_FAMILY;
            header->Flags = Libc.NLM_F_REQUEST;
            header->Sequence = sequence;
            var diag = (Libc.InetDiagRequest*)(r + sizeof(Libc.NetlinkHeader));
            diag->Family = (byte)(socket.IsIPv6 ? Libc.AF_INET6 : Libc.AF_INET);
            diag->Protocol = Libc.IPPROTO_TCP;
            diag->Extensions = 1 << (Libc.INET_DIAG_CONG - 1);
            diag->States = uint.MaxValue;
            diag->SourcePort = BinaryPrimitives.ReverseEndianness(socket.LocalPort);
            diag->DestinationPort = BinaryPrimitives.ReverseEndianness(socket.RemotePort);
            WriteAddress(socket.IsIPv6, socket.Local, new Span<byte>(diag->Source, 16));
            WriteAddress(socket.IsIPv6, socket.Remote, new Span<byte>(diag->Destination, 16));
            diag->Cookie[0] = Libc.INET_DIAG_NOCOOKIE;
            diag->Cookie[1] = Libc.INET_DIAG_NOCOOKIE;
            if (Libc.SendTo(_fd, r, (nuint)request.Length, 0, null, 0) != request.Length)
            {
                return -1;
            }
        }

        // The answer was queued before the send returned; anything older (an answer to a request whose read failed) is
        // skipped by its sequence number.
        while (true)
        {
            nint received = Libc.Recv(_fd, _answer, AnswerBytes, Libc.MSG_DONTWAIT);
            if (received <= 0)
            {
                return -1;
            }

            int answer = Answer(new ReadOnlySpan<byte>(_answer, (int)received), sequence, name);
            if (answer != int.MinValue)
            {
                return answer;
            }
        }
    }

    /// <summary>Reads one datagram of answers: the name's length for the one to <paramref name="sequence"/>, -1 for an
    /// error, no name or a malformed datagram, <see cref="int.MinValue"/> when it answers another request.</summary>
    internal static int Answer(ReadOnlySpan<byte> datagram, uint sequence, Span<byte> name)
    {
        var messages = new NetlinkMessages(datagram);
        while (messages.MoveNext())
        {
            if (messages.Sequence == sequence)
            {
                return messages.Type == Libc.SOCK_DIAG_BY_FAMILY ? CongestionName(messages.Payload, name) : -1;
            }
        }

        return messages.Malformed ? -1 : int.MinValue;
    }

    /// <summary>The INET_DIAG_CONG attribute after an inet_diag_msg, copied into <paramref name="name"/>.</summary>
    private static int CongestionName(ReadOnlySpan<byte> message, Span<byte> name)
    {
        if (message.Length < Libc.InetDiagMessageSize
            || !NetlinkMessages.TryFindString(message[Libc.InetDiagMessageSize..], Libc.INET_DIAG_CONG, out ReadOnlySpan<byte> value))
        {
            return -1;
        }

        int n = Math.Min(value.Length, name.Length);
        value[..n].CopyTo(name);
        return n;
    }

    private static void WriteAddress(bool v6, Address16 address, Span<byte> destination)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.WriteTo(bytes);
        if (v6)
        {
            bytes.CopyTo(destination);
        }
        else
        {
            bytes[12..].CopyTo(destination); // idiag_src[0]: the IPv4 address, the rest zero
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Libc.Close(_fd);
        NativeMemory.Free(_answer);
    }
}
