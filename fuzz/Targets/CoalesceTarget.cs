using System.Buffers.Binary;
using MptFast.Engine.Buffers;
using MptFast.Engine.Offload;

namespace MptFast.Fuzz;

/// <summary>
/// The TCP coalescer on a TUN-bound batch (receive side of PERFORMANCE-NOTES lever 3), with the invariants of
/// wireguard-go's <c>Fuzz_handleGRO</c> (tun/offload_linux_test.go) and more: every packet index is in range and in
/// exactly one group, never more groups than packets, groups in the order of their first packet and nothing of a flow
/// overtaking the rest of it; a merged group is in-order, checksum-valid ACK(/PSH) data of one stream (PSH and a short
/// segment only last, ≤ 64 segments, ≤ 65 535 bytes); its super-packet has a correct virtio header, IP length, IPv4
/// header checksum and a partial TCP checksum that completes to a valid one; gathering it is byte-identical to copying
/// it; segmenting it gives back the original segments; and a clean single-stream batch is merged exactly as a greedy
/// reference groups it (a coalescer that never merges fails).
/// </summary>
/// <remarks>Input: 4 bytes per packet (up to 64): [flow, corruption, option and header-variant bits][flags and sequence
/// variants][payload length][payload fill]. Packets are built with valid checksums unless a corruption bit says not.</remarks>
internal static class CoalesceTarget
{
    private const int SlotSize = 1600;
    private static readonly byte[] Arena = GC.AllocateArray<byte>(PacketBatchSize * SlotSize, pinned: true);
    private static readonly int[] Lengths = new int[PacketBatchSize];
    private static readonly Packet[] Packets = new Packet[PacketBatchSize];
    private static readonly TcpCoalescer Coalescer = new(PacketBatchSize);
    private static readonly PacketGather Gather = new();
    private static readonly byte[] Super = new byte[TcpCoalescer.VirtioHeaderSize + TcpCoalescer.MaxSuperPacketLength];
    private static readonly byte[] Segment = new byte[SlotSize];
    private static readonly byte[] Flags = [TcpPacketBuilder.Ack, TcpPacketBuilder.Ack, TcpPacketBuilder.Ack, TcpPacketBuilder.Ack | TcpPacketBuilder.Psh,
        TcpPacketBuilder.Ack, TcpPacketBuilder.Syn | TcpPacketBuilder.Ack, TcpPacketBuilder.Fin | TcpPacketBuilder.Ack, TcpPacketBuilder.Rst];

    private const int PacketBatchSize = PacketBatch.MaxPackets;

    public static void Run(ReadOnlySpan<byte> data)
    {
        int count = Build(data);
        int groups = Coalescer.Plan(new ArenaPackets(), count);
        Fuzz.Require(groups == Coalescer.GroupCount && groups <= count && (count == 0 || groups >= 1), $"coalesce: {groups} groups for {count} packets");
        CheckPartition(count, groups);
        for (int g = 0; g < groups; g++)
        {
            if (Coalescer.CountOf(g) > 1)
            {
                CheckGroup(g);
            }
        }

        if (ReferenceGroups(count) is int expected)
        {
            Fuzz.Require(groups == expected, $"coalesce: a clean stream of {count} packets gave {groups} groups, the greedy reference {expected}");
        }
    }

    // Every index in exactly one group; members ascending; groups by first packet; a flow's groups never interleave.
    private static void CheckPartition(int count, int groups)
    {
        Span<bool> seen = stackalloc bool[PacketBatchSize];
        Span<int> lastOfFlow = stackalloc int[4];
        lastOfFlow.Fill(-1);
        int previousHead = -1;
        for (int g = 0; g < groups; g++)
        {
            int head = Coalescer.HeadOf(g);
            Fuzz.Require(head > previousHead && head < count, $"coalesce: group {g} head {head} out of order or range");
            previousHead = head;
            int members = 0;
            int last = -1;
            for (int e = head; e >= 0; e = Coalescer.NextMemberOf(e))
            {
                Fuzz.Require(e < count && e > last && !seen[e], $"coalesce: entry {e} out of range, order or duplicated");
                Fuzz.Require(members == 0 || Packets[e].Flow == Packets[head].Flow, "coalesce: a group mixes flows");
                seen[e] = true;
                last = e;
                members++;
            }

            Fuzz.Require(members == Coalescer.CountOf(g) && members <= TcpCoalescer.MaxSegments, "coalesce: group member count");
            int flow = Packets[head].Flow;
            if (Packets[head].Tcp)
            {
                Fuzz.Require(head > lastOfFlow[flow], "coalesce: a packet of a flow overtook an earlier one");
                lastOfFlow[flow] = last;
            }
        }

        for (int i = 0; i < count; i++)
        {
            Fuzz.Require(seen[i], $"coalesce: entry {i} is in no group");
        }
    }

