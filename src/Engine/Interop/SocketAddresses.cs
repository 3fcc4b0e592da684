using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MptFast.Engine.Interop;

/// <summary><c>struct sockaddr_in</c> (16 bytes). Port and address in network byte order.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct SockAddrIn
{
    [FieldOffset(0)] public ushort Family;
    [FieldOffset(2)] public ushort PortBE;
    [FieldOffset(4)] public uint AddressBE;
}

/// <summary><c>struct sockaddr_in6</c> (28 bytes). Port in network byte order; IPv4 peers appear as ::ffff:a.b.c.d.</summary>
[StructLayout(LayoutKind.Explicit, Size = 28)]
internal unsafe struct SockAddrIn6
{
    public const int Size = 28;

    [FieldOffset(0)] public ushort Family;
    [FieldOffset(2)] public ushort PortBE;
    [FieldOffset(4)] public uint FlowInfo;
    [FieldOffset(8)] public fixed byte Address[16];
    [FieldOffset(24)] public uint ScopeId;

    public ushort Port
    {
        readonly get => BinaryPrimitives.ReverseEndianness(PortBE);
        set => PortBE = BinaryPrimitives.ReverseEndianness(value);
    }

    /// <summary>Builds the AF_INET6 form of an endpoint: IPv4 addresses become IPv4-mapped (MPT-SPEC §2.1).</summary>
    public static SockAddrIn6 From(IPAddress address, ushort port)
    {
        var result = default(SockAddrIn6);
        result.Family = Libc.AF_INET6;
        result.Port = port;
        IPAddress v6 = address.AddressFamily == AddressFamily.InterNetwork ? address.MapToIPv6() : address;
        // Sound: Address is a 16-byte fixed buffer inside a local struct.
        v6.TryWriteBytes(new Span<byte>(result.Address, 16), out _);
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            result.ScopeId = (uint)address.ScopeId;
        }

        return result;
    }

    /// <summary>The endpoint's address, unmapped to IPv4 when it is an IPv4-mapped address.</summary>
    public readonly IPAddress ToIPAddress()
    {
        // Sound: Address is a 16-byte fixed buffer inside this struct, copied out by the IPAddress constructor.
        fixed (byte* a = Address)
        {
            var ip = new IPAddress(new ReadOnlySpan<byte>(a, 16));
            return ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
        }
    }

    /// <summary>Rewrites, in place, an AF_INET address the kernel wrote into this storage as the mapped AF_INET6 form.</summary>
    public void NormalizeFromIPv4()
    {
        if (Family != Libc.AF_INET)
        {
            return;
        }

        ushort port = PortBE;
        uint v4 = Unsafe.As<SockAddrIn6, SockAddrIn>(ref this).AddressBE;
        Family = Libc.AF_INET6;
        PortBE = port;
        FlowInfo = 0;
        ScopeId = 0;
        // Sound: Address is this struct's own 16-byte buffer.
        fixed (byte* a = Address)
        {
            new Span<byte>(a, 10).Clear();
            a[10] = 0xFF;
            a[11] = 0xFF;
            *(uint*)(a + 12) = v4;
        }
    }

    /// <summary>The AF_INET form of an IPv4 endpoint (for AF_INET sockets on hosts without IPv6).</summary>
    public static SockAddrIn FromIPv4(IPAddress address, ushort port)
    {
        var result = default(SockAddrIn);
        result.Family = Libc.AF_INET;
        result.PortBE = BinaryPrimitives.ReverseEndianness(port);
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        result.AddressBE = MemoryMarshal.Read<uint>(bytes); // native read of network-order bytes keeps them in order
        return result;
    }
}
