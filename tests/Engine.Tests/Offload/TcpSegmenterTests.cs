using System.Buffers.Binary;
using MptFast.Engine.Offload;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Offload;

public class TcpSegmenterTests
{
    /// <summary>version, IPv4 option bytes, TCP option bytes, payload, MSS, TCP flags of the super-packet.</summary>
    public static TheoryData<int, int, int, int, int, byte> Cases => new()
    {
        { 4, 0, 0, 4000, 1460, TcpPackets.Ack | TcpPackets.Psh },
        { 4, 0, 12, 65483, 1448, TcpPackets.Ack | TcpPackets.Psh | TcpPackets.Fin },
        { 4, 8, 12, 2896, 1448, TcpPackets.Ack | TcpPackets.Cwr | TcpPackets.Psh },
        { 4, 0, 40, 1000, 1000, TcpPackets.Ack | TcpPackets.Fin },
        { 4, 0, 0, 1, 536, TcpPackets.Ack },
        { 6, 0, 0, 5000, 1440, TcpPackets.Ack | TcpPackets.Psh },
        { 6, 0, 12, 65000, 1428, TcpPackets.Ack | TcpPackets.Psh | TcpPackets.Fin | TcpPackets.Cwr },
        { 6, 0, 12, 1429, 1428, TcpPackets.Ack },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Segments_equal_packets_built_from_scratch_with_ids_sequences_flags_lengths_and_checksums(
        int version, int ipOptions, int tcpOptions, int payloadLength, int mss, byte flags)
    {
        byte[] payload = TcpPackets.Payload(payloadLength, payloadLength);
        const ushort id = 0xFFFE; // wraps during the split
        const uint sequence = 0xFFFFF000; // wraps too
        byte[] super = TcpPackets.Build(version, ipOptions, tcpOptions, id, sequence, flags, payload);
        int ip = version == 4 ? 20 + ipOptions : 40;
        BinaryPrimitives.WriteUInt16BigEndian(super.AsSpan(ip + 16), TcpPackets.PartialChecksum(super, ip));
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum,
            version == 4 ? VirtioNetHeader.GsoTcpV4 : VirtioNetHeader.GsoTcpV6, 0, (ushort)mss, (ushort)ip, 16);

        Assert.Equal(OffloadStatus.Ok, TcpSegmenter.TryPlan(super, header, out TcpSegmentPlan plan));
        int expectedCount = (payloadLength + mss - 1) / mss;
        Assert.Equal(expectedCount, plan.SegmentCount);
        Assert.Equal(ip + 20 + tcpOptions, plan.HeaderLength);

        byte[] destination = new byte[2048];
        for (int i = 0; i < plan.SegmentCount; i++)
        {
            int length = TcpSegmenter.WriteSegment(super, plan, i, destination);
            Assert.Equal(plan.SegmentLength(i), length);
            bool last = i == plan.SegmentCount - 1;
            byte segmentFlags = flags;
            if (!last)
            {
                segmentFlags &= unchecked((byte)~(TcpPackets.Fin | TcpPackets.Psh));
            }

            if (i > 0)
            {
                segmentFlags &= unchecked((byte)~TcpPackets.Cwr);
            }

            int from = i * mss;
            byte[] expected = TcpPackets.Build(version, ipOptions, tcpOptions, (ushort)(id + i), sequence + (uint)from,
                segmentFlags, payload.AsSpan(from, Math.Min(mss, payloadLength - from)));
            Assert.True(expected.AsSpan().SequenceEqual(destination.AsSpan(0, length)), $"segment {i} of {plan.SegmentCount} differs");
        }
    }

