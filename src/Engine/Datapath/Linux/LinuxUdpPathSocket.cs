using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using MptFast.Engine.Buffers;
using MptFast.Engine.Interop;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Datapath.Linux;

/// <summary>
/// A path's UDP socket on Linux: AF_INET6 dual-stack (IPV6_V6ONLY off, IPv4 as ::ffff:a.b.c.d), SO_REUSEADDR (on a configured port), bound to
/// (private address, local port) and sending every datagram to (remote address, remote port) — MPT-SPEC §2.1. Not
/// connected: the kernel must not filter by source port, the receive side checks only the source address (§2.6).
/// Batches move through recvmmsg/sendmmsg with the calling thread's prebuilt <see cref="MessageVector"/>.
/// Longer than 400 lines: open, receive, the three sends and <see cref="Retarget"/> share the one peer storage.
/// </summary>
/// <remarks>
/// MPT-SPEC B85: two paths bound to the same wildcard address and port (allowed by SO_REUSEADDR) split the incoming
/// datagrams between them arbitrarily; callers must give paths distinct private addresses, or share one socket and
/// dispatch by <see cref="PacketBatch.SourceAddress"/>. On a host without IPv6 an IPv4 path falls back to AF_INET and
/// sources are still reported in the mapped 16-byte form.
/// </remarks>
public sealed unsafe class LinuxUdpPathSocket : IPathSocket
{
    // Where sends go: one of PeerSlots sockaddr slots (one allocation at _peers), swapped whole by Retarget so a send
    // under way reads either the old or the new peer, never a torn mix; a slot is rewritten only PeerSlots - 1 moves
    // later (moves are rare: a NAT's new mapping), long after any send that read it.
    private const int PeerSlots = 4;
    private readonly SockAddrIn6* _peers;
    private readonly uint _peerLength;
    private readonly bool _ipv4Socket;
    private readonly Lock _retarget = new();
    private nint _peer; // the current slot
    private int _peerSlot;
    private IPEndPoint _remote;
    private int _fd;
    private bool _gro;

    private LinuxUdpPathSocket(int fd, SockAddrIn6* peers, uint peerLength, bool ipv4Socket, IPEndPoint local,
        IPEndPoint remote, UdpOffloadCapabilities capabilities)
    {
        _fd = fd;
        _peers = peers;
        _peer = (nint)peers;
        _peerLength = peerLength;
        _ipv4Socket = ipv4Socket;
        LocalEndPoint = local;
        _remote = remote;
        Capabilities = capabilities;
    }

    ~LinuxUdpPathSocket() => Release();

    /// <inheritdoc/>
    public int Fd => _fd;

    /// <summary>The bound address and port.</summary>
    public IPEndPoint LocalEndPoint { get; }

    private SockAddrIn6* Peer => (SockAddrIn6*)Volatile.Read(ref _peer);

    /// <summary>Where every datagram goes (moved by <see cref="Retarget"/>).</summary>
    public IPEndPoint RemoteEndPoint => Volatile.Read(ref _remote);

    /// <inheritdoc/>
    public void Retarget(IPAddress address, ushort port)
    {
        ArgumentNullException.ThrowIfNull(address);
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        if (_ipv4Socket && !v4)
        {
            return; // an AF_INET socket cannot reach an IPv6 peer; the move is refused, sends stay where they were
        }

        lock (_retarget)
        {
            _peerSlot = (_peerSlot + 1) % PeerSlots;
            SockAddrIn6* slot = _peers + _peerSlot;
            if (_ipv4Socket)
            {
                *(SockAddrIn*)slot = SockAddrIn6.FromIPv4(address, port);
            }
            else
            {
                *slot = SockAddrIn6.From(address, port);
            }

            Volatile.Write(ref _peer, (nint)slot);
            Volatile.Write(ref _remote, new IPEndPoint(address, port));
        }
    }

    /// <inheritdoc/>
    public ushort LocalPort => (ushort)LocalEndPoint.Port;

    /// <inheritdoc/>
    public UdpOffloadCapabilities Capabilities { get; }

