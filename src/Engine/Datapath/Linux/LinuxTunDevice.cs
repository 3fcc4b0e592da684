using System.Runtime.InteropServices;
using MptFast.Engine.Buffers;
using MptFast.Engine.Interop;

namespace MptFast.Engine.Datapath.Linux;

/// <summary>
/// The TUN device on Linux (MPT-SPEC §9.1): /dev/net/tun, TUNSETIFF with IFF_TUN | IFF_NO_PI (layer-3 packets, no
/// packet-info prefix), non-blocking, txqueuelen 1500. Not persistent: it disappears when closed. Addresses, MTU and
/// routes belong to <see cref="LinkConfigurator"/>.
/// </summary>
/// <remarks>
/// With <c>vnetHeader</c> every packet has a virtio_net_hdr in front; reads put it in the headroom just before
/// <see cref="PacketPool.Headroom"/>, so the packet itself still starts at the headroom, and writes prepend a
/// zeroed header (no offload requested) unless the entry says one is filled (<see cref="PacketFlags.VirtioHeader"/>).
/// </remarks>
public sealed unsafe class LinuxTunDevice : ITunDevice
{
    private const int TxQueueLength = 1500;

    /// <summary>The offloads the transmit pump can take apart (TcpSegmenter): CSUM | TSO4 | TSO6.</summary>
    private const uint TcpOffloads = Libc.TUN_F_CSUM | Libc.TUN_F_TSO4 | Libc.TUN_F_TSO6;

    private int _fd;

    // The virtio_net_hdr of a packet written without offload (flags 0, gso_type NONE), in native memory so gather
    // writes can point an iovec at it (an instance field: a static one would run a class constructor, which allocates,
    // on the receive thread).
    private byte* _zeroVnetHeader = (byte*)NativeMemory.AllocZeroed(16);
    private volatile uint _enabledOffloads;

    private LinuxTunDevice(int fd, string name, TunCapabilities capabilities, uint enabledOffloads)
    {
        _fd = fd;
        Name = name;
        Capabilities = capabilities;
        _enabledOffloads = enabledOffloads;
    }

    ~LinuxTunDevice() => Release();

    /// <inheritdoc/>
    public int Fd => _fd;

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Features probed at open.</summary>
    public TunCapabilities Capabilities { get; }

    /// <summary>TUN_F_* offloads in force: TCP super-packets and partial checksums may be read (0 = plain packets).
    /// Cleared at run time when a read fails with EINVAL/EIO (<see cref="DisableOffloads"/>).</summary>
    public uint EnabledOffloads => _enabledOffloads;

    /// <inheritdoc/>
    public TunCounters Counters { get; } = new();

