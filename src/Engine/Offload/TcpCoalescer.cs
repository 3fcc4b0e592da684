using System.Buffers.Binary;
using MptFast.Engine.Buffers;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Offload;

/// <summary>
/// Groups the packets of one TUN-bound batch into TCP super-packets (wireguard-go <c>tun/tcp_offload_linux.go</c>,
/// PERFORMANCE-NOTES lever 3, receive half): consecutive in-order data segments of one flow — same addresses and ports,
/// same ACK number, window, TCP options, TOS/TTL (IPv4) or traffic class/flow label/hop limit (IPv6), flags ACK with
/// PSH allowed only on the last, equal payload sizes except a shorter last — become one packet written with a GSO
/// <c>virtio_net_hdr</c>. Everything else stays a single packet. Only within one batch: no added latency.
/// </summary>
/// <remarks>
/// Order is kept per flow: a packet joins only its flow's latest group, and a TCP packet that cannot be merged (SYN,
/// FIN, RST, pure ACK…) closes that group, so nothing of a flow overtakes anything else of it. Groups come out in the
/// order of their first packet. Preallocated for one batch; no allocation per call. One owner thread.
/// </remarks>
public sealed class TcpCoalescer
{
    /// <summary>Largest super-packet: the IPv4 total length (and IPv6 payload length) field is 16 bits.</summary>
    public const int MaxSuperPacketLength = 65535;

    /// <summary>Most segments in one super-packet (as UDP_MAX_SEGMENTS; the kernel accepts more for TCP).</summary>
    public const int MaxSegments = 64;

    /// <summary>virtio_net_hdr values a super-packet carries (<see cref="VirtioNetHeader"/>).</summary>
    public const byte VirtioNeedsChecksum = VirtioNetHeader.FlagNeedsChecksum, VirtioGsoTcpV4 = VirtioNetHeader.GsoTcpV4,
        VirtioGsoTcpV6 = VirtioNetHeader.GsoTcpV6;

    /// <summary>Size of the virtio_net_hdr written in front of a super-packet.</summary>
    public const int VirtioHeaderSize = VirtioNetHeader.Size;

    private readonly TcpSegment[] _segments;
    private readonly int[] _nextMember;
    private readonly int[] _head;
    private readonly int[] _last;
    private readonly int[] _count;
    private readonly int[] _length;
    private readonly uint[] _nextSeq;
    private readonly bool[] _open;
    private readonly bool[] _headVerified;

    /// <summary>State for batches of up to <paramref name="capacity"/> packets.</summary>
    public TcpCoalescer(int capacity = PacketBatch.MaxPackets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _segments = new TcpSegment[capacity];
        _nextMember = new int[capacity];
        _head = new int[capacity];
        _last = new int[capacity];
        _count = new int[capacity];
        _length = new int[capacity];
        _nextSeq = new uint[capacity];
        _open = new bool[capacity];
        _headVerified = new bool[capacity];
    }

    /// <summary>Groups found by the last <see cref="Plan"/>.</summary>
    public int GroupCount { get; private set; }

    /// <summary>Batch entry of the first packet of group <paramref name="group"/>.</summary>
    public int HeadOf(int group) => _head[group];

    /// <summary>Packets in group <paramref name="group"/> (1 = written as is).</summary>
    public int CountOf(int group) => _count[group];

    /// <summary>Length of the group's packet once merged.</summary>
    public int LengthOf(int group) => _length[group];

    /// <summary>The entry after <paramref name="entry"/> in its group, or −1.</summary>
    public int NextMemberOf(int entry) => _nextMember[entry];