    /// <inheritdoc/>
    public PathSocketCounters Counters { get; } = new();

    /// <summary>
    /// Opens, configures and binds a path socket. <paramref name="localPort"/> 0 binds an ephemeral port (see
    /// <see cref="LocalPort"/>). <paramref name="bindDevice"/> pins egress to an interface with SO_BINDTODEVICE
    /// (MPT-SPEC B86). <paramref name="bufferBytes"/> sizes both socket buffers (SO_*BUFFORCE as root, else SO_*BUF).
    /// </summary>
    /// <param name="gro">Ask for UDP GRO (setsockopt SOL_UDP UDP_GRO 1): receives may then glue several datagrams
    /// into one entry with <see cref="PacketBatch.SegmentSizeOf"/> set, so the batch's slots must hold 64 KiB. Where the
    /// kernel refuses, the socket runs without (<see cref="UdpOffloadCapabilities.GroSupported"/> false).</param>
    /// <exception cref="LinuxErrorException">socket, bind or SO_BINDTODEVICE failed (message names the address).</exception>
    public static LinuxUdpPathSocket Open(IPAddress local, ushort localPort, IPAddress remote, ushort remotePort,
        string? bindDevice = null, int bufferBytes = 4 << 20, bool gro = false)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(remote);
        Libc.EnsureSupported();
        bool localV4 = local.AddressFamily == AddressFamily.InterNetwork;
        if (localV4 && remote.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"path bound to IPv4 {local} cannot reach IPv6 {remote}", nameof(remote));
        }

        if (!localV4 && !local.Equals(IPAddress.IPv6Any) && remote.AddressFamily == AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"path bound to IPv6 {local} cannot reach IPv4 {remote}", nameof(remote));
        }

        const int type = Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC;
        bool ipv4Socket = false;
        int fd = Libc.Socket(Libc.AF_INET6, type, Libc.IPPROTO_UDP);
        if (fd < 0 && LinuxError.Last == Errno.EAFNOSUPPORT && localV4)
        {
            // Host without IPv6: a plain AF_INET socket; received sources are normalised to the mapped form.
            ipv4Socket = true;
            fd = Libc.Socket(Libc.AF_INET, type, Libc.IPPROTO_UDP);
        }

        if (fd < 0)
        {
            LinuxError.ThrowLast($"socket for path {local} -> {remote}");
        }

        SockAddrIn6* peer = null;
        try
        {
            if (!ipv4Socket)
            {
                UdpSocketSetup.Check(Libc.SetIntOption(fd, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, 0), "IPV6_V6ONLY off", local, localPort);
            }

            // SO_REUSEADDR as the original (§2.1) for a configured port, never for an ephemeral one: Linux then counts
            // other SO_REUSEADDR sockets' ports as free, so bind(0) could hand out a port another path holds on the
            // same address, and the two would split its datagrams (B85). A test that lost every datagram to a
            // concurrently running test's socket found it.
            if (localPort != 0)
            {
                UdpSocketSetup.Check(Libc.SetIntOption(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1), "SO_REUSEADDR", local, localPort);
            }

            if (!string.IsNullOrEmpty(bindDevice))
            {
                UdpSocketSetup.BindToDevice(fd, bindDevice, local, localPort);
            }

            UdpSocketSetup.SetBuffer(fd, Libc.SO_RCVBUFFORCE, Libc.SO_RCVBUF, bufferBytes);
            UdpSocketSetup.SetBuffer(fd, Libc.SO_SNDBUFFORCE, Libc.SO_SNDBUF, bufferBytes);
            UdpSocketSetup.Bind(fd, ipv4Socket, local, localPort);
            ushort boundPort = UdpSocketSetup.QueryBoundPort(fd);

            peer = (SockAddrIn6*)NativeMemory.AllocZeroed((nuint)(PeerSlots * sizeof(SockAddrIn6)));
            uint peerLength;
            if (ipv4Socket)
            {
                *(SockAddrIn*)peer = SockAddrIn6.FromIPv4(remote, remotePort);
                peerLength = (uint)sizeof(SockAddrIn);
            }
            else
            {
                *peer = SockAddrIn6.From(remote, remotePort);
                peerLength = SockAddrIn6.Size;
            }

            // PERFORMANCE-NOTES lever 2 / STYLE.md "OS capabilities as state": GRO is on only where the kernel took it.
            UdpOffloadCapabilities probed = UdpSocketSetup.ProbeOffloads(fd);
            bool groOn = gro && probed.GroSupported && Libc.SetIntOption(fd, Libc.SOL_UDP, Libc.UDP_GRO, 1) == Errno.Success;
            var capabilities = new UdpOffloadCapabilities(probed.GsoSegments, groOn);
            return new LinuxUdpPathSocket(fd, peer, peerLength, ipv4Socket, new IPEndPoint(local, boundPort),
                new IPEndPoint(remote, remotePort), capabilities) { _gro = groOn };
        }
        catch
        {
            NativeMemory.Free(peer);
            _ = Libc.Close(fd);
            throw;
        }
    }

    /// <inheritdoc/>
    public int ReceiveBatch(PacketBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.Count = 0;
        int ready = batch.EnsureSlots(batch.Capacity);
        if (ready == 0)
        {
            Counters.Receive.PoolExhausted++;
            return 0;
        }

        int capacity = batch.Pool.PacketCapacity;
        bool gro = _gro;
        MessageVector vector = MessageVector.ForCurrentThread;
        for (int i = 0; i < ready; i++)
        {
            vector.PrepareReceive(batch, i, capacity, withControl: gro);
        }

        int n;
        do
        {
            n = Libc.RecvMmsg(_fd, vector.Messages, (uint)ready, Libc.MSG_DONTWAIT, null);
        }
        while (n < 0 && LinuxError.Last == Errno.EINTR);

        if (n <= 0)
        {
            if (n < 0)
            {
                Errno errno = LinuxError.Last;
                if (errno != Errno.EAGAIN)
                {
                    Counters.Receive.Errors++;
                    if (gro && errno is Errno.EINVAL or Errno.EIO)
                    {
                        DowngradeGro(errno);
                    }
                }
            }

            return 0;
        }

        long datagrams = 0;
        for (int i = 0; i < n; i++)
        {
            // i < n ≤ ready: the messages the kernel just filled. A truncated one is flagged, the pump drops it (B04).
            PacketFlags flags = vector.CompleteReceive(batch, i, withControl: gro);
            if ((flags & PacketFlags.Truncated) != 0)
            {
                Counters.Receive.Truncated++;
            }

            // A GRO message carries length / segment datagrams (the last one shorter); the pump accounts for each of
            // them (data, keepalive or a drop reason), so the socket counts them too. A cut message is one drop.
            int length = batch.LengthOf(i), segment = batch.SegmentSizeOf(i);
            datagrams += (flags & (PacketFlags.Truncated | PacketFlags.ControlTruncated)) == 0 && segment > 0 && segment < length
                ? (length + segment - 1) / segment
                : 1;
            Counters.Receive.Bytes += length;
        }

        Counters.Receive.Datagrams += datagrams;
        batch.Count = n;
        return n;
    }

    /// <inheritdoc/>
    public int SendBatch(PacketBatch batch, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if ((uint)start > (uint)batch.Capacity || (uint)count > (uint)(batch.Capacity - start))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        int end = start + count;
        MessageVector vector = MessageVector.ForCurrentThread;
        for (int i = start; i < end; i++)
        {
            vector.PrepareSend(batch, i, Peer, _peerLength);
        }

        int done = start;
        while (done < end)
        {
            int n = Libc.SendMmsg(_fd, vector.Messages + done, (uint)(end - done), Libc.MSG_DONTWAIT);
            if (n > 0)
            {
                for (int i = done; i < done + n; i++)
                {
                    Counters.Send.Bytes += batch.LengthOf(i);
                }

                Counters.Send.Datagrams += n;
                done += n;
                continue;
            }

            Errno errno = n == 0 ? Errno.EAGAIN : LinuxError.Last;
            if (errno == Errno.EINTR)
            {
                continue;
            }

            if (errno == Errno.EAGAIN)
            {
                Counters.Send.WouldBlock++;
                break;
            }

            // The first remaining datagram failed: count it as dropped and go on with the rest.
            CountSendError(errno);
            done++;
        }

        return done - start;
    }

    /// <inheritdoc/>
    public int SendGso(PacketBatch batch, int start, int count, int segmentSize)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if ((uint)start > (uint)batch.Capacity || (uint)count > (uint)(batch.Capacity - start))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        if (count <= 1 || count > Capabilities.GsoSegments || (uint)segmentSize - 1 >= ushort.MaxValue)
        {
            return SendBatch(batch, start, count);
        }

        MessageVector vector = MessageVector.ForCurrentThread;
        vector.PrepareGso(batch, start, start, count, (ushort)segmentSize, Peer, _peerLength);
        nint n;
        do
        {
            // Sound: PrepareGso pointed the message at rented slots, the peer storage and the vector's control area.
            n = Libc.SendMsg(_fd, &vector.Messages[start].Header, Libc.MSG_DONTWAIT);
        }
        while (n < 0 && LinuxError.Last == Errno.EINTR);

        Errno errno = n < 0 ? LinuxError.Last : Errno.Success;
        vector.RestoreMessage(start);
        if (errno == Errno.Success)
        {
            Counters.Send.GsoSends++;
            Counters.Send.Datagrams += count;
            Counters.Send.Bytes += n;
            return count;
        }

        if (errno == Errno.EAGAIN)
        {
            Counters.Send.WouldBlock++;
            return 0;
        }

        if (errno is Errno.EIO or Errno.EINVAL)
        {
            // quinn-udp style: the kernel or the egress device cannot segment; stop asking, send these one by one.
            if (Capabilities.DisableGso())
            {
                Logging.Log.Downgrade($"path {LocalEndPoint} -> {RemoteEndPoint}: UDP GSO refused ({errno}), sending datagrams one by one");
            }

            return SendBatch(batch, start, count);
        }

        // ENOBUFS, EMSGSIZE…: the train is dropped as a whole.
        CountSendError(errno);
        return count;
    }

    /// <inheritdoc/>
    public PathSendResult Send(ReadOnlySpan<byte> datagram)
    {
        nint n;
        // Sound: the span is pinned for the call; the peer storage lives until Dispose.
        fixed (byte* p = datagram)
        {
            do
            {
                n = Libc.SendTo(_fd, p, (nuint)datagram.Length, Libc.MSG_DONTWAIT, Peer, _peerLength);
            }
            while (n < 0 && LinuxError.Last == Errno.EINTR);
        }

        return n >= 0 ? PathSendResult.Sent : LinuxError.Last switch
        {
            Errno.EAGAIN => PathSendResult.WouldBlock,
            Errno.ECONNREFUSED => PathSendResult.Refused,
            _ => PathSendResult.Failed,
        };
    }

    /// <summary>Closes the socket. Stop the threads using it first.</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    public override string ToString() => $"udp {LocalEndPoint} -> {RemoteEndPoint} ({Capabilities})";

    /// <summary>quinn-udp style: the kernel refused a GRO receive; turn GRO off on the socket, log once.</summary>
    private void DowngradeGro(Errno errno)
    {
        _gro = false;
        _ = Libc.SetIntOption(_fd, Libc.SOL_UDP, Libc.UDP_GRO, 0);
        if (Capabilities.DisableGro())
        {
            Logging.Log.Downgrade($"{this}: UDP GRO refused ({errno}), receiving without it");
        }
    }

    private void CountSendError(Errno errno)
    {
        switch (errno)
        {
            case Errno.ENOBUFS:
                Counters.Send.NoBuffers++;
                break;
            case Errno.ECONNREFUSED:
                Counters.Send.Refused++;
                break;
            default:
                Counters.Send.Errors++;
                break;
        }
    }

    private void Release()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = Libc.Close(fd);
            NativeMemory.Free(_peers);
        }
    }
}
