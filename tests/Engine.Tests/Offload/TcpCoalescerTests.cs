using System.Buffers.Binary;
using MptFast.Engine.Buffers;
using MptFast.Engine.Offload;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Offload;

public sealed class TcpCoalescerTests : IDisposable
{
    private readonly PacketPool _pool = new(PacketBatch.MaxPackets * 2, 2048);
    private readonly PacketBatch _batch;
    private readonly TcpCoalescer _coalescer = new();

    public TcpCoalescerTests()
    {
        _batch = new PacketBatch(_pool);
    }

    public void Dispose()
    {
        _batch.Dispose();
        _pool.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Consecutive_segments_of_a_flow_become_one_gso_packet_that_segments_back_to_the_originals(bool v6)
    {
        TcpSpec first = v6 ? TcpSpec.V6Default() : new TcpSpec();
        byte[][] stream = CoalescerPackets.Stream(first with { Options = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2] }, 5, 1200);
        stream[4] = CoalescerPackets.Build(first with
        {
            Options = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2], Seq = first.Seq + (4 * 1200), Id = (ushort)(first.Id + 4),
            PayloadLength = 700, Flags = TcpSegment.FlagAck | TcpSegment.FlagPsh,
        });
        Load(stream);

        Assert.Equal(1, _coalescer.Plan(_batch, stream.Length));
        Assert.Equal(5, _coalescer.CountOf(0));
        byte[] buffer = new byte[70000];
        int length = _coalescer.WriteSuperPacket(_batch, 0, buffer);
        int ip = v6 ? 40 : 20;
        Assert.Equal(ip + 32 + (4 * 1200) + 700, length);

        ReadOnlySpan<byte> virtio = buffer.AsSpan(0, TcpCoalescer.VirtioHeaderSize);
        Assert.Equal(TcpCoalescer.VirtioNeedsChecksum, virtio[0]);
        Assert.Equal(v6 ? TcpCoalescer.VirtioGsoTcpV6 : TcpCoalescer.VirtioGsoTcpV4, virtio[1]);
        Assert.Equal(ip + 32, BinaryPrimitives.ReadUInt16LittleEndian(virtio[2..])); // hdr_len
        Assert.Equal(1200, BinaryPrimitives.ReadUInt16LittleEndian(virtio[4..])); // gso_size
        Assert.Equal(ip, BinaryPrimitives.ReadUInt16LittleEndian(virtio[6..])); // csum_start
        Assert.Equal(16, BinaryPrimitives.ReadUInt16LittleEndian(virtio[8..])); // csum_offset

        byte[] super = buffer.AsSpan(TcpCoalescer.VirtioHeaderSize, length).ToArray();
        Assert.Equal(TcpSegmentKind.Candidate, TcpSegment.Parse(super).Kind);
        if (!v6)
        {
            Assert.True(InternetChecksum.Verifies(super.AsSpan(0, 20)));
        }

        // The checksum field holds the pseudo-header sum: completing it over the TCP bytes gives a valid packet.
        ushort partial = BinaryPrimitives.ReadUInt16BigEndian(super.AsSpan(ip + 16));
        Assert.Equal(TcpSegment.PseudoHeaderSum(super, v6, super.Length - ip), partial);
        BinaryPrimitives.WriteUInt16BigEndian(super.AsSpan(ip + 16), InternetChecksum.Compute(super.AsSpan(ip)));
        Assert.True(TcpSegment.Parse(super).ChecksumValid(super));

