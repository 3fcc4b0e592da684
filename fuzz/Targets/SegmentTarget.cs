using System.Buffers.Binary;
using MptFast.Engine.Offload;

namespace MptFast.Fuzz;

/// <summary>
/// The TCP segmenter on what an offloading TUN hands out (transmit side of PERFORMANCE-NOTES lever 3): a 10-byte
/// virtio_net_hdr, then the IP packet. Invariants: no exception; a planned super-packet has header ≤ packet, payload =
/// the rest and ⌈payload / gso_size⌉ segments (1 when empty: never more out than in); every segment has the length the
/// plan says, IP length fields, a valid IPv4 header checksum and a valid TCP checksum (checked with reference arithmetic
/// over the pseudo-header), sequence number base + index × gso_size, FIN/PSH only on the last and CWR only on the first,
/// and the payloads put together are the original payload; indices outside the plan are refused. A single packet's
/// partial checksum (NEEDS_CSUM) completes to one that verifies with the pseudo-header sum it held.
/// </summary>
internal static class SegmentTarget
{
    private static readonly byte[] Segment = new byte[TcpSegmenter.MaxSuperPacket];

    public static void Run(ReadOnlySpan<byte> data)
    {
        if (!VirtioNetHeader.TryRead(data, out VirtioNetHeader header))
        {
            return;
        }

        ReadOnlySpan<byte> packet = data[VirtioNetHeader.Size..];
        CheckCompleteChecksum(packet, header);
        if (TcpSegmenter.TryPlan(packet, header, out TcpSegmentPlan plan) != OffloadStatus.Ok)
        {
            Fuzz.Require(plan == default, "segment: a refused packet left a plan");
            return;
        }

        Fuzz.Require(plan.IpVersion == packet[0] >> 4 && plan.HeaderLength <= packet.Length && plan.HeaderLength >= plan.IpHeaderLength + 20
            && plan.PayloadLength == packet.Length - plan.HeaderLength && plan.SegmentPayload == header.GsoSize, "segment: plan does not describe the packet");
        int expectedCount = plan.PayloadLength == 0 ? 1 : (plan.PayloadLength + header.GsoSize - 1) / header.GsoSize;
        Fuzz.Require(plan.SegmentCount == expectedCount && plan.SegmentCount <= Math.Max(1, plan.PayloadLength), $"segment: {plan.SegmentCount} segments, expected {expectedCount}");

        int ip = plan.IpHeaderLength;
        uint baseSequence = BinaryPrimitives.ReadUInt32BigEndian(packet[(ip + 4)..]);
        byte baseFlags = packet[ip + 13];
        int payloadAt = 0;
        for (int i = 0; i < plan.SegmentCount; i++)
        {
            int n = TcpSegmenter.WriteSegment(packet, plan, i, Segment);
            Fuzz.Require(n == plan.SegmentLength(i) && n >= plan.HeaderLength, $"segment: segment {i} length {n}, plan says {plan.SegmentLength(i)}");
            ReadOnlySpan<byte> s = Segment.AsSpan(0, n);
            bool v6 = plan.IpVersion == 6;
            Fuzz.Require(v6 ? BinaryPrimitives.ReadUInt16BigEndian(s[4..]) == n - 40
                : BinaryPrimitives.ReadUInt16BigEndian(s[2..]) == n && Fuzz.ChecksumVerifies(s[..ip]), $"segment: segment {i} IP length or header checksum");
            Fuzz.Require(Fuzz.ChecksumVerifies(s[ip..], Fuzz.PseudoHeaderSum(s, v6, n - ip)), $"segment: segment {i} TCP checksum does not verify");
            Fuzz.Require(BinaryPrimitives.ReadUInt32BigEndian(s[(ip + 4)..]) == baseSequence + (uint)payloadAt, $"segment: segment {i} sequence number");
            byte flags = s[ip + 13];
            byte expectedFlags = baseFlags;
            if (i != plan.SegmentCount - 1)
            {
                expectedFlags &= unchecked((byte)~0x09); // FIN, PSH: last only
            }

            if (i != 0)
            {
                expectedFlags &= unchecked((byte)~0x80); // CWR: first only
            }

            Fuzz.Require(flags == expectedFlags, $"segment: segment {i} flags {flags:x2}, expected {expectedFlags:x2}");
            int payload = n - plan.HeaderLength;
            Fuzz.Require(s[plan.HeaderLength..].SequenceEqual(packet.Slice(plan.HeaderLength + payloadAt, payload)), $"segment: segment {i} payload");
            payloadAt += payload;
        }

        Fuzz.Require(payloadAt == plan.PayloadLength, "segment: the segments do not carry the whole payload");
        FuzzReach.SegmentedPackets++;
        Fuzz.Require(TcpSegmenter.WriteSegment(packet, plan, plan.SegmentCount, Segment) == -1 && TcpSegmenter.WriteSegment(packet, plan, -1, Segment) == -1,
            "segment: an index outside the plan was written");
        Fuzz.Require(TcpSegmenter.WriteSegment(packet, plan, 0, Segment.AsSpan(0, plan.SegmentLength(0) - 1)) == -1, "segment: wrote into a too small destination");
    }

    // virtio CHECKSUM_PARTIAL: the field at csum_start + csum_offset holds the pseudo-header sum P; once completed, the
    // sum over [csum_start, end) plus P is 0xFFFF.
    private static void CheckCompleteChecksum(ReadOnlySpan<byte> packet, in VirtioNetHeader header)
    {
        byte[] copy = packet.ToArray();
        OffloadStatus status = TcpSegmenter.CompleteChecksum(copy, header);
        int start = header.ChecksumStart, at = start + header.ChecksumOffset;
        bool fits = at + 2 <= copy.Length && start < copy.Length;
        Fuzz.Require(status == (!header.NeedsChecksum || fits ? OffloadStatus.Ok : OffloadStatus.BadHeader), $"segment: complete checksum status {status}");
        if (!header.NeedsChecksum || !fits)
        {
            Fuzz.Require(copy.AsSpan().SequenceEqual(packet), "segment: a packet without a completed checksum was changed");
            return;
        }

        if ((header.ChecksumOffset & 1) == 0) // a field on a word boundary of the region: then the sum identity holds
        {
            uint partial = BinaryPrimitives.ReadUInt16BigEndian(packet[at..]);
            Fuzz.Require(Fuzz.ChecksumVerifies(copy.AsSpan(start), partial), "segment: the completed checksum does not verify");
        }
    }
}