    private static void CheckGroup(int g)
    {
        int head = Coalescer.HeadOf(g);
        Packet h = Packets[head];
        int expectedLength = Lengths[head];
        uint nextSeq = h.Sequence + (uint)h.Payload;
        int previous = head;
        for (int e = Coalescer.NextMemberOf(head); e >= 0; e = Coalescer.NextMemberOf(e))
        {
            Packet p = Packets[e];
            Packet before = Packets[previous];
            Fuzz.Require(h.Candidate && p.Candidate && h.Valid && p.Valid, "coalesce: merged a non-candidate or a packet with a bad checksum");
            Fuzz.Require(p.Sequence == nextSeq && p.HeaderKey == h.HeaderKey, "coalesce: merged out-of-order data or different header fields");
            Fuzz.Require((before.Flags & TcpPacketBuilder.Psh) == 0 && before.Payload == h.Payload && p.Payload <= h.Payload,
                "coalesce: merged after a PSH or a short segment, or a longer one");
            nextSeq += (uint)p.Payload;
            expectedLength += p.Payload;
            previous = e;
        }

        Fuzz.Require(Coalescer.LengthOf(g) == expectedLength && expectedLength <= TcpCoalescer.MaxSuperPacketLength, "coalesce: group length");
        CheckSuperPacket(g, h, previous);
    }