    [Fact]
    public void Random_super_packets_split_into_segments_whose_payloads_concatenate_and_checksums_verify()
    {
        const int seed = 8086;
        var random = new Random(seed);
        byte[] destination = new byte[9200]; // 60 IP + 60 TCP + 9000 MSS
        for (int round = 0; round < 300; round++)
        {
            int version = random.Next(2) == 0 ? 4 : 6;
            int ipOptions = version == 4 ? random.Next(11) * 4 : 0;
            int tcpOptions = random.Next(11) * 4;
            int mss = random.Next(1, 9000);
            int header = (version == 4 ? 20 + ipOptions : 40) + 20 + tcpOptions;
            int payloadLength = random.Next(0, 65535 - header + 1);
            byte[] payload = TcpPackets.Payload(payloadLength, round);
            byte[] super = TcpPackets.Build(version, ipOptions, tcpOptions, (ushort)random.Next(65536), (uint)random.Next(), TcpPackets.Ack, payload);
            var vnet = new VirtioNetHeader(0, version == 4 ? VirtioNetHeader.GsoTcpV4 : VirtioNetHeader.GsoTcpV6, 0, (ushort)mss, 0, 0);
            string context = $"seed {seed} round {round}: v{version} ipopt {ipOptions} tcpopt {tcpOptions} mss {mss} payload {payloadLength}";
            Assert.True(TcpSegmenter.TryPlan(super, vnet, out TcpSegmentPlan plan) == OffloadStatus.Ok, context);
            var joined = new List<byte>(payloadLength);
            for (int i = 0; i < plan.SegmentCount; i++)
            {
                int length = TcpSegmenter.WriteSegment(super, plan, i, destination);
                Assert.True(length > 0, context);
                byte[] segment = destination[..length];
                int ip = plan.IpHeaderLength;
                Assert.True(version == 6 || InternetChecksum.Verifies(segment.AsSpan(0, ip)), $"{context}: IPv4 header checksum of {i}");
                Assert.True(TcpPackets.TransportChecksum(segment, ip) == BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(ip + 16)), $"{context}: TCP checksum of {i}");
                joined.AddRange(segment.AsSpan(plan.HeaderLength).ToArray());
            }

            Assert.True(payload.AsSpan().SequenceEqual(joined.ToArray()), context);
        }
    }

    [Fact]
    public void Ipv6_super_packet_with_a_destination_options_header_keeps_it_in_every_segment()
    {
        byte[] plain = TcpPackets.Build(6, 0, 12, 0, 5000, TcpPackets.Ack | TcpPackets.Fin, TcpPackets.Payload(3000, 7));
        byte[] super = WithExtension(plain, 60);
        var tso6 = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoTcpV6, 0, 1400, 48, 16);
        Assert.Equal(OffloadStatus.Ok, TcpSegmenter.TryPlan(super, tso6, out TcpSegmentPlan plan));
        Assert.Equal(48, plan.IpHeaderLength);
        Assert.Equal(3, plan.SegmentCount);
        byte[] destination = new byte[1600];
        for (int i = 0; i < 3; i++)
        {
            int length = TcpSegmenter.WriteSegment(super, plan, i, destination);
            byte[] segment = destination[..length];
            Assert.Equal(length - 40, BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(4)));
            Assert.Equal(super.AsSpan(40, 8).ToArray(), segment.AsSpan(40, 8).ToArray());
            Assert.Equal(TcpPackets.TransportChecksum(segment, 48), BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(48 + 16)));
            Assert.Equal(i == 2, (segment[48 + 13] & TcpPackets.Fin) != 0);
        }

        Assert.Equal(OffloadStatus.NotTcp, TcpSegmenter.TryPlan(WithExtension(plain, 43), tso6, out _)); // routing header
        Assert.Equal(OffloadStatus.NotTcp, TcpSegmenter.TryPlan(super, tso6 with { ChecksumStart = 56 }, out _));
    }

    /// <summary>Inserts an 8-byte extension header of type <paramref name="type"/> between the IPv6 header and TCP.</summary>
    private static byte[] WithExtension(byte[] plain, byte type)
    {
        byte[] p = [.. plain.AsSpan(0, 40), 6, 0, 1, 4, 0, 0, 0, 0, .. plain.AsSpan(40)];
        p[6] = type;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(p.Length - 40));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(48 + 16), TcpPackets.TransportChecksum(p, 48));
        return p;
    }

    [Fact]
    public void Complete_checksum_fills_the_partial_tcp_checksum_of_a_single_packet()
    {
        foreach (int version in new[] { 4, 6 })
        {
            byte[] good = TcpPackets.Build(version, 0, 12, 7, 1000, TcpPackets.Ack | TcpPackets.Psh, TcpPackets.Payload(333, version));
            int ip = version == 4 ? 20 : 40;
            byte[] partial = (byte[])good.Clone();
            BinaryPrimitives.WriteUInt16BigEndian(partial.AsSpan(ip + 16), TcpPackets.PartialChecksum(good, ip));
            var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoNone, 0, 0, (ushort)ip, 16);
            Assert.Equal(OffloadStatus.Ok, TcpSegmenter.CompleteChecksum(partial, header));
            Assert.Equal(good, partial);
        }
    }

    [Fact]
    public void Complete_checksum_of_a_udp_packet_summing_to_zero_writes_0xffff()
    {
        // IPv4 + UDP (8) + 2-byte payload chosen so that the complete checksum computes to 0.
        byte[] p = new byte[30];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 30);
        p[9] = 17;
        TcpPackets.Source4.CopyTo(p, 12);
        TcpPackets.Destination4.CopyTo(p, 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), 53);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), 5353);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), 10);
        byte[] pseudo = [.. TcpPackets.Source4, .. TcpPackets.Destination4, 0, 17, 0, 10];
        ushort partial = (ushort)~InternetChecksum.Compute(pseudo);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(26), partial);
        // Sum so far (folded) s; payload word w = ~s makes the total 0xFFFF, so the checksum would be 0.
        ushort s = (ushort)~InternetChecksum.Compute(p.AsSpan(20));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(28), (ushort)~s);
        Assert.Equal(0, InternetChecksum.Compute(p.AsSpan(20)));

        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoNone, 0, 0, 20, 6);
        Assert.Equal(OffloadStatus.Ok, TcpSegmenter.CompleteChecksum(p, header));
        Assert.Equal(0xFFFF, BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(26)));
    }

    [Fact]
    public void Complete_checksum_leaves_packets_without_needs_csum_alone_and_rejects_offsets_past_the_end()
    {
        byte[] packet = TcpPackets.Build(4, 0, 0, 1, 1, TcpPackets.Ack, [1, 2, 3]);
        byte[] copy = (byte[])packet.Clone();
        Assert.Equal(OffloadStatus.Ok, TcpSegmenter.CompleteChecksum(packet, default));
        Assert.Equal(copy, packet);
        var beyond = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, 0, 0, 0, 20, (ushort)(packet.Length - 20 - 1));
        Assert.Equal(OffloadStatus.BadHeader, TcpSegmenter.CompleteChecksum(packet, beyond));
        Assert.Equal(copy, packet);
    }

    [Fact]
    public void Plan_rejects_unsupported_or_inconsistent_super_packets()
    {
        byte[] v4 = TcpPackets.Build(4, 0, 0, 1, 1, TcpPackets.Ack, new byte[3000]);
        byte[] v6 = TcpPackets.Build(6, 0, 0, 1, 1, TcpPackets.Ack, new byte[3000]);
        var tso4 = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoTcpV4, 40, 1400, 20, 16);
        var tso6 = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoTcpV6, 60, 1400, 40, 16);

        Assert.Equal(OffloadStatus.Ok, TcpSegmenter.TryPlan(v4, tso4, out _));
        Assert.Equal(OffloadStatus.Ok, TcpSegmenter.TryPlan(v6, tso6, out _));
        Assert.Equal(OffloadStatus.Ok, TcpSegmenter.TryPlan(v4, tso4 with { GsoType = VirtioNetHeader.GsoTcpV4 | VirtioNetHeader.GsoEcn }, out _));
        Assert.Equal(OffloadStatus.UnsupportedGso, TcpSegmenter.TryPlan(v4, tso4 with { GsoType = VirtioNetHeader.GsoUdpL4 }, out _));
        Assert.Equal(OffloadStatus.UnsupportedGso, TcpSegmenter.TryPlan(v4, default, out _));
        Assert.Equal(OffloadStatus.BadHeader, TcpSegmenter.TryPlan(v4, tso4 with { GsoSize = 0 }, out _));
        Assert.Equal(OffloadStatus.BadHeader, TcpSegmenter.TryPlan(v4, tso6, out _)); // version vs type
        Assert.Equal(OffloadStatus.BadHeader, TcpSegmenter.TryPlan(v4, tso4 with { ChecksumStart = 24 }, out _));
        Assert.Equal(OffloadStatus.BadHeader, TcpSegmenter.TryPlan(v4.AsSpan(0, v4.Length - 1), tso4, out _)); // total length
        Assert.Equal(OffloadStatus.Truncated, TcpSegmenter.TryPlan(v4.AsSpan(0, 12), tso4, out _));

        byte[] udp = (byte[])v4.Clone();
        udp[9] = 17;
        Assert.Equal(OffloadStatus.NotTcp, TcpSegmenter.TryPlan(udp, tso4, out _));
        byte[] extension = (byte[])v6.Clone();
        extension[6] = 0; // hop-by-hop options first
        Assert.Equal(OffloadStatus.NotTcp, TcpSegmenter.TryPlan(extension, tso6, out _));
        byte[] badOffset = (byte[])v4.Clone();
        badOffset[32] = 0x40; // data offset 16 bytes < 20
        Assert.Equal(OffloadStatus.BadHeader, TcpSegmenter.TryPlan(badOffset, tso4, out _));
    }

    [Fact]
    public void Write_segment_refuses_a_small_destination_and_an_index_out_of_range()
    {
        byte[] v4 = TcpPackets.Build(4, 0, 0, 1, 1, TcpPackets.Ack, new byte[3000]);
        var tso4 = new VirtioNetHeader(0, VirtioNetHeader.GsoTcpV4, 0, 1400, 0, 0);
        Assert.Equal(OffloadStatus.Ok, TcpSegmenter.TryPlan(v4, tso4, out TcpSegmentPlan plan));
        Assert.Equal(3, plan.SegmentCount);
        Assert.Equal(-1, TcpSegmenter.WriteSegment(v4, plan, 0, new byte[1439]));
        Assert.Equal(1440, TcpSegmenter.WriteSegment(v4, plan, 0, new byte[1440]));
        Assert.Equal(240, TcpSegmenter.WriteSegment(v4, plan, 2, new byte[1440]));
        Assert.Equal(-1, TcpSegmenter.WriteSegment(v4, plan, 3, new byte[1440]));
        Assert.Equal(-1, TcpSegmenter.WriteSegment(v4, plan, -1, new byte[1440]));
    }
}