    /// <summary>Groups entries [0, <paramref name="count"/>) of <paramref name="batch"/>; returns the group count.</summary>
    public int Plan(PacketBatch batch, int count)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Plan(new BatchPackets(batch), count);
    }

    /// <summary>Groups packets [0, <paramref name="count"/>) of <paramref name="packets"/>; returns the group count.</summary>
    public int Plan<TPackets>(TPackets packets, int count)
        where TPackets : struct, IPacketList
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _segments.Length);
        int groups = 0;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> packet = packets.Packet(i);
            TcpSegment s = TcpSegment.Parse(packet);
            _segments[i] = s;
            _nextMember[i] = -1;
            if (s.Kind != TcpSegmentKind.NotTcp)
            {
                int g = LatestGroupOfFlow(packets, groups, packet, s);
                if (g >= 0)
                {
                    if (s.Kind == TcpSegmentKind.Candidate && TryAppend(packets, g, i, packet, s))
                    {
                        continue;
                    }

                    _open[g] = false; // a later packet of this flow must not overtake this one
                }
            }

            _head[groups] = i;
            _last[groups] = i;
            _count[groups] = 1;
            _length[groups] = packet.Length;
            _nextSeq[groups] = s.Sequence + (uint)s.PayloadLength;
            _open[groups] = s.Kind == TcpSegmentKind.Candidate;
            _headVerified[groups] = false;
            groups++;
        }

        GroupCount = groups;
        return groups;
    }

    /// <summary>
    /// Writes group <paramref name="group"/> (≥ 2 packets) as one super-packet: <see cref="VirtioHeaderSize"/> bytes of
    /// virtio_net_hdr then the packet, into <paramref name="destination"/>. Returns the packet length (header excluded),
    /// or 0 when the destination is too small. (The copying form of <see cref="GatherSuperPacket{TPackets}"/>.)
    /// </summary>
    public int WriteSuperPacket(PacketBatch batch, int group, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return WriteSuperPacket(new BatchPackets(batch), group, destination);
    }

    /// <inheritdoc cref="WriteSuperPacket(PacketBatch, int, Span{byte})"/>
    public int WriteSuperPacket<TPackets>(TPackets packets, int group, Span<byte> destination)
        where TPackets : struct, IPacketList
    {
        int total = _length[group];
        if (destination.Length < VirtioHeaderSize + total)
        {
            return 0;
        }

        int entry = _head[group];
        TcpSegment head = _segments[entry];
        Span<byte> packet = destination.Slice(VirtioHeaderSize, total);
        packets.Packet(entry).CopyTo(packet);
        int at = head.TotalLength;
        byte lastFlags = head.Flags;
        for (int e = _nextMember[entry]; e >= 0; e = _nextMember[e])
        {
            TcpSegment s = _segments[e];
            packets.Packet(e)[s.HeaderLength..].CopyTo(packet[at..]);
            at += s.PayloadLength;
            lastFlags = s.Flags;
        }

        FinishSuperPacket(packet, head, lastFlags, destination[..VirtioHeaderSize]);
        return total;
    }

    /// <summary>
    /// Describes group <paramref name="group"/> (≥ 2 packets) as one super-packet in <paramref name="gather"/> without
    /// copying a payload byte: the virtio_net_hdr and the head's headers, fixed as <see cref="FinishSuperPacket"/> does,
    /// are built in <see cref="PacketGather.Scratch"/>; every segment's payload is added where it lies. The packets
    /// themselves are not changed (a refused super-packet is written segment by segment). Returns the packet length
    /// (header excluded), or 0 when the head's headers do not fit the scratch. Byte for byte what
    /// <see cref="WriteSuperPacket{TPackets}"/> writes.
    /// </summary>
    public int GatherSuperPacket<TPackets>(TPackets packets, int group, PacketGather gather)
        where TPackets : struct, IPacketList
    {
        ArgumentNullException.ThrowIfNull(gather);
        int entry = _head[group];
        TcpSegment head = _segments[entry];
        Span<byte> scratch = gather.Scratch;
        if (VirtioHeaderSize + head.HeaderLength > scratch.Length)
        {
            return 0;
        }

        ReadOnlySpan<byte> first = packets.Packet(entry);
        Span<byte> headers = scratch.Slice(VirtioHeaderSize, head.HeaderLength);
        first[..head.HeaderLength].CopyTo(headers);
        byte lastFlags = head.Flags;
        gather.Clear();
        gather.Add(headers);
        gather.Add(first[head.HeaderLength..]);
        for (int e = _nextMember[entry]; e >= 0; e = _nextMember[e])
        {
            TcpSegment s = _segments[e];
            gather.Add(packets.Packet(e)[s.HeaderLength..]);
            lastFlags = s.Flags;
        }

        int total = _length[group];
        FinishHeaders(headers, total, head, lastFlags, scratch[..VirtioHeaderSize]);
        gather.SetVirtioHeader(scratch[..VirtioHeaderSize]);
        return total;
    }

    /// <summary>
    /// Fixes the headers of a merged packet whose first <see cref="TcpSegment.HeaderLength"/> bytes are the head's:
    /// IP length, IPv4 header checksum, PSH of the last segment, the TCP checksum field set to the pseudo-header sum
    /// (NEEDS_CSUM), and writes the virtio_net_hdr (GSO TCPV4/TCPV6, gso_size = the head's payload) into <paramref name="virtioHeader"/>.
    /// </summary>
    public static void FinishSuperPacket(Span<byte> packet, in TcpSegment head, byte lastFlags, Span<byte> virtioHeader) =>
        FinishHeaders(packet[..head.HeaderLength], packet.Length, head, lastFlags, virtioHeader);

    /// <summary><see cref="FinishSuperPacket"/> over the head's IP + TCP <paramref name="headers"/> alone, for a merged
    /// packet of <paramref name="totalLength"/> bytes.</summary>
    public static void FinishHeaders(Span<byte> headers, int totalLength, in TcpSegment head, byte lastFlags, Span<byte> virtioHeader)
    {
        int ip = head.IpHeaderLength;
        if (head.IsIPv6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(headers[4..], (ushort)(totalLength - 40));
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(headers[2..], (ushort)totalLength);
            headers[10] = 0;
            headers[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(headers[10..], InternetChecksum.Compute(headers[..20]));
        }

        headers[ip + 13] |= (byte)(lastFlags & TcpSegment.FlagPsh);
        ushort partial = TcpSegment.PseudoHeaderSum(headers, head.IsIPv6, totalLength - ip);
        BinaryPrimitives.WriteUInt16BigEndian(headers[(ip + 16)..], partial);

        var header = new VirtioNetHeader(VirtioNeedsChecksum, head.IsIPv6 ? VirtioGsoTcpV6 : VirtioGsoTcpV4,
            (ushort)head.HeaderLength, (ushort)head.PayloadLength, (ushort)ip, 16);
        header.TryWrite(virtioHeader);
    }

    /// <summary>
    /// True when <paramref name="next"/> may follow <paramref name="head"/>'s group: same flow and header fields
    /// (see the type summary), sequence <paramref name="expectedSequence"/>, payload ≤ the head's. Pure: checksums,
    /// group length and closure are the caller's.
    /// </summary>
    public static bool SameStream(ReadOnlySpan<byte> headPacket, in TcpSegment head, ReadOnlySpan<byte> nextPacket,
        in TcpSegment next, uint expectedSequence)
    {
        if (head.Kind != TcpSegmentKind.Candidate || next.Kind != TcpSegmentKind.Candidate || head.IsIPv6 != next.IsIPv6
            || head.TcpHeaderLength != next.TcpHeaderLength || next.Sequence != expectedSequence
            || next.PayloadLength > head.PayloadLength || (head.Flags & TcpSegment.FlagPsh) != 0)
        {
            return false;
        }

        if (!SameFlow(headPacket, head, nextPacket, next))
        {
            return false;
        }

        if (head.IsIPv6)
        {
            // Version, traffic class, flow label; hop limit.
            if (!headPacket[..4].SequenceEqual(nextPacket[..4]) || headPacket[7] != nextPacket[7])
            {
                return false;
            }
        }
        else if (headPacket[1] != nextPacket[1] || headPacket[8] != nextPacket[8] || ((headPacket[6] ^ nextPacket[6]) & 0x40) != 0)
        {
            return false; // TOS (with ECN), TTL, DF
        }

        int ip = head.IpHeaderLength;
        // ACK number, then data offset … window (the flags byte is checked by Kind and the PSH rule), then options.
        return headPacket.Slice(ip + 8, 4).SequenceEqual(nextPacket.Slice(ip + 8, 4))
            && headPacket.Slice(ip + 14, 2).SequenceEqual(nextPacket.Slice(ip + 14, 2))
            && headPacket.Slice(ip + 20, head.TcpHeaderLength - 20).SequenceEqual(nextPacket.Slice(ip + 20, next.TcpHeaderLength - 20));
    }

    /// <summary>Same IP version, addresses and TCP ports.</summary>
    public static bool SameFlow(ReadOnlySpan<byte> a, in TcpSegment sa, ReadOnlySpan<byte> b, in TcpSegment sb)
    {
        if (sa.Kind == TcpSegmentKind.NotTcp || sb.Kind == TcpSegmentKind.NotTcp || sa.IsIPv6 != sb.IsIPv6)
        {
            return false;
        }

        return sa.IsIPv6
            ? a.Slice(8, 32).SequenceEqual(b.Slice(8, 32)) && a.Slice(40, 4).SequenceEqual(b.Slice(40, 4))
            : a.Slice(12, 8).SequenceEqual(b.Slice(12, 8)) && a.Slice(20, 4).SequenceEqual(b.Slice(20, 4));
    }

    private int LatestGroupOfFlow<TPackets>(TPackets packets, int groups, ReadOnlySpan<byte> packet, in TcpSegment s)
        where TPackets : struct, IPacketList
    {
        for (int g = groups - 1; g >= 0; g--)
        {
            int h = _head[g];
            if (SameFlow(packets.Packet(h), _segments[h], packet, s))
            {
                return g;
            }
        }

        return -1;
    }

    private bool TryAppend<TPackets>(TPackets packets, int g, int entry, ReadOnlySpan<byte> packet, in TcpSegment s)
        where TPackets : struct, IPacketList
    {
        int h = _head[g];
        if (!_open[g] || _count[g] >= MaxSegments || _length[g] + s.PayloadLength > MaxSuperPacketLength)
        {
            return false;
        }

        ReadOnlySpan<byte> headPacket = packets.Packet(h);
        TcpSegment head = _segments[h];
        if (!SameStream(headPacket, head, packet, s, _nextSeq[g]))
        {
            return false;
        }

        if (!_headVerified[g])
        {
            if (!head.ChecksumValid(headPacket))
            {
                return false; // the head stays alone; the kernel drops it, as without coalescing
            }

            _headVerified[g] = true;
        }

        if (!s.ChecksumValid(packet))
        {
            return false;
        }

        _nextMember[_last[g]] = entry;
        _last[g] = entry;
        _count[g]++;
        _length[g] += s.PayloadLength;
        _nextSeq[g] += (uint)s.PayloadLength;
        // A PSH or a short segment ends the super-packet (the kernel re-cuts it at gso_size).
        _open[g] = (s.Flags & TcpSegment.FlagPsh) == 0 && s.PayloadLength == head.PayloadLength;
        return true;
    }
}
