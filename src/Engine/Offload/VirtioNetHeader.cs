using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace MptFast.Engine.Offload;

/// <summary>
/// <c>struct virtio_net_hdr</c> (10 bytes, linux/virtio_net.h) that an IFF_VNET_HDR TUN puts in front of every packet
/// (PERFORMANCE-NOTES lever 3). Fields are in host byte order (little-endian: the legacy virtio layout the TUN uses
/// unless TUNSETVNETLE/BE say otherwise; all supported hosts are little-endian).
/// </summary>
/// <param name="Flags"><see cref="FlagNeedsChecksum"/>, <see cref="FlagDataValid"/>.</param>
/// <param name="GsoType">One of the <c>Gso*</c> constants, optionally or-ed with <see cref="GsoEcn"/>.</param>
/// <param name="HeaderLength">hdr_len: bytes of IP + transport headers (a hint; <see cref="TcpSegmenter"/> recomputes it).</param>
/// <param name="GsoSize">gso_size: payload bytes per segment (the MSS for TCP).</param>
/// <param name="ChecksumStart">csum_start: where the checksummed region (the transport header) begins.</param>
/// <param name="ChecksumOffset">csum_offset: where, relative to <paramref name="ChecksumStart"/>, the checksum field is.</param>
public readonly record struct VirtioNetHeader(byte Flags, byte GsoType, ushort HeaderLength, ushort GsoSize,
    ushort ChecksumStart, ushort ChecksumOffset)
{
    /// <summary>Size of the header on the wire of the TUN (TUNSETVNETHDRSZ 10).</summary>
    public const int Size = 10;

    /// <summary>VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum at csum_start + csum_offset holds only the pseudo-header
    /// sum; the rest is left to the device (CHECKSUM_PARTIAL).</summary>
    public const byte FlagNeedsChecksum = 1;

    /// <summary>VIRTIO_NET_HDR_F_DATA_VALID: the checksum was verified (receive side).</summary>
    public const byte FlagDataValid = 2;

    /// <summary>VIRTIO_NET_HDR_GSO_NONE: a single packet.</summary>
    public const byte GsoNone = 0;

    /// <summary>VIRTIO_NET_HDR_GSO_TCPV4: a TCP/IPv4 super-packet to cut into gso_size segments.</summary>
    public const byte GsoTcpV4 = 1;

    /// <summary>VIRTIO_NET_HDR_GSO_UDP (UFO, obsolete).</summary>
    public const byte GsoUdp = 3;

    /// <summary>VIRTIO_NET_HDR_GSO_TCPV6: a TCP/IPv6 super-packet.</summary>
    public const byte GsoTcpV6 = 4;

    /// <summary>VIRTIO_NET_HDR_GSO_UDP_L4: a UDP super-packet (USO, Linux 6.2+).</summary>
    public const byte GsoUdpL4 = 5;

    /// <summary>VIRTIO_NET_HDR_GSO_ECN: the TCP segments carry ECN (CWR on the first).</summary>
    public const byte GsoEcn = 0x80;

    /// <summary>The GSO type without the ECN bit.</summary>
    public byte GsoKind => (byte)(GsoType & ~GsoEcn);

    /// <summary>The packet is a super-packet to segment.</summary>
    public bool IsGso => GsoKind != GsoNone;

    /// <summary>The checksum is partial (<see cref="FlagNeedsChecksum"/>).</summary>
    public bool NeedsChecksum => (Flags & FlagNeedsChecksum) != 0;

    /// <summary>Reads a header; false when <paramref name="source"/> is shorter than <see cref="Size"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> source, out VirtioNetHeader header)
    {
        if (source.Length < Size)
        {
            header = default;
            return false;
        }

        header = new VirtioNetHeader(
            source[0],
            source[1],
            BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[6..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[8..]));
        return true;
    }

    /// <summary>Writes the header into the first <see cref="Size"/> bytes; false when <paramref name="destination"/> is too short.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            return false;
        }

        destination[0] = Flags;
        destination[1] = GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], ChecksumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], ChecksumOffset);
        return true;
    }
}