    private static void CheckSuperPacket(int g, Packet head, int lastEntry)
    {
        int length = Coalescer.WriteSuperPacket(new ArenaPackets(), g, Super);
        Fuzz.Require(length == Coalescer.LengthOf(g), "coalesce: super-packet length");
        ReadOnlySpan<byte> virtio = Super.AsSpan(0, TcpCoalescer.VirtioHeaderSize);
        Span<byte> packet = Super.AsSpan(TcpCoalescer.VirtioHeaderSize, length);
        int ip = head.Ipv6 ? 40 : 20;
        Fuzz.Require(VirtioNetHeader.TryRead(virtio, out VirtioNetHeader vh) && vh.Flags == VirtioNetHeader.FlagNeedsChecksum
            && vh.GsoType == (head.Ipv6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4) && vh.HeaderLength == head.HeaderLength
            && vh.GsoSize == head.Payload && vh.ChecksumStart == ip && vh.ChecksumOffset == 16, "coalesce: virtio header");
        Fuzz.Require(head.Ipv6 ? BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) == length - 40
            : BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) == length && Fuzz.ChecksumVerifies(packet[..20]), "coalesce: IP length or header checksum");
        Fuzz.Require((packet[ip + 13] & TcpPacketBuilder.Psh) == (Packets[lastEntry].Flags & TcpPacketBuilder.Psh), "coalesce: PSH is not the last segment's");

        // Payloads in order, then the partial checksum: completing it (sum over the TCP part) must verify.
        int at = head.HeaderLength;
        for (int e = Coalescer.HeadOf(g); e >= 0; e = Coalescer.NextMemberOf(e))
        {
            Fuzz.Require(packet.Slice(at, Packets[e].Payload).SequenceEqual(PacketAt(e)[Packets[e].HeaderLength..]), "coalesce: payload bytes moved");
            at += Packets[e].Payload;
        }

        Span<byte> completed = Segment.Length >= length ? Segment.AsSpan(0, length) : new byte[length];
        packet.CopyTo(completed);
        BinaryPrimitives.WriteUInt16BigEndian(completed[(ip + 16)..], (ushort)~Fuzz.OnesSum(completed[ip..]));
        Fuzz.Require(TcpPacketBuilder.ChecksumsValid(completed, head.Ipv6), "coalesce: the partial TCP checksum does not complete to a valid one");

        Fuzz.Require(Coalescer.GatherSuperPacket(new ArenaPackets(), g, Gather) == length && Gather.HasVirtioHeader
            && Gather.Header.SequenceEqual(virtio) && Gather.ToArray().AsSpan().SequenceEqual(packet), "coalesce: gathered super-packet differs from the copied one");

        CheckResegmentation(g, packet, vh, head);
        FuzzReach.SuperPackets++;
    }

    // The segmenter undoes the coalescer: the same segments, byte for byte (the IPv4 id aside: the segmenter numbers them).
    private static void CheckResegmentation(int g, ReadOnlySpan<byte> packet, in VirtioNetHeader vh, Packet head)
    {
        Fuzz.Require(TcpSegmenter.TryPlan(packet, vh, out TcpSegmentPlan plan) == OffloadStatus.Ok && plan.SegmentCount == Coalescer.CountOf(g),
            "coalesce: the super-packet does not segment into its members");
        int index = 0;
        for (int e = Coalescer.HeadOf(g); e >= 0; e = Coalescer.NextMemberOf(e), index++)
        {
            int n = TcpSegmenter.WriteSegment(packet, plan, index, Segment);
            ReadOnlySpan<byte> original = PacketAt(e);
            Fuzz.Require(n == original.Length, "coalesce: a re-cut segment has another length");
            Span<byte> s = Segment.AsSpan(0, n);
            if (!head.Ipv6)
            {
                Fuzz.Require(Fuzz.ChecksumVerifies(s[..20]), "coalesce: re-cut segment's IPv4 header checksum");
                original[4..6].CopyTo(s[4..]); // the numbered id and its header checksum aside, compare the rest
                original[10..12].CopyTo(s[10..]);
            }

            Fuzz.Require(s.SequenceEqual(original), $"coalesce: segment {index} of a super-packet differs from the packet merged into it");
        }
    }

    // The greedy grouping of a clean single stream (one flow, all ACK data with valid checksums, same header fields,
    // contiguous sequence numbers): join while ≤ 64 segments and ≤ 65 535 bytes, no PSH so far, payload ≤ the head's and
    // the previous one as long as the head's. Null when the batch is not such a stream.
    private static int? ReferenceGroups(int count)
    {
        if (count < 2)
        {
            return null;
        }

        Packet first = Packets[0];
        uint seq = first.Sequence;
        for (int i = 0; i < count; i++)
        {
            Packet p = Packets[i];
            if (!p.Candidate || !p.Valid || p.Flow != first.Flow || p.HeaderKey != first.HeaderKey || p.Sequence != seq)
            {
                return null;
            }

            seq += (uint)p.Payload;
        }

        int groups = 0;
        bool open = false;
        int headPayload = 0, members = 0, length = 0;
        bool headPsh = false;
        for (int i = 0; i < count; i++)
        {
            Packet p = Packets[i];
            bool psh = (p.Flags & TcpPacketBuilder.Psh) != 0;
            if (open && !headPsh && members < TcpCoalescer.MaxSegments && length + p.Payload <= TcpCoalescer.MaxSuperPacketLength && p.Payload <= headPayload)
            {
                members++;
                length += p.Payload;
                open = !psh && p.Payload == headPayload;
                continue;
            }

            groups++;
            open = true;
            headPsh = psh;
            headPayload = p.Payload;
            members = 1;
            length = Lengths[i];
        }

        return groups;
    }

    private static int Build(ReadOnlySpan<byte> data)
    {
        var reader = new FuzzReader(data);
        Span<uint> nextSeq = [1000, 2000, 3000, 4000];
        Span<ushort> ids = [10, 20, 30, 40];
        Span<int> lastPayload = [1000, 1000, 1000, 1000];
        int count = Math.Min(PacketBatchSize, data.Length / 4);
        for (int i = 0; i < count; i++)
        {
            byte b0 = reader.Byte(), b1 = reader.Byte(), b2 = reader.Byte(), fill = reader.Byte();
            int flow = b0 & 3;
            bool ipv6 = flow >= 2;
            byte flags = Flags[b1 & 7];
            bool notTcp = (b1 & 0x80) != 0;
            if ((b1 & 0x40) != 0)
            {
                nextSeq[flow] += 1 + (uint)(b2 * 1000);
            }

            int payload = (b2 & 0x80) == 0 ? lastPayload[flow] : (b2 & 0x7F) * 11;
            lastPayload[flow] = payload;
            byte ttl = (byte)((b0 & 0x10) != 0 ? 63 : 64);
            uint ack = (b0 & 0x20) != 0 ? 0x01020305u : 0x01020304u;
            int options = (b0 & 0x40) != 0 ? 12 : 0;
            bool variant = (b0 & 0x80) != 0;
            Span<byte> slot = Arena.AsSpan(i * SlotSize, SlotSize);
            int length = TcpPacketBuilder.Write(slot, ipv6, flow, ids[flow]++, nextSeq[flow], ack, flags, options, payload, fill, ttl, variant);
            int ip = ipv6 ? 40 : 20;
            bool valid = true;
            if ((b0 & 0x04) != 0)
            {
                slot[ip + 16] ^= 0x5A; // a corrupt TCP checksum
                valid = false;
            }

            if ((b0 & 0x08) != 0 && !ipv6)
            {
                slot[10] ^= 0x33; // a corrupt IPv4 header checksum
                valid = false;
            }

            if (notTcp)
            {
                slot[ipv6 ? 6 : 9] = 17; // UDP: not for the coalescer
            }

            nextSeq[flow] += (uint)payload;
            Lengths[i] = length;
            bool candidate = !notTcp && payload > 0 && (flags & ~TcpPacketBuilder.Psh) == TcpPacketBuilder.Ack;
            int headerKey = (ttl << 16) | ((int)(ack & 0xFF) << 8) | (options << 1) | (variant ? 1 : 0);
            Packets[i] = new Packet(flow, ipv6, !notTcp, candidate, valid, nextSeq[flow] - (uint)payload, payload, flags, ip + 20 + options, headerKey);
        }

        return count;
    }

    private static ReadOnlySpan<byte> PacketAt(int index) => Arena.AsSpan(index * SlotSize, Lengths[index]);

    /// <summary>What the harness built (its own record, not the coalescer's parse).</summary>
    private readonly record struct Packet(int Flow, bool Ipv6, bool Tcp, bool Candidate, bool Valid, uint Sequence, int Payload, byte Flags,
        int HeaderLength, int HeaderKey);

    private readonly struct ArenaPackets : IPacketList
    {
        public ReadOnlySpan<byte> Packet(int index) => PacketAt(index);
    }
}
