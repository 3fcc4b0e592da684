using MptFast.Engine.Classify;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Classify;

public class PacketClassifierTests
{
    [Theory]
    [InlineData(6, (ushort)40000, (ushort)80)]
    [InlineData(17, (ushort)5353, (ushort)53)]
    public void Ipv4_tcp_and_udp_yield_ports(byte protocol, ushort src, ushort dst)
    {
        FlowKey key = PacketClassifier.Classify(TestPackets.Ipv4(protocol, src, dst));
        Assert.Equal(new FlowKey(4, protocol, src, dst, true), key);
    }

    [Fact]
    public void Ipv4_options_are_skipped_by_ihl()
    {
        FlowKey key = PacketClassifier.Classify(TestPackets.Ipv4(6, 1234, 443, optionWords: 3));
        Assert.True(key.HasPorts);
        Assert.Equal((ushort)1234, key.SourcePort);
        Assert.Equal((ushort)443, key.DestinationPort);
    }

    [Fact]
    public void Ipv4_first_fragment_has_ports_and_later_fragments_do_not()
    {
        Assert.True(PacketClassifier.Classify(TestPackets.Ipv4(17, 1, 2, fragmentField: 0x2000)).HasPorts);
        FlowKey later = PacketClassifier.Classify(TestPackets.Ipv4(17, 1, 2, fragmentField: 0x2000 | 185));
        Assert.False(later.HasPorts);
        Assert.Equal((byte)17, later.Protocol);
        Assert.Equal((byte)4, later.IpVersion);
    }

    [Fact]
    public void Ipv4_other_protocols_have_no_ports()
    {
        FlowKey key = PacketClassifier.Classify(TestPackets.Ipv4(1, 1, 2));
        Assert.False(key.HasPorts);
        Assert.Equal((byte)1, key.Protocol);
    }

    [Fact]
    public void Ipv4_icmp_test_vector_is_version_4_protocol_1_without_ports()
    {
        byte[] datagram = SharedFiles.LoadVector("data-ipv4-icmp-echo-seq0");
        FlowKey key = PacketClassifier.Classify(datagram.AsSpan(8));
        Assert.Equal(new FlowKey(4, 1, 0, 0, false), key);
    }

    [Fact]
    public void Ipv6_icmp_test_vector_is_version_6_protocol_58_without_ports()
    {
        byte[] datagram = SharedFiles.LoadVector("data-ipv6-icmp6-echo-noseq");
        FlowKey key = PacketClassifier.Classify(datagram.AsSpan(4));
        Assert.Equal(new FlowKey(6, 58, 0, 0, false), key);
    }

    [Fact]
    public void Ipv4_bad_ihl_or_lengths_yield_no_ports()
    {
        byte[] ihl4 = TestPackets.Ipv4(6, 1, 2);
        ihl4[0] = 0x44;
        Assert.Equal(default, PacketClassifier.Classify(ihl4));

        byte[] ihlBeyond = TestPackets.Ipv4(6, 1, 2);
        ihlBeyond[0] = 0x4F; // 60-byte header in a 28-byte packet
        Assert.False(PacketClassifier.Classify(ihlBeyond).HasPorts);

        byte[] totalTooLong = TestPackets.Ipv4(6, 1, 2);
        totalTooLong[3] = 200;
        Assert.False(PacketClassifier.Classify(totalTooLong).HasPorts);

        byte[] totalBelowHeader = TestPackets.Ipv4(6, 1, 2);
        totalBelowHeader[2] = 0;
        totalBelowHeader[3] = 12;
        Assert.False(PacketClassifier.Classify(totalBelowHeader).HasPorts);
    }

    [Fact]
    public void Ipv4_ports_beyond_total_length_are_not_read()
    {
        byte[] packet = TestPackets.Ipv4(6, 1, 2);
        packet[3] = 22; // total length covers only half of the ports
        Assert.False(PacketClassifier.Classify(packet).HasPorts);
    }

    [Fact]
    public void Ipv6_tcp_without_extension_headers_yields_ports()
    {
        Assert.Equal(new FlowKey(6, 6, 5000, 22, true), PacketClassifier.Classify(TestPackets.Ipv6(6, 5000, 22)));
    }