    /// <summary>Checks a Linux interface name: 1–15 printable ASCII characters, no '/', ':' or whitespace.</summary>
    public static bool IsValidInterfaceName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length >= IfReq.NameSize || name is "." or "..")
        {
            return false;
        }

        foreach (char c in name)
        {
            if (c <= ' ' || c >= 0x7F || c == '/' || c == ':')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Creates the TUN interface <paramref name="name"/> (a <c>%d</c> template is allowed) in the calling
    /// thread's network namespace. Needs CAP_NET_ADMIN. <paramref name="enableOffloads"/> (with
    /// <paramref name="vnetHeader"/>) leaves TUN_F_CSUM | TSO4 | TSO6 on when the kernel accepts them, so reads may
    /// return TCP super-packets of up to 64 KiB (PERFORMANCE-NOTES lever 3); read buffers must then hold 64 KiB.</summary>
    /// <exception cref="LinuxErrorException">open or TUNSETIFF failed (EPERM without privileges, EBUSY if taken).</exception>
    public static LinuxTunDevice Open(string name, bool vnetHeader = false, bool enableOffloads = false)
    {
        if (!IsValidInterfaceName(name))
        {
            throw new ArgumentException($"invalid interface name '{name}' (1-15 characters, no '/', ':' or spaces)", nameof(name));
        }

        Libc.EnsureSupported();
        int fd = Libc.Open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            LinuxError.ThrowLast("open /dev/net/tun");
        }

        try
        {
            IfReq request = IfReq.ForName(name);
            request.Flags = (short)(Libc.IFF_TUN | Libc.IFF_NO_PI | (vnetHeader ? Libc.IFF_VNET_HDR : 0));
            if (Libc.Ioctl(fd, Libc.TUNSETIFF, &request) != 0)
            {
                LinuxError.ThrowLast($"TUNSETIFF {name}");
            }

            string actualName = request.GetName();
            uint offloads = 0;
            uint enabled = 0;
            if (vnetHeader)
            {
                int size = TunCapabilities.VnetHeaderSize;
                if (Libc.Ioctl(fd, Libc.TUNSETVNETHDRSZ, &size) != 0)
                {
                    LinuxError.ThrowLast($"TUNSETVNETHDRSZ {actualName}");
                }

                offloads = ProbeOffloads(fd);
                if (enableOffloads && (offloads & TcpOffloads) == TcpOffloads
                    && Libc.Ioctl(fd, Libc.TUNSETOFFLOAD, (nuint)TcpOffloads) == 0)
                {
                    enabled = TcpOffloads;
                }

                if (enableOffloads)
                {
                    Logging.Log.Info(enabled != 0
                        ? $"tunnel {actualName}: TUN offloads csum+tso4+tso6 on (TCP super-packets segmented in userspace)"
                        : $"tunnel {actualName}: TUN offloads refused by the kernel (accepted 0x{offloads:x2}); plain packets");
                }
            }

            SetTxQueueLength(actualName);
            return new LinuxTunDevice(fd, actualName, new TunCapabilities(vnetHeader, offloads), enabled);
        }
        catch
        {
            _ = Libc.Close(fd);
            throw;
        }
    }

    /// <inheritdoc/>
    public int ReadBatch(PacketBatch batch, int limit = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int vnet = Capabilities.VnetHeader ? TunCapabilities.VnetHeaderSize : 0;
        int capacity = batch.Pool.PacketCapacity + vnet;
        int count = 0;
        int most = Math.Min(batch.Capacity, limit);
        while (count < most)
        {
            if (batch.EnsureSlots(count + 1) <= count)
            {
                Counters.Read.PoolExhausted++;
                break;
            }

            // Sound: the slot holds SlotSize bytes and Headroom − vnet ≥ 0, so [start, start + capacity) is inside it.
            byte* start = batch.Pool.Pointer(batch.SlotOf(count)) + PacketPool.Headroom - vnet;
            nint n = Libc.Read(_fd, start, (nuint)capacity);
            if (n < 0)
            {
                Errno errno = LinuxError.Last;
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                if (errno != Errno.EAGAIN)
                {
                    Counters.Read.Errors++;
                    Counters.Read.LastError = errno;
                    if (errno is Errno.EINVAL or Errno.EIO)
                    {
                        DisableOffloads(errno);
                    }
                }

                break;
            }

            if (n <= vnet)
            {
                break; // 0: device gone; a bare header carries no packet
            }

            int length = (int)n - vnet;
            batch.SetPacket(count, PacketPool.Headroom, length, vnet != 0 ? PacketFlags.VirtioHeader : PacketFlags.None);
            Counters.Read.Bytes += length;
            count++;
        }

        Counters.Read.Packets += count;
        batch.Count = count;
        return count;
    }

    /// <inheritdoc/>
    public int WriteBatch(PacketBatch batch, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if ((uint)start > (uint)batch.Capacity || (uint)count > (uint)(batch.Capacity - start))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        int vnet = Capabilities.VnetHeader ? TunCapabilities.VnetHeaderSize : 0;
        int end = start + count;
        int i = start;
        while (i < end)
        {
            int offset = batch.OffsetOf(i);
            int length = batch.LengthOf(i);
            if (offset < vnet)
            {
                DropWrite(Errno.EINVAL); // no room for the virtio header in front
                i++;
                continue;
            }

            // Sound: SetPacket/Attach validated [offset, offset + length) inside the slot, and offset ≥ vnet.
            byte* p = batch.Pool.Pointer(batch.SlotOf(i)) + offset - vnet;
            if (vnet != 0 && (batch.FlagsOf(i) & PacketFlags.VirtioHeader) == 0)
            {
                new Span<byte>(p, vnet).Clear(); // no offload: flags 0, gso_type NONE
            }

            nint n = Libc.Write(_fd, p, (nuint)(length + vnet));
            if (n < 0)
            {
                Errno errno = LinuxError.Last;
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                if (errno == Errno.EAGAIN)
                {
                    Counters.Write.WouldBlock++;
                    break;
                }

                DropWrite(errno);
            }
            else
            {
                Counters.Write.Packets++;
                Counters.Write.Bytes += length;
            }

            i++;
        }

        return i - start;
    }

    /// <inheritdoc/>
    public bool WriteGather(PacketGather packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        int vnet = Capabilities.VnetHeader ? TunCapabilities.VnetHeaderSize : 0;
        // Sound: ByteRange has struct iovec's layout (InteropLayoutTests), and the list outlives the call.
        IoVec* iov = (IoVec*)packet.Ranges;
        if (packet.HasVirtioHeader)
        {
            if (vnet == 0 || packet.Header.Length != vnet)
            {
                DropWrite(Errno.EINVAL); // a super-packet needs the vnet header the device was opened with
                return true;
            }
        }
        else if (vnet != 0)
        {
            // Sound: iovec 0 is the gather list's header slot; the zero header lives until the device is released.
            iov->Base = _zeroVnetHeader;
            iov->Length = (nuint)vnet;
        }

        IoVec* first = vnet != 0 ? iov : iov + 1;
        int count = packet.Count + (vnet != 0 ? 1 : 0);
        while (true)
        {
            // Sound: the gather list's iovecs [first, first + count) describe native ranges that outlive the call.
            nint n = Libc.WriteV(_fd, first, count);
            if (n >= 0)
            {
                Counters.Write.Packets++;
                Counters.Write.Bytes += packet.Length;
                return true;
            }

            Errno errno = LinuxError.Last;
            if (errno == Errno.EINTR)
            {
                continue;
            }

            if (errno == Errno.EAGAIN)
            {
                Counters.Write.WouldBlock++;
                return false;
            }

            DropWrite(errno);
            return true;
        }
    }

    /// <summary>Turns the TUN offloads off after the kernel refused a read (quinn-udp style run-time downgrade, one log
    /// line); true if they were on.</summary>
    public bool DisableOffloads(Errno reason)
    {
        if (_enabledOffloads == 0)
        {
            return false;
        }

        _enabledOffloads = 0;
        _ = Libc.Ioctl(_fd, Libc.TUNSETOFFLOAD, 0);
        Logging.Log.Downgrade($"tunnel {Name}: TUN read failed ({reason}); offloads turned off, plain packets from now on");
        return true;
    }

    /// <summary>Closes the device (the interface disappears). Stop the threads using it first.</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    public override string ToString() => $"tun {Name} ({Capabilities})";

    private void DropWrite(Errno errno)
    {
        Counters.Write.Errors++;
        Counters.Write.LastError = errno;
    }

    private void Release()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = Libc.Close(fd);
        }

        if (_zeroVnetHeader != null)
        {
            NativeMemory.Free(_zeroVnetHeader);
            _zeroVnetHeader = null;
        }
    }

    /// <summary>Asks for every offload, records what the kernel accepts, then turns them off again (quinn-udp style
    /// probe); <see cref="Open"/> turns on what the pumps can handle.</summary>
    private static uint ProbeOffloads(int fd)
    {
        uint accepted = 0;
        const uint tcp = Libc.TUN_F_CSUM | Libc.TUN_F_TSO4 | Libc.TUN_F_TSO6;
        if (Libc.Ioctl(fd, Libc.TUNSETOFFLOAD, (nuint)tcp) == 0)
        {
            accepted = tcp;
            if (Libc.Ioctl(fd, Libc.TUNSETOFFLOAD, (nuint)(tcp | Libc.TUN_F_USO4 | Libc.TUN_F_USO6)) == 0)
            {
                accepted |= Libc.TUN_F_USO4 | Libc.TUN_F_USO6;
            }
        }

        _ = Libc.Ioctl(fd, Libc.TUNSETOFFLOAD, 0);
        return accepted;
    }

    /// <summary>MPT-SPEC §9.1: transmit queue length 1500; a failure is not fatal (the original only printed it).</summary>
    private static void SetTxQueueLength(string name)
    {
        int sock = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (sock < 0)
        {
            return;
        }

        IfReq request = IfReq.ForName(name);
        request.Value = TxQueueLength;
        _ = Libc.Ioctl(sock, Libc.SIOCSIFTXQLEN, &request);
        _ = Libc.Close(sock);
    }
}
