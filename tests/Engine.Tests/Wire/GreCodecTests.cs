using System.Buffers.Binary;
using MptFast.Engine.Wire;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Wire;

public class GreCodecTests
{
    // (vector, S bit, sequence, protocol, inner version, inner source last byte, inner destination last byte)
    public static TheoryData<string, bool, uint, ushort, int, byte, byte> DataVectors => new()
    {
        { "data-ipv4-icmp-echo-noseq", false, 0, 0x0800, 4, 1, 2 },
        { "data-ipv4-icmp-reply-noseq", false, 0, 0x0800, 4, 2, 1 },
        { "data-ipv4-icmp-echo-seq0", true, 0, 0x0800, 4, 1, 2 },
        { "data-ipv4-icmp-echo-seq1", true, 1, 0x0800, 4, 1, 2 },
        { "data-ipv6-icmp6-echo-noseq", false, 0, 0x86DD, 6, 1, 2 },
    };

    [Theory]
    [MemberData(nameof(DataVectors))]
    public void Decode_reads_every_annotated_field_of_the_data_vectors(string name, bool seq, uint sequence, ushort protocol, int version, byte srcLast, byte dstLast)
    {
        byte[] packet = SharedFiles.LoadVector(name);

        Assert.Equal(GreStatus.Ok, GreCodec.Decode(packet, out GreFrame frame));

        Assert.Equal(seq ? 0x10 : 0x00, frame.Flags);
        Assert.Equal(seq, frame.HasSequence);
        Assert.False(frame.HasChecksum);
        Assert.False(frame.HasKey);
        Assert.Equal(sequence, frame.Sequence);
        Assert.Equal(protocol, frame.ProtocolType);
        Assert.Equal(seq ? 8 : 4, frame.HeaderLength);
        Assert.Equal(packet.Length - frame.HeaderLength, frame.PayloadLength);
        Assert.Equal(GrePayloadKind.Data, frame.Kind);
        Assert.Equal(version, frame.InnerVersion);
        Assert.True(frame.ProtocolMatchesInner);

        ReadOnlySpan<byte> inner = frame.PayloadOf(packet);
        Assert.Equal(version == 4 ? 44 : 64, inner.Length);
        int addressLength = version == 4 ? 4 : 16;
        int srcOffset = version == 4 ? 12 : 8;
        Assert.Equal(srcLast, inner[srcOffset + addressLength - 1]);
        Assert.Equal(dstLast, inner[srcOffset + (2 * addressLength) - 1]);
        Assert.True(inner[^16..].SequenceEqual("MPT test vector!"u8));
    }

    [Theory]
    [MemberData(nameof(DataVectors))]
    public void Encapsulate_rebuilds_the_data_vectors_from_the_inner_packet(string name, bool seq, uint sequence, ushort protocol, int version, byte srcLast, byte dstLast)
    {
        _ = (protocol, version, srcLast, dstLast);
        byte[] expected = SharedFiles.LoadVector(name);
        byte[] inner = expected[(seq ? 8 : 4)..];
        const int headroom = 16;
        byte[] buffer = new byte[headroom + inner.Length];
        inner.CopyTo(buffer, headroom);

        Assert.Equal(GreEncodeStatus.Ok, GreCodec.Encapsulate(buffer, headroom, inner.Length, seq, sequence, out int start));

        Assert.Equal(headroom - (seq ? 8 : 4), start);
        Assert.Equal(expected, buffer[start..]);
    }

