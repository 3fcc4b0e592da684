using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Offload;

/// <summary>
/// Cuts a TCP super-packet read from an offloading TUN (virtio_net_hdr GSO_TCPV4/TCPV6) into MSS-sized segments, as
/// the kernel's TSO would (wireguard-go <c>tun/offload_linux.go</c> gsoSplit): every segment gets the IP + TCP headers
/// of the super-packet with its IPv4 total length / IPv6 payload length, IPv4 id (+ index), TCP sequence number
/// (+ index × gso_size) and both checksums fixed; FIN and PSH stay on the last segment only, CWR on the first only.
/// Also completes the partial checksum of a single packet with NEEDS_CSUM. Pure functions over spans: no allocation,
/// no exceptions on packet data (a typed <see cref="OffloadStatus"/> instead).
/// </summary>
public static class TcpSegmenter
{
    /// <summary>Largest super-packet the TUN hands out (IP packet, without the virtio header).</summary>
    public const int MaxSuperPacket = 65535 + 64;

    private const byte ProtocolTcp = 6;
    private const int Ipv6HeaderLength = 40;
    private const byte TcpFin = 0x01;
    private const byte TcpPsh = 0x08;
    private const byte TcpCwr = 0x80;
    private const int TcpChecksumOffset = 16;

    /// <summary>Checks a GSO super-packet and works out its segmentation. <paramref name="packet"/> is the IP packet
    /// (the virtio header already stripped).</summary>
    public static OffloadStatus TryPlan(ReadOnlySpan<byte> packet, in VirtioNetHeader header, out TcpSegmentPlan plan)
    {
        plan = default;
        byte kind = header.GsoKind;
        if (kind != VirtioNetHeader.GsoTcpV4 && kind != VirtioNetHeader.GsoTcpV6)
        {
            return OffloadStatus.UnsupportedGso;
        }

        if (header.GsoSize == 0)
        {
            return OffloadStatus.BadHeader;
        }

        if (packet.Length < 20)
        {
            return OffloadStatus.Truncated;
        }

        int version = packet[0] >> 4;
        int ipHeaderLength;
        if (version == 4 && kind == VirtioNetHeader.GsoTcpV4)
        {
            ipHeaderLength = (packet[0] & 0x0F) * 4;
            if (ipHeaderLength < 20 || packet.Length < ipHeaderLength)
            {
                return OffloadStatus.BadHeader;
            }

            if (packet[9] != ProtocolTcp)
            {
                return OffloadStatus.NotTcp;
            }

            if (BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) != packet.Length)
            {
                return OffloadStatus.BadHeader;
            }
        }
        else if (version == 6 && kind == VirtioNetHeader.GsoTcpV6)
        {
            ipHeaderLength = Ipv6HeaderLength;
            if (packet.Length < ipHeaderLength)
            {
                return OffloadStatus.Truncated;
            }

            if (packet[6] != ProtocolTcp)
            {
                ipHeaderLength = SkipIpv6Options(packet, header);
                if (ipHeaderLength < 0)
                {
                    return OffloadStatus.NotTcp;
                }
            }

            if (BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) != packet.Length - Ipv6HeaderLength)
            {
                return OffloadStatus.BadHeader;
            }
        }
        else
        {
            return OffloadStatus.BadHeader; // version nibble and GSO type disagree
        }

        if (header.NeedsChecksum && header.ChecksumStart != ipHeaderLength)
        {
            return OffloadStatus.BadHeader;
        }

        if (packet.Length < ipHeaderLength + 20)
        {
            return OffloadStatus.Truncated;
        }

        int tcpHeaderLength = (packet[ipHeaderLength + 12] >> 4) * 4;
        int headerLength = ipHeaderLength + tcpHeaderLength;
        if (tcpHeaderLength < 20 || packet.Length < headerLength)
        {
            return OffloadStatus.BadHeader;
        }

        int payload = packet.Length - headerLength;
        int mss = header.GsoSize;
        int count = payload == 0 ? 1 : (payload + mss - 1) / mss;
        plan = new TcpSegmentPlan(version, ipHeaderLength, headerLength, mss, payload, count);
        return OffloadStatus.Ok;
    }

    /// <summary>
    /// Writes segment <paramref name="index"/> of <paramref name="packet"/> into <paramref name="destination"/> (headers
    /// then its payload slice: one copy of the payload) and returns its length, or −1 when the index is out of range or
    /// the destination is too small.
    /// </summary>
    public static int WriteSegment(ReadOnlySpan<byte> packet, in TcpSegmentPlan plan, int index, Span<byte> destination)
    {
        if ((uint)index >= (uint)plan.SegmentCount || packet.Length < plan.HeaderLength + plan.PayloadLength)
        {
            return -1;
        }

        int payloadStart = index * plan.SegmentPayload;
        int payload = Math.Min(plan.SegmentPayload, plan.PayloadLength - payloadStart);
        int hdr = plan.HeaderLength;
        int length = hdr + payload;
        if (destination.Length < length)
        {
            return -1;
        }

        packet[..hdr].CopyTo(destination);
        packet.Slice(hdr + payloadStart, payload).CopyTo(destination[hdr..]);
        Span<byte> segment = destination[..length];

        int ip = plan.IpHeaderLength;
        int tcpLength = length - ip;
        ulong pseudo;
        if (plan.IpVersion == 4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment[2..], (ushort)length);
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(segment[4..]);
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)(id + index));
            segment[10] = 0;
            segment[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(segment[10..], InternetChecksum.Compute(segment[..ip]));
            pseudo = SumWords(segment.Slice(12, 8)) + ProtocolTcp + (uint)tcpLength;
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)(length - Ipv6HeaderLength));
            pseudo = SumWords(segment.Slice(8, 32)) + ProtocolTcp + (uint)tcpLength;
        }

        Span<byte> tcp = segment[ip..];
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence + (uint)payloadStart);
        byte flags = tcp[13];
        if (index != plan.SegmentCount - 1)
        {
            flags &= unchecked((byte)~(TcpFin | TcpPsh));
        }

        if (index != 0)
        {
            flags &= unchecked((byte)~TcpCwr);
        }

        tcp[13] = flags;

        // The field holds the folded pseudo-header sum, so the sum over the TCP segment includes it (CHECKSUM_PARTIAL).
        BinaryPrimitives.WriteUInt16BigEndian(tcp[TcpChecksumOffset..], Fold(pseudo));
        BinaryPrimitives.WriteUInt16BigEndian(tcp[TcpChecksumOffset..], InternetChecksum.Compute(tcp));
        return length;
    }

    /// <summary>
    /// Completes a partial checksum (NEEDS_CSUM on a single packet): the field at csum_start + csum_offset holds the
    /// pseudo-header sum; the checksum over [csum_start, end) replaces it (virtio semantics, CHECKSUM_PARTIAL). Works
    /// for any transport (TCP, UDP, ICMPv6) since csum_start/csum_offset say where.
    /// </summary>
    public static OffloadStatus CompleteChecksum(Span<byte> packet, in VirtioNetHeader header)
    {
        if (!header.NeedsChecksum)
        {
            return OffloadStatus.Ok;
        }

        int start = header.ChecksumStart;
        int at = start + header.ChecksumOffset;
        if (at + 2 > packet.Length || start >= packet.Length)
        {
            return OffloadStatus.BadHeader;
        }

        // As the kernel's skb_checksum_help: a computed 0 goes out as 0xFFFF (CSUM_MANGLED_0), since 0 means "no
        // checksum" to UDP over IPv4 and is invalid for UDP over IPv6; both encode the same ones' complement value.
        ushort checksum = InternetChecksum.Compute(packet[start..]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[at..], checksum == 0 ? (ushort)0xFFFF : checksum);
        return OffloadStatus.Ok;
    }

    /// <summary>
    /// Walks hop-by-hop and destination options headers from the fixed IPv6 header to csum_start; returns the TCP
    /// header offset when the chain ends in TCP exactly there, else −1. A routing header is refused: the pseudo-header
    /// would need its final destination (rare with TSO; such packets are dropped and counted).
    /// </summary>
    private static int SkipIpv6Options(ReadOnlySpan<byte> packet, in VirtioNetHeader header)
    {
        const byte HopByHop = 0;
        const byte DestinationOptions = 60;
        int tcp = header.ChecksumStart;
        if (!header.NeedsChecksum || tcp <= Ipv6HeaderLength || tcp > packet.Length)
        {
            return -1;
        }

        byte next = packet[6];
        int offset = Ipv6HeaderLength;
        while (offset < tcp && (next == HopByHop || next == DestinationOptions) && offset + 2 <= packet.Length)
        {
            next = packet[offset];
            offset += (packet[offset + 1] + 1) * 8;
        }

        return offset == tcp && next == ProtocolTcp ? tcp : -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SumWords(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort Fold(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }
}
