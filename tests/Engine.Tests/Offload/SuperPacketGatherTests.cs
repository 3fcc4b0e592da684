using MptFast.Engine.Buffers;
using MptFast.Engine.Offload;

namespace MptFast.Engine.Tests.Offload;

/// <summary>The gathered super-packet (virtio header + the head's fixed headers + payloads in place, written with one
/// writev) against the copying one: byte for byte the same TUN write, and the segments left as they were.</summary>
public sealed class SuperPacketGatherTests : IDisposable
{
    private readonly PacketPool _pool = new(PacketBatch.MaxPackets, 2048);
    private readonly PacketBatch _batch;
    private readonly PacketGather _gather = new();
    private readonly TcpCoalescer _coalescer = new();

    public SuperPacketGatherTests()
    {
        _batch = new PacketBatch(_pool);
    }

    public void Dispose()
    {
        _gather.Dispose();
        _batch.Dispose();
        _pool.Dispose();
    }

    [Theory]
    [InlineData(false, 0, false)]
    [InlineData(true, 0, false)]
    [InlineData(false, 12, true)]
    [InlineData(true, 40, true)]
    public void A_gathered_super_packet_is_byte_identical_to_the_copied_one(bool v6, int options, bool pshShortLast)
    {
        TcpSpec first = (v6 ? TcpSpec.V6Default() : new TcpSpec()) with { Options = OptionBytes(options) };
        byte[][] stream = CoalescerPackets.Stream(first, 45, 1400);
        if (pshShortLast)
        {
            stream[^1] = CoalescerPackets.Build(first with
            {
                Seq = first.Seq + (44 * 1400), Id = (ushort)(first.Id + 44), PayloadLength = 333,
                Flags = TcpSegment.FlagAck | TcpSegment.FlagPsh,
            });
        }

        Load(stream);
        Assert.Equal(1, _coalescer.Plan(_batch, stream.Length));
        AssertGatherEqualsCopy(0, stream);
        Assert.Equal(2 + 44, _gather.Count); // headers, the head's payload in place, then 44 payloads in place
    }

    [Fact]
    public void Random_batches_gather_every_group_exactly_as_it_is_copied()
    {
        int merged = 0, total = 0;
        for (int seed = 1; seed <= 100; seed++)
        {
            var random = new Random(seed);
            int count = random.Next(2, PacketBatch.MaxPackets + 1);
            total += count;
            var packets = new byte[count][];
            var next = new uint[2];
            for (int i = 0; i < count; i++)
            {
                int f = random.Next(2);
                TcpSpec spec = (f == 1 ? TcpSpec.V6Default() : new TcpSpec()) with
                {
                    Seq = next[f], Id = (ushort)i, PayloadLength = random.Next(4) == 0 ? random.Next(1, 1400) : 1400,
                    PayloadSeed = (byte)random.Next(256),
                };
                packets[i] = CoalescerPackets.Build(spec);
                next[f] = spec.Seq + (uint)spec.PayloadLength;
            }

            Load(packets);
            int groups = _coalescer.Plan(_batch, count);
            for (int g = 0; g < groups; g++)
            {
                if (_coalescer.CountOf(g) > 1)
                {
                    AssertGatherEqualsCopy(g, packets);
                    merged += _coalescer.CountOf(g);
                }
            }
        }

        // Issue 14 (mutation testing): a coalescer that never merges gathers nothing and passed this test. Two flows of
        // mostly full-size in-order segments over 100 batches merge most of their packets.
        Assert.True(merged > total / 2, $"only {merged} of {total} packets were merged");
    }

    private void AssertGatherEqualsCopy(int group, byte[][] originals)
    {
        byte[] copied = new byte[70000];
        int copiedLength = _coalescer.WriteSuperPacket(_batch, group, copied);
        Assert.True(copiedLength > 0);

        int gatheredLength = _coalescer.GatherSuperPacket(new BatchPackets(_batch), group, _gather);
        Assert.Equal(copiedLength, gatheredLength);
        Assert.Equal(copiedLength, _gather.Length);
        Assert.True(_gather.HasVirtioHeader);
        Assert.Equal(copied.AsSpan(0, TcpCoalescer.VirtioHeaderSize).ToArray(), _gather.Header.ToArray());
        Assert.Equal(copied.AsSpan(TcpCoalescer.VirtioHeaderSize, copiedLength).ToArray(), _gather.ToArray());

        // The payload ranges point into the batch's slots (no copy), and the segments themselves are untouched, so a
        // refused super-packet can still be written segment by segment.
        for (int k = 1; k < _gather.Count; k++)
        {
            Assert.False(_gather.Segment(k).Overlaps(_gather.Scratch));
        }

        for (int i = 0; i < originals.Length; i++)
        {
            Assert.True(originals[i].AsSpan().SequenceEqual(_batch.Data(i)), $"packet {i} was changed");
        }
    }

    private static byte[] OptionBytes(int length)
    {
        byte[] options = new byte[length];
        options.AsSpan().Fill(1); // NOPs
        return options;
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
}