    [Fact]
    public void Ipv6_hop_by_hop_routing_and_destination_options_are_walked()
    {
        byte[] packet = TestPackets.Ipv6(17, 4000, 53, [(0, TestPackets.Extension(0)), (43, TestPackets.Extension(2)), (60, TestPackets.Extension(1))]);
        Assert.Equal(new FlowKey(6, 17, 4000, 53, true), PacketClassifier.Classify(packet));
    }

    [Fact]
    public void Ipv6_first_fragment_has_ports_and_later_fragments_do_not()
    {
        byte[] first = TestPackets.Ipv6(6, 7, 8, [(44, TestPackets.FragmentHeader(0, more: true))]);
        Assert.Equal(new FlowKey(6, 6, 7, 8, true), PacketClassifier.Classify(first));

        byte[] later = TestPackets.Ipv6(6, 7, 8, [(44, TestPackets.FragmentHeader(100, more: false))]);
        Assert.Equal(new FlowKey(6, 6, 0, 0, false), PacketClassifier.Classify(later));
    }

    [Fact]
    public void Ipv6_extension_header_walk_is_capped()
    {
        var eight = new (byte, byte[])[PacketClassifier.MaxExtensionHeaders];
        for (int i = 0; i < eight.Length; i++)
        {
            eight[i] = (60, TestPackets.Extension(0));
        }

        Assert.True(PacketClassifier.Classify(TestPackets.Ipv6(6, 1, 2, eight)).HasPorts);

        var nine = new (byte, byte[])[PacketClassifier.MaxExtensionHeaders + 1];
        Array.Fill(nine, ((byte)60, TestPackets.Extension(0)));
        Assert.False(PacketClassifier.Classify(TestPackets.Ipv6(6, 1, 2, nine)).HasPorts);
    }

    [Fact]
    public void Ipv6_extension_header_running_past_the_payload_yields_no_ports()
    {
        byte[] packet = TestPackets.Ipv6(6, 1, 2, [(0, TestPackets.Extension(0))]);
        packet[41] = 200; // hop-by-hop claims 1608 bytes
        Assert.False(PacketClassifier.Classify(packet).HasPorts);
    }

    [Fact]
    public void Ipv6_payload_length_beyond_the_buffer_yields_no_ports()
    {
        byte[] packet = TestPackets.Ipv6(6, 1, 2);
        packet[4] = 0x05;
        FlowKey key = PacketClassifier.Classify(packet);
        Assert.False(key.HasPorts);
        Assert.Equal((byte)6, key.IpVersion);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x45 })]
    [InlineData(new byte[] { 0x55, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 })]
    [InlineData(new byte[] { 0x60, 0, 0, 0 })]
    public void Short_or_unknown_version_packets_classify_as_nothing(byte[] packet)
    {
        Assert.Equal(default, PacketClassifier.Classify(packet));
    }

    [Fact]
    public void Every_truncation_and_random_corruption_is_handled_without_exceptions()
    {
        byte[][] seeds =
        [
            TestPackets.Ipv4(6, 1, 2, optionWords: 2),
            TestPackets.Ipv6(17, 3, 4, [(0, TestPackets.Extension(1)), (44, TestPackets.FragmentHeader(0, true)), (60, TestPackets.Extension(0))]),
        ];
        for (int seed = 0; seed < 2000; seed++)
        {
            var random = new Random(seed);
            byte[] packet = (byte[])seeds[seed % 2].Clone();
            int flips = random.Next(0, 6);
            for (int f = 0; f < flips; f++)
            {
                packet[random.Next(packet.Length)] = (byte)random.Next(256);
            }

            int length = random.Next(packet.Length + 1);
            FlowKey key = PacketClassifier.Classify(packet.AsSpan(0, length));
            Assert.True(!key.HasPorts || key.Protocol is 6 or 17, $"seed {seed}: ports for protocol {key.Protocol}");
            Assert.True(key.IpVersion is 0 or 4 or 6, $"seed {seed}");
        }
    }
}