        List<byte[]> segments = CoalescerPackets.Segment(virtio, buffer.AsSpan(TcpCoalescer.VirtioHeaderSize, length));
        Assert.Equal(stream.Length, segments.Count);
        for (int i = 0; i < stream.Length; i++)
        {
            Assert.Equal(stream[i], segments[i]);
        }
    }

    public static TheoryData<string> Breakers() =>
    [
        "port", "ack", "window", "options", "ttl", "tos", "gap", "longer", "syn", "fin", "rst", "urg", "ece", "no-ack",
        "empty", "bad-tcp-checksum", "bad-ip-checksum", "fragment", "df", "v6",
    ];

    [Theory]
    [MemberData(nameof(Breakers))]
    public void A_segment_that_differs_in_a_merge_relevant_way_is_not_merged(string what)
    {
        var a = new TcpSpec { Options = [1, 1, 1, 1] };
        var next = a with { Seq = a.Seq + 1000, Id = 101 };
        byte[]? raw = null;
        switch (what)
        {
            case "port": next = next with { SourcePort = 1 }; break;
            case "ack": next = next with { Ack = 78 }; break;
            case "window": next = next with { Window = 513 }; break;
            case "options": next = next with { Options = [1, 1, 1, 0] }; break;
            case "ttl": next = next with { Ttl = 63 }; break;
            case "tos": next = next with { Tos = 3 }; break;
            case "gap": next = next with { Seq = a.Seq + 1001 }; break;
            case "longer": next = next with { PayloadLength = 1001 }; break;
            case "syn": next = next with { Flags = TcpSegment.FlagAck | TcpSegment.FlagSyn }; break;
            case "fin": next = next with { Flags = TcpSegment.FlagAck | TcpSegment.FlagFin }; break;
            case "rst": next = next with { Flags = TcpSegment.FlagAck | TcpSegment.FlagRst }; break;
            case "urg": next = next with { Flags = TcpSegment.FlagAck | 0x20 }; break;
            case "ece": next = next with { Flags = TcpSegment.FlagAck | 0x40 }; break;
            case "no-ack": next = next with { Flags = TcpSegment.FlagPsh }; break;
            case "empty": next = next with { PayloadLength = 0 }; break;
            case "fragment": next = next with { FragmentField = 0x2000 }; break;
            case "df": next = next with { FragmentField = 0 }; break;
            case "v6": next = TcpSpec.V6Default() with { Seq = next.Seq, Options = next.Options }; break;
            case "bad-tcp-checksum":
                raw = CoalescerPackets.Build(next);
                raw[^1] ^= 0x40;
                break;
            case "bad-ip-checksum":
                raw = CoalescerPackets.Build(next);
                raw[10] ^= 0x01;
                break;
        }

        Load([CoalescerPackets.Build(a), raw ?? CoalescerPackets.Build(next)]);
        Assert.Equal(2, _coalescer.Plan(_batch, 2));
        Assert.Equal(1, _coalescer.CountOf(0));
        Assert.Equal(1, _coalescer.CountOf(1));
        Assert.Equal(0, _coalescer.HeadOf(0));
        Assert.Equal(1, _coalescer.HeadOf(1));
    }

    [Fact]
    public void Psh_or_a_short_segment_ends_the_super_packet()
    {
        var a = new TcpSpec();
        byte[][] p =
        [
            CoalescerPackets.Build(a),
            CoalescerPackets.Build(a with { Seq = a.Seq + 1000, Flags = TcpSegment.FlagAck | TcpSegment.FlagPsh }),
            CoalescerPackets.Build(a with { Seq = a.Seq + 2000 }),
            CoalescerPackets.Build(a with { Seq = a.Seq + 3000, PayloadLength = 500 }),
            CoalescerPackets.Build(a with { Seq = a.Seq + 3500, PayloadLength = 500 }),
        ];
        Load(p);
        Assert.Equal(3, _coalescer.Plan(_batch, p.Length));
        Assert.Equal([2, 2, 1], Counts());
        Assert.Equal([0, 2, 4], Heads());

        // A PSH on the head: nothing may follow it.
        Load([CoalescerPackets.Build(a with { Flags = TcpSegment.FlagAck | TcpSegment.FlagPsh }), CoalescerPackets.Build(a with { Seq = a.Seq + 1000 })]);
        Assert.Equal(2, _coalescer.Plan(_batch, 2));
    }

    [Fact]
    public void Interleaved_flows_are_merged_per_flow_in_order_of_their_first_packet()
    {
        var a = new TcpSpec();
        var b = a with { SourcePort = 6000, Seq = 9_000_000 };
        byte[] icmp = Datapath.PumpTests.Icmp(a.Source, a.Destination);
        byte[][] p =
        [
            CoalescerPackets.Build(a), CoalescerPackets.Build(b), icmp, CoalescerPackets.Build(a with { Seq = a.Seq + 1000 }),
            CoalescerPackets.Build(b with { Seq = b.Seq + 1000 }), CoalescerPackets.Build(a with { Seq = a.Seq + 2000 }),
        ];
        Load(p);
        Assert.Equal(3, _coalescer.Plan(_batch, p.Length));
        Assert.Equal([0, 1, 2], Heads());
        Assert.Equal([3, 2, 1], Counts());
        Assert.Equal([0, 3, 5], Members(0));
    }

    [Fact]
    public void A_pure_ack_or_fin_of_the_flow_is_a_barrier_that_nothing_later_overtakes()
    {
        var a = new TcpSpec();
        byte[][] p =
        [
            CoalescerPackets.Build(a), CoalescerPackets.Build(a with { Seq = a.Seq + 1000 }),
            CoalescerPackets.Build(a with { Seq = a.Seq + 2000, PayloadLength = 0, Ack = 99 }),
            CoalescerPackets.Build(a with { Seq = a.Seq + 2000 }), CoalescerPackets.Build(a with { Seq = a.Seq + 3000 }),
        ];
        Load(p);
        Assert.Equal(3, _coalescer.Plan(_batch, p.Length));
        Assert.Equal([0, 2, 3], Heads());
        Assert.Equal([2, 1, 2], Counts());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_super_packet_never_exceeds_64_KiB(bool v6)
    {
        TcpSpec first = v6 ? TcpSpec.V6Default() : new TcpSpec();
        byte[][] p = CoalescerPackets.Stream(first, 60, 1400);
        Load(p);
        int groups = _coalescer.Plan(_batch, p.Length);
        Assert.Equal(2, groups);
        int header = v6 ? 60 : 40;
        Assert.Equal((TcpCoalescer.MaxSuperPacketLength - header) / 1400, _coalescer.CountOf(0));
        Assert.True(_coalescer.LengthOf(0) <= TcpCoalescer.MaxSuperPacketLength);
        Assert.Equal(60, _coalescer.CountOf(0) + _coalescer.CountOf(1));
    }

    [Fact]
    public void Parse_rejects_ipv4_options_ipv6_extension_headers_and_bad_lengths()
    {
        byte[] good = CoalescerPackets.Build(new TcpSpec());
        Assert.Equal(TcpSegmentKind.Candidate, TcpSegment.Parse(good).Kind);
        byte[] options = (byte[])good.Clone();
        options[0] = 0x46;
        Assert.Equal(TcpSegmentKind.NotTcp, TcpSegment.Parse(options).Kind);
        Assert.Equal(TcpSegmentKind.NotTcp, TcpSegment.Parse(good.AsSpan(0, good.Length - 1)).Kind);
        byte[] v6 = CoalescerPackets.Build(TcpSpec.V6Default());
        Assert.Equal(TcpSegmentKind.Candidate, TcpSegment.Parse(v6).Kind);
        v6[6] = 0; // hop-by-hop options first
        Assert.Equal(TcpSegmentKind.NotTcp, TcpSegment.Parse(v6).Kind);
        byte[] shortOffset = (byte[])good.Clone();
        shortOffset[32] = 0x40; // data offset 16 bytes
        Assert.Equal(TcpSegmentKind.NotTcp, TcpSegment.Parse(shortOffset).Kind);
        Assert.Equal(TcpSegmentKind.NotTcp, TcpSegment.Parse([]).Kind);
    }

    [Fact]
    public void Random_batches_keep_every_packet_once_keep_per_flow_order_and_segment_back_exactly()
    {
        for (int seed = 1; seed <= 150; seed++)
        {
            var random = new Random(seed);
            int flows = random.Next(1, 4);
            var next = new uint[flows];
            var ids = new ushort[flows];
            int count = random.Next(1, PacketBatch.MaxPackets + 1);
            var packets = new byte[count][];
            var flowOf = new int[count];
            for (int i = 0; i < count; i++)
            {
                int f = random.Next(flows);
                flowOf[i] = f;
                var spec = new TcpSpec { V6 = f == 2, SourcePort = (ushort)(1000 + f), Seq = next[f], Id = ids[f]++ };
                if (f == 2)
                {
                    spec = TcpSpec.V6Default() with { SourcePort = 1002, Seq = next[f] };
                }

                int roll = random.Next(10);
                int payload = roll == 0 ? random.Next(1, 1400) : 1400;
                spec = spec with
                {
                    PayloadLength = roll == 1 ? 0 : payload,
                    Flags = roll == 2 ? (byte)(TcpSegment.FlagAck | TcpSegment.FlagPsh) : TcpSegment.FlagAck,
                };
                if (roll == 3)
                {
                    spec = spec with { Seq = spec.Seq + 1 }; // a gap
                }

                packets[i] = CoalescerPackets.Build(spec);
                next[f] = spec.Seq + (uint)spec.PayloadLength;
            }

            Load(packets);
            int groups = _coalescer.Plan(_batch, count);
            var seen = new int[count];
            var lastPosition = new int[3] { -1, -1, -1 };
            var output = new List<byte[]>();
            for (int g = 0; g < groups; g++)
            {
                foreach (int e in Members(g))
                {
                    seen[e]++;
                    Assert.True(e > lastPosition[flowOf[e]], $"seed {seed}: flow {flowOf[e]} reordered at entry {e}");
                    lastPosition[flowOf[e]] = e;
                }

                if (_coalescer.CountOf(g) == 1)
                {
                    output.Add(packets[_coalescer.HeadOf(g)]);
                    continue;
                }

                byte[] buffer = new byte[70000];
                int length = _coalescer.WriteSuperPacket(_batch, g, buffer);
                Assert.True(length > 0, $"seed {seed}");
                output.AddRange(CoalescerPackets.Segment(buffer.AsSpan(0, 10), buffer.AsSpan(10, length)));
            }

            Assert.All(seen, s => Assert.Equal(1, s));
            // Emitted in group order; per group the members in entry order — so compare against that order.
            var expected = new List<byte[]>();
            for (int g = 0; g < groups; g++)
            {
                expected.AddRange(Members(g).Select(e => packets[e]));
            }

            Assert.Equal(expected.Count, output.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.True(expected[i].AsSpan().SequenceEqual(output[i]), $"seed {seed}: packet {i} differs after segmentation");
            }
        }
    }

    private void Load(byte[][] packets)
    {
        _batch.ReturnAll();
        _batch.EnsureSlots(packets.Length);
        for (int i = 0; i < packets.Length; i++)
        {
            packets[i].CopyTo(_batch.SlotSpan(i)[PacketPool.Headroom..]);
            _batch.SetPacket(i, PacketPool.Headroom, packets[i].Length);
        }

        _batch.Count = packets.Length;
    }

    private int[] Counts() => [.. Enumerable.Range(0, _coalescer.GroupCount).Select(_coalescer.CountOf)];

    private int[] Heads() => [.. Enumerable.Range(0, _coalescer.GroupCount).Select(_coalescer.HeadOf)];

    private List<int> Members(int group)
    {
        var list = new List<int>();
        for (int e = _coalescer.HeadOf(group); e >= 0; e = _coalescer.NextMemberOf(e))
        {
            list.Add(e);
        }

        return list;
    }
}
