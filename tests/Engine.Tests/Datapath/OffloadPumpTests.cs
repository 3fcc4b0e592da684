using System.Buffers.Binary;
using MptFast.Engine.Classify;
using MptFast.Engine.Config;
using MptFast.Engine.Datapath;
using MptFast.Engine.Mapping;
using MptFast.Engine.Offload;
using MptFast.Engine.Tests.Offload;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Datapath;

/// <summary>The transmit pump with segmentation offload: TCP super-packets behind a virtio_net_hdr are cut into GRE
/// segments, one path per super-packet (per weighted burst of at most a quarter of the reorder window when there is one), sent as UDP GSO trains — allocation-free in the steady state.</summary>
public class OffloadPumpTests
{
    private const int Mss = 1448;

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    public void Offload_transmit_steady_state_allocates_nothing_and_spreads_bytes_by_weight(int reorderWindow)
    {
        var (connection, sockets) = PumpTests.Connection(reorderWindow, weights: [3, 1], gso: true);
        byte[] payload = TcpPackets.Payload(45 * Mss, 1);
        using var tun = new ReplayTun(SuperPacket(payload)) { PerRead = 4, VirtioHeader = Tso(4) };
        using var pump = new TxPump(tun, [connection], ConnectionMatcher.FromConfigs([connection.Config]), 2048, segmentationOffload: true);

        // As many warm-up rounds as measured ones: the JIT's tiering must be done with every method the rounds call
        // (20 were not always enough under a loaded test run).
        for (int i = 0; i < 200; i++)
        {
            pump.RunOnce(0);
        }

        int runs = SteadyState.AssertAllocatesNothing(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                pump.RunOnce(0);
            }
        });

        long rounds = 200 + (200L * runs);
        long segments = sockets[0].Sent + sockets[1].Sent;
        Assert.Equal(rounds * 4 * 45, segments);
        Assert.Equal(rounds * 4, pump.SuperPackets);
        Assert.Equal((uint)segments, connection.NextSequence);
        Assert.Equal(0, sockets[0].GsoViolations + sockets[1].GsoViolations);
        if (reorderWindow == 0)
        {
            Assert.True(sockets[0].GsoSends + sockets[1].GsoSends < segments / 20, "segments were not sent as GSO trains");
        }
        else
        {
            // Window 64: bursts and trains of at most 16 segments on the heavier path, 16 · 1/3 = 5 on the lighter.
            Assert.InRange(sockets[0].LongestTrain, 2, 16);
            Assert.InRange(sockets[1].LongestTrain, 2, 5);
            Assert.True(sockets[0].GsoSends + sockets[1].GsoSends < segments / 4, "segments were not sent as GSO trains");
        }

        double share = (double)sockets[0].SentBytes / (sockets[0].SentBytes + sockets[1].SentBytes);
        Assert.InRange(share, 0.74, 0.76);
        Assert.Equal(0, pump.DropBadOffload);
    }

    [Fact]
    public void Offload_transmit_keeps_each_super_packet_on_one_path_with_consecutive_sequences_and_valid_segments()
    {
        var (connection, sockets) = PumpTests.Connection(64, weights: [1, 1], gso: true);
        sockets[0].Captured = [];
        sockets[1].Captured = [];
        byte[] payload = TcpPackets.Payload((6 * Mss) + 1312, 2);
        const ushort id = 0x1234;
        const uint tcpSequence = 777;
        using var tun = new ReplayTun(SuperPacket(payload, id, tcpSequence)) { PerRead = 3, VirtioHeader = Tso(4) };
        using var pump = new TxPump(tun, [connection], ConnectionMatcher.FromConfigs([connection.Config]), 2048, segmentationOffload: true);
        pump.RunOnce(0);

        var bySequence = new SortedDictionary<uint, (int Path, byte[] Inner)>();
        for (int p = 0; p < 2; p++)
        {
            foreach (byte[] datagram in sockets[p].Captured!)
            {
                Assert.Equal(GreStatus.Ok, GreCodec.Decode(datagram, out GreFrame frame));
                Assert.True(frame.HasSequence);
                bySequence.Add(frame.Sequence, (p, frame.PayloadOf(datagram).ToArray()));
            }
        }

        Assert.Equal(Enumerable.Range(0, 21).Select(i => (uint)i), bySequence.Keys);
        var paths = new HashSet<int>();
        for (int packet = 0; packet < 3; packet++)
        {
            var joined = new List<byte>();
            int path = bySequence[(uint)(packet * 7)].Path;
            paths.Add(path);
            for (int k = 0; k < 7; k++)
            {
                var (segmentPath, inner) = bySequence[(uint)((packet * 7) + k)];
                Assert.Equal(path, segmentPath);
                Assert.True(InternetChecksum.Verifies(inner.AsSpan(0, 20)), $"IPv4 checksum of segment {k}");
                Assert.Equal(TcpPackets.TransportChecksum(inner, 20), BinaryPrimitives.ReadUInt16BigEndian(inner.AsSpan(36)));
                Assert.Equal((ushort)(id + k), BinaryPrimitives.ReadUInt16BigEndian(inner.AsSpan(4)));
                Assert.Equal(tcpSequence + (uint)(k * Mss), BinaryPrimitives.ReadUInt32BigEndian(inner.AsSpan(24)));
                Assert.Equal(k == 6, (inner[33] & TcpPackets.Psh) != 0);
                joined.AddRange(inner.AsSpan(52).ToArray());
            }

            Assert.Equal(payload, joined.ToArray());
        }

        Assert.Equal(2, paths.Count); // equal weights: the bursts alternate
    }

    [Fact]
    public void Offload_transmit_with_a_reorder_window_spreads_a_super_packet_in_weighted_bursts_of_consecutive_sequences()
    {
        // Window 64 → quantum 16 on the weight-5 path, 16 · 1/5 = 3 on the weight-1 path (MPT-SPEC §7.3: a burst on
        // one path must stay well inside the receiver's window).
        var (connection, sockets) = PumpTests.Connection(64, weights: [5, 1], gso: true);
        sockets[0].Captured = [];
        sockets[1].Captured = [];
        using var tun = new ReplayTun(SuperPacket(TcpPackets.Payload(45 * Mss, 5))) { PerRead = 4, VirtioHeader = Tso(4) };
        using var pump = new TxPump(tun, [connection], ConnectionMatcher.FromConfigs([connection.Config]), 2048, segmentationOffload: true);
        pump.RunOnce(0);

        var pathOf = new SortedDictionary<uint, int>();
        for (int p = 0; p < 2; p++)
        {
            foreach (byte[] datagram in sockets[p].Captured!)
            {
                Assert.Equal(GreStatus.Ok, GreCodec.Decode(datagram, out GreFrame frame));
                pathOf.Add(frame.Sequence, p);
            }
        }

        Assert.Equal(Enumerable.Range(0, 4 * 45).Select(i => (uint)i), pathOf.Keys);
        int[] longestRun = new int[2];
        int run = 0;
        int runs = 0;
        for (uint seq = 0; seq < 4 * 45; seq++)
        {
            run = seq > 0 && pathOf[seq] == pathOf[seq - 1] ? run + 1 : 1;
            runs += run == 1 ? 1 : 0;
            longestRun[pathOf[seq]] = Math.Max(longestRun[pathOf[seq]], run);
        }

        // Each burst is one train sent at once (trains leave in sequence order); the same path may win twice in a row.
        Assert.Equal(16, sockets[0].LongestTrain);
        Assert.Equal(3, sockets[1].LongestTrain);
        Assert.InRange(longestRun[0], 16, 32);
        Assert.InRange(longestRun[1], 3, 6);
        Assert.True(runs >= 12, $"only {runs} bursts"); // ~30 segments of the weight-1 path in bursts of ≤ 3, fast bursts between
        double share = (double)sockets[0].Sent / (sockets[0].Sent + sockets[1].Sent);
        Assert.InRange(share, 0.80, 0.87);
        Assert.Equal(0, sockets[0].GsoViolations + sockets[1].GsoViolations);
    }

    [Fact]
    public void Offload_transmit_sends_a_port_mapped_flow_on_its_path_whatever_the_weights()
    {
        var (connection, sockets) = PumpTests.Connection(0, weights: [100, 1], gso: true,
            customize: (pc, i) => i == 1 ? pc with { TcpSrc = new[] { new PortRange(5001, 5001) }.ToEquatableArray() } : pc);
        using var tun = new ReplayTun(SuperPacket(TcpPackets.Payload(20 * Mss, 3))) { PerRead = 5, VirtioHeader = Tso(4) };
        using var pump = new TxPump(tun, [connection], ConnectionMatcher.FromConfigs([connection.Config]), 2048, segmentationOffload: true);
        pump.RunOnce(0);
        Assert.Equal(0, sockets[0].Sent);
        Assert.Equal(100, sockets[1].Sent);
        Assert.Equal(0, sockets[1].GsoViolations);
    }

    [Fact]
    public void Offload_transmit_completes_partial_checksums_of_single_packets_and_drops_unsupported_gso_types()
    {
        var (connection, sockets) = PumpTests.Connection(0, weights: [1], gso: false);
        sockets[0].Captured = [];
        byte[] good = TcpPackets.Build(4, 0, 12, 9, 100, TcpPackets.Ack | TcpPackets.Psh, TcpPackets.Payload(700, 4));
        byte[] partial = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(partial.AsSpan(36), TcpPackets.PartialChecksum(good, 20));
        byte[] needsChecksum = new byte[VirtioNetHeader.Size];
        new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoNone, 0, 0, 20, 16).TryWrite(needsChecksum);
        using var tun = new ReplayTun(partial) { PerRead = 3, VirtioHeader = needsChecksum };
        using var pump = new TxPump(tun, [connection], ConnectionMatcher.FromConfigs([connection.Config]), 2048, segmentationOffload: true);
        pump.RunOnce(0);
        Assert.Equal(3, sockets[0].Captured!.Count);
        Assert.Equal(0, sockets[0].GsoSends);
        Assert.Equal(GreStatus.Ok, GreCodec.Decode(sockets[0].Captured![2], out GreFrame frame));
        Assert.Equal(good, frame.PayloadOf(sockets[0].Captured![2]).ToArray());

        byte[] uso = new byte[VirtioNetHeader.Size];
        new VirtioNetHeader(0, VirtioNetHeader.GsoUdpL4, 0, 1000, 0, 0).TryWrite(uso);
        using var udpTun = new ReplayTun(good) { PerRead = 2, VirtioHeader = uso };
        using var pump2 = new TxPump(udpTun, [connection], ConnectionMatcher.FromConfigs([connection.Config]), 2048, segmentationOffload: true);
        pump2.RunOnce(0);
        Assert.Equal(2, pump2.DropBadOffload);
        Assert.Equal(3, sockets[0].Captured!.Count);
    }

    [Fact]
    public void Offload_transmit_without_gso_sockets_still_segments_and_sends_every_segment()
    {
        var (connection, sockets) = PumpTests.Connection(0, weights: [1, 1], gso: false);
        using var tun = new ReplayTun(SuperPacket(TcpPackets.Payload(30 * Mss, 5))) { PerRead = 6, VirtioHeader = Tso(4) };
        using var pump = new TxPump(tun, [connection], ConnectionMatcher.FromConfigs([connection.Config]), 2048, segmentationOffload: true);
        pump.RunOnce(0);
        Assert.Equal(180, sockets[0].Sent + sockets[1].Sent);
        Assert.Equal(90, sockets[0].Sent);
        Assert.Equal(0, sockets[0].GsoSends + sockets[1].GsoSends);
        Assert.Equal(180, connection.Paths[0].Counters.Tx.Packets + connection.Paths[1].Counters.Tx.Packets);
    }

    [Fact]
    public void Offload_transmit_counts_what_a_full_socket_never_takes_and_returns_every_slot()
    {
        var (connection, sockets) = PumpTests.Connection(0, weights: [1], gso: true);
        sockets[0].AcceptLimit = 50; // part of the first train, then the buffer stays full
        using var tun = new ReplayTun(SuperPacket(TcpPackets.Payload(40 * Mss, 6))) { PerRead = 2, VirtioHeader = Tso(4) };
        using var pump = new TxPump(tun, [connection], ConnectionMatcher.FromConfigs([connection.Config]), 2048, segmentationOffload: true);
        pump.RunOnce(0);
        Assert.Equal(50, sockets[0].Sent);
        Assert.Equal(80 - 50, connection.Paths[0].Counters.Tx.SendErrors);

        // Every output slot came back: the next rounds still segment and send everything.
        sockets[0].AcceptLimit = long.MaxValue;
        for (int i = 0; i < 50; i++)
        {
            pump.RunOnce(0);
        }

        Assert.Equal(50 + (50 * 80), sockets[0].Sent);
        Assert.Equal(0, pump.DropBadOffload);
    }

    internal static byte[] SuperPacket(byte[] payload, ushort id = 1, uint sequence = 1000)
    {
        byte[] p = TcpPackets.Build(4, 0, 12, id, sequence, TcpPackets.Ack | TcpPackets.Psh, payload);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(36), TcpPackets.PartialChecksum(p, 20)); // as the kernel hands it out
        return p;
    }

    internal static byte[] Tso(int version)
    {
        byte[] h = new byte[VirtioNetHeader.Size];
        new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, version == 4 ? VirtioNetHeader.GsoTcpV4 : VirtioNetHeader.GsoTcpV6,
            52, Mss, 20, 16).TryWrite(h);
        return h;
    }
}
