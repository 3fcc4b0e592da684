using System.Buffers.Binary;

namespace MptFast.Perf.LinkEmu;

/// <summary>
/// An AF_PACKET raw socket bound to one interface of the emulator's namespace (packet(7)). It is created with
/// protocol 0 — receiving nothing — and only bound to ETH_P_ALL on its own interface once set up, so it never sees a
/// frame of another interface. A receiving socket ignores outgoing frames (PACKET_IGNORE_OUTGOING, Linux 4.20), so
/// what the other direction sends on the same interface does not come back; a sending socket stays bound to
/// protocol 0 and receives nothing at all.
/// </summary>
internal sealed unsafe class PacketSocket : IDisposable
{
    private PacketSocket(int fd, string interfaceName, int ifIndex)
    {
        Fd = fd;
        InterfaceName = interfaceName;
        IfIndex = ifIndex;
    }

    public int Fd { get; private set; }

    public string InterfaceName { get; }

    public int IfIndex { get; }

    public static PacketSocket Open(string interfaceName)
    {
        uint index = Native.IfNameToIndex(interfaceName);
        if (index == 0)
        {
            throw new NativeException($"interface '{interfaceName}' (if_nametoindex; is it in this namespace?)", Native.LastErrno);
        }

        int fd = Native.Socket(Native.AF_PACKET, Native.SOCK_RAW | Native.SOCK_CLOEXEC, 0);
        return fd < 0 ? throw new NativeException("socket(AF_PACKET)", Native.LastErrno) : new PacketSocket(fd, interfaceName, (int)index);
    }

    public void SetOption(int level, int option, int value, string name, bool optional = false)
    {
        if (Native.SetSockOpt(Fd, level, option, &value, sizeof(int)) != 0 && !optional)
        {
            throw new NativeException($"setsockopt {name} on {InterfaceName}", Native.LastErrno);
        }
    }

    /// <summary>Binds to the interface; <paramref name="receive"/> = ETH_P_ALL (every frame), else protocol 0 (none).</summary>
    public void Bind(bool receive)
    {
        var address = new SockAddrLl
        {
            Family = Native.AF_PACKET,
            Protocol = receive ? BinaryPrimitives.ReverseEndianness(Native.ETH_P_ALL) : (ushort)0,
            IfIndex = IfIndex,
        };
        if (Native.Bind(Fd, &address, (uint)sizeof(SockAddrLl)) != 0)
        {
            throw new NativeException($"bind to {InterfaceName}", Native.LastErrno);
        }
    }

    /// <summary>Frames the kernel dropped since the last call because the socket had no room (PACKET_STATISTICS; reading resets).</summary>
    public long TakeKernelDrops()
    {
        // struct tpacket_stats { unsigned tp_packets, tp_drops; }
        uint* stats = stackalloc uint[2];
        uint length = 8;
        return Native.GetSockOpt(Fd, Native.SOL_PACKET, Native.PACKET_STATISTICS, stats, &length) == 0 ? stats[1] : 0;
    }

    public void Dispose()
    {
        if (Fd >= 0)
        {
            _ = Native.Close(Fd);
            Fd = -1;
        }
    }
}