    [Fact]
    public void Encapsulate_labels_each_packet_by_its_own_version_nibble()
    {
        // B01: an IPv6 packet on an IPv4 connection still gets 0x86DD, and vice versa.
        byte[] v6 = SharedFiles.LoadVector("data-ipv6-icmp6-echo-noseq")[4..];
        byte[] v4 = SharedFiles.LoadVector("data-ipv4-icmp-echo-noseq")[4..];
        foreach ((byte[] inner, ushort protocol) in new[] { (v6, (ushort)0x86DD), (v4, (ushort)0x0800) })
        {
            byte[] buffer = new byte[8 + inner.Length];
            inner.CopyTo(buffer, 8);
            Assert.Equal(GreEncodeStatus.Ok, GreCodec.Encapsulate(buffer, 8, inner.Length, true, 7, out int start));
            Assert.Equal(protocol, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(start + 2)));
        }
    }

    [Theory]
    [InlineData(3, false, 44, GreEncodeStatus.InsufficientHeadroom)]
    [InlineData(7, true, 44, GreEncodeStatus.InsufficientHeadroom)]
    [InlineData(8, true, 0, GreEncodeStatus.InvalidRange)]
    [InlineData(8, true, 45, GreEncodeStatus.InvalidRange)]
    [InlineData(-1, false, 44, GreEncodeStatus.InvalidRange)]
    public void Encapsulate_rejects_bad_ranges_without_throwing(int payloadOffset, bool seq, int length, GreEncodeStatus expected)
    {
        byte[] buffer = new byte[8 + 44];
        SharedFiles.LoadVector("data-ipv4-icmp-echo-noseq").AsSpan(4).CopyTo(buffer.AsSpan(8));
        Assert.Equal(expected, GreCodec.Encapsulate(buffer, payloadOffset, length, seq, 0, out _));
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x50)]
    [InlineData(0x90)]
    public void Encapsulate_drops_packets_that_are_not_ipv4_or_ipv6(byte firstByte)
    {
        byte[] buffer = new byte[32];
        buffer[8] = firstByte;
        Assert.Equal(GreEncodeStatus.NotIpPacket, GreCodec.Encapsulate(buffer, 8, 24, false, 0, out _));
    }

    [Theory]
    [InlineData(0x01)]
    [InlineData(0x07)]
    public void Decode_rejects_gre_version_other_than_0(byte byte1)
    {
        byte[] packet = SharedFiles.LoadVector("data-ipv4-icmp-echo-noseq");
        packet[1] = byte1;
        Assert.Equal(GreStatus.BadVersion, GreCodec.Decode(packet, out _));
    }

    [Theory]
    [InlineData(0, 0x40)]
    [InlineData(0, 0x08)]
    [InlineData(0, 0x04)]
    [InlineData(0, 0x02)]
    [InlineData(0, 0x01)]
    [InlineData(1, 0x80)]
    [InlineData(1, 0x08)]
    public void Decode_rejects_reserved0_bits(int offset, byte bit)
    {
        byte[] packet = SharedFiles.LoadVector("data-ipv4-icmp-echo-noseq");
        packet[offset] |= bit;
        Assert.Equal(GreStatus.ReservedBitsSet, GreCodec.Decode(packet, out _));
    }

    [Fact]
    public void Decode_verifies_the_checksum_when_the_c_bit_is_set()
    {
        byte[] inner = SharedFiles.LoadVector("data-ipv4-icmp-echo-noseq")[4..];
        byte[] packet = WithOptions(0x80, 0x0800, inner, key: null, sequence: null);

        Assert.Equal(GreStatus.Ok, GreCodec.Decode(packet, out GreFrame frame));
        Assert.True(frame.HasChecksum);
        Assert.Equal(8, frame.HeaderLength);
        Assert.Equal(inner, frame.PayloadOf(packet).ToArray());

        packet[^1] ^= 0x01;
        Assert.Equal(GreStatus.BadChecksum, GreCodec.Decode(packet, out _));
    }

    [Fact]
    public void Decode_rejects_a_c_bit_packet_whose_checksum_field_is_zero()
    {
        byte[] inner = SharedFiles.LoadVector("data-ipv4-icmp-echo-noseq")[4..];
        byte[] packet = WithOptions(0x80, 0x0800, inner, key: null, sequence: null);
        packet[4] = 0;
        packet[5] = 0;
        Assert.Equal(GreStatus.BadChecksum, GreCodec.Decode(packet, out _));
    }

    [Fact]
    public void Decode_exposes_the_key_when_the_k_bit_is_set()
    {
        byte[] inner = SharedFiles.LoadVector("data-ipv4-icmp-echo-noseq")[4..];
        byte[] packet = WithOptions(0x20, 0x0800, inner, key: 0xDEADBEEF, sequence: null);

        Assert.Equal(GreStatus.Ok, GreCodec.Decode(packet, out GreFrame frame));
        Assert.True(frame.HasKey);
        Assert.Equal(0xDEADBEEFu, frame.Key);
        Assert.False(frame.HasSequence);
        Assert.Equal(8, frame.HeaderLength);
        Assert.Equal(inner, frame.PayloadOf(packet).ToArray());
    }

    [Fact]
    public void Decode_orders_checksum_key_and_sequence_as_rfc_2890()
    {
        byte[] inner = SharedFiles.LoadVector("data-ipv6-icmp6-echo-noseq")[4..];
        byte[] packet = WithOptions(0xB0, 0x86DD, inner, key: 0x01020304, sequence: 0xFFFFFFFE);

        Assert.Equal(GreStatus.Ok, GreCodec.Decode(packet, out GreFrame frame));
        Assert.Equal(16, frame.HeaderLength);
        Assert.Equal(0x01020304u, frame.Key);
        Assert.Equal(0xFFFFFFFEu, frame.Sequence);
        Assert.Equal(inner, frame.PayloadOf(packet).ToArray());
    }

    [Fact]
    public void Decode_accepts_0x0800_on_an_ipv6_payload_as_original_peers_label_per_connection()
    {
        // MPT-SPEC §12.5: decide the family from the inner version, not from the protocol type.
        byte[] packet = SharedFiles.LoadVector("data-ipv6-icmp6-echo-noseq");
        packet[2] = 0x08;
        packet[3] = 0x00;

        Assert.Equal(GreStatus.Ok, GreCodec.Decode(packet, out GreFrame frame));
        Assert.Equal(6, frame.InnerVersion);
        Assert.False(frame.ProtocolMatchesInner);
    }

    [Fact]
    public void Decode_accepts_0x86dd_on_an_ipv4_payload_from_an_ipv6_connection()
    {
        byte[] packet = SharedFiles.LoadVector("data-ipv4-icmp-echo-noseq");
        packet[2] = 0x86;
        packet[3] = 0xDD;

        Assert.Equal(GreStatus.Ok, GreCodec.Decode(packet, out GreFrame frame));
        Assert.Equal(4, frame.InnerVersion);
        Assert.False(frame.ProtocolMatchesInner);
    }

    [Theory]
    [InlineData(0x0806)]
    [InlineData(0x6558)]
    [InlineData(0x0000)]
    public void Decode_rejects_data_with_a_non_ip_protocol_type(ushort protocol)
    {
        byte[] packet = SharedFiles.LoadVector("data-ipv4-icmp-echo-noseq");
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), protocol);
        Assert.Equal(GreStatus.UnsupportedProtocol, GreCodec.Decode(packet, out _));
    }

    [Theory]
    [InlineData(0x05)]
    [InlineData(0x00)]
    [InlineData(0x09)]
    public void Decode_rejects_data_whose_inner_version_is_not_4_or_6(byte nibble)
    {
        byte[] packet = SharedFiles.LoadVector("data-ipv4-icmp-echo-noseq");
        packet[4] = (byte)((nibble << 4) | 5);
        Assert.Equal(GreStatus.BadInnerVersion, GreCodec.Decode(packet, out _));
    }

    [Theory]
    [InlineData("data-ipv4-icmp-echo-noseq")]
    [InlineData("data-ipv6-icmp6-echo-noseq")]
    public void Decode_rejects_data_padded_beyond_its_ip_length(string name)
    {
        byte[] packet = [.. SharedFiles.LoadVector(name), 0x00];
        Assert.Equal(GreStatus.BadInnerLength, GreCodec.Decode(packet, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x00, 0x08, 0x00 })]
    [InlineData(new byte[] { 0x10, 0x00, 0x08, 0x00, 0, 0, 0, 5 })]
    public void Decode_rejects_an_empty_payload(byte[] packet) =>
        Assert.Equal(GreStatus.EmptyPayload, GreCodec.Decode(packet, out _));

    [Theory]
    [InlineData(new byte[] { 0x10, 0x00, 0x08, 0x00, 0, 0 })]
    [InlineData(new byte[] { 0xB0, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0x00, 0x00, 0x08 })]
    public void Decode_rejects_headers_shorter_than_their_flags_announce(byte[] packet) =>
        Assert.Equal(GreStatus.Truncated, GreCodec.Decode(packet, out _));

    [Fact]
    public void Decode_classifies_a_first_payload_byte_from_0xa0_as_a_command_whatever_the_protocol()
    {
        byte[] packet = SharedFiles.LoadVector("keepalive-ipv4-a-to-b");
        packet[2] = 0x12;
        packet[3] = 0x34;
        Assert.Equal(GreStatus.Ok, GreCodec.Decode(packet, out GreFrame frame));
        Assert.Equal(GrePayloadKind.Command, frame.Kind);
        Assert.Equal(0xA1, frame.FirstPayloadByte);
        Assert.Equal(0, frame.InnerVersion);

        packet[4] = 0xA0;
        Assert.Equal(GreStatus.Ok, GreCodec.Decode(packet, out frame));
        Assert.Equal(GrePayloadKind.Command, frame.Kind);
    }

    [Fact]
    public void Encapsulate_then_decode_round_trips_random_packets()
    {
        for (int seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            bool v6 = random.Next(2) == 0;
            int length = (v6 ? 40 : 20) + random.Next(1400);
            byte[] buffer = new byte[16 + length];
            Span<byte> inner = buffer.AsSpan(16, length);
            random.NextBytes(inner);
            inner[0] = v6 ? (byte)(0x60 | (inner[0] & 0x0F)) : (byte)0x45;
            if (v6)
            {
                BinaryPrimitives.WriteUInt16BigEndian(inner[4..], (ushort)(length - 40));
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(inner[2..], (ushort)length);
            }

            byte[] original = inner.ToArray();
            bool seq = random.Next(2) == 0;
            uint sequence = (uint)random.NextInt64(0, 1L << 32);

            Assert.True(GreEncodeStatus.Ok == GreCodec.Encapsulate(buffer, 16, length, seq, sequence, out int start), $"seed {seed}");
            Assert.True(GreStatus.Ok == GreCodec.Decode(buffer.AsSpan(start), out GreFrame frame), $"seed {seed}");
            Assert.True(frame.HasSequence == seq && (!seq || frame.Sequence == sequence), $"seed {seed}");
            Assert.True(frame.ProtocolMatchesInner && frame.InnerVersion == (v6 ? 6 : 4), $"seed {seed}");
            Assert.True(frame.PayloadOf(buffer.AsSpan(start)).SequenceEqual(original), $"seed {seed}");
        }
    }

    [Fact]
    public void Decode_never_throws_on_random_datagrams()
    {
        for (int seed = 0; seed < 2000; seed++)
        {
            var random = new Random(seed);
            byte[] packet = new byte[random.Next(0, 80)];
            random.NextBytes(packet);
            if (packet.Length > 1 && random.Next(2) == 0)
            {
                packet[1] = 0; // let more of them past the version check
            }

            GreStatus status = GreCodec.Decode(packet, out GreFrame frame);
            Assert.True(Enum.IsDefined(status), $"seed {seed}");
            Assert.True(status != GreStatus.Ok || frame.HeaderLength + frame.PayloadLength == packet.Length, $"seed {seed}");
        }
    }

    /// <summary>Builds a GRE packet with C/K/S options (RFC 2890 order: checksum, key, sequence) and a valid checksum.</summary>
    private static byte[] WithOptions(byte flags, ushort protocol, byte[] inner, uint? key, uint? sequence)
    {
        bool c = (flags & 0x80) != 0;
        int header = 4 + (c ? 4 : 0) + (key is null ? 0 : 4) + (sequence is null ? 0 : 4);
        byte[] packet = new byte[header + inner.Length];
        packet[0] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), protocol);
        int at = c ? 8 : 4;
        if (key is uint k)
        {
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(at), k);
            at += 4;
        }

        if (sequence is uint s)
        {
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(at), s);
        }

        inner.CopyTo(packet, header);
        if (c)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), InternetChecksum.Compute(packet));
        }

        return packet;
    }
}
