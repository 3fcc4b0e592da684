using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using MptFast.Engine.Classify;
using MptFast.Engine.Datapath;
using MptFast.Engine.Offload;
using MptFast.Engine.Runtime;
using MptFast.Engine.Tests.Offload;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Datapath;

/// <summary>
/// <c>equalize_delay = auto</c> holds a delay-based sender's acknowledgement only until the round trip the sender
/// measures from the newest segment it acknowledges is the flow's shortest plus the paths' forward delay spread
/// (<see cref="SendTimes"/>): one of a segment that came the fast way alone waits the spread, one of a segment that
/// already waited for a slower path (at the peer's reorder buffer, or in a queue) waits no more.
/// </summary>
public class AckFloorTests
{
    private const byte Syn = 0x02, Fin = 0x01, Ack = 0x10;
    private const long Spread = 24_000;

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void A_segment_names_the_sending_socket_as_its_acknowledgement_names_the_receiving_one(int version)
    {
        byte[] data = Segment(version, outbound: true, Ack, sequence: 1000, payload: 1400);
        Assert.True(SendTimes.TryReadSender(data, out TcpSocketId sender, out uint end));
        Assert.Equal(2400u, end);
        Assert.True(TcpSocketId.TryReadReceiver(Segment(version, outbound: false, Ack, 0, 0), out TcpSocketId receiver));
        Assert.Equal(receiver, sender);
        Assert.Equal(AckHoldFlows.SlotOf(receiver), AckHoldFlows.SlotOf(sender));

        Assert.True(SendTimes.TryReadSender(Segment(version, true, Syn, uint.MaxValue, 0), out _, out end));
        Assert.Equal(0u, end);                                          // a SYN takes one number (and wraps)
        Assert.True(SendTimes.TryReadSender(Segment(version, true, Fin | Ack, 7, 3), out _, out end));
        Assert.Equal(11u, end);

        byte[] udp = (byte[])data.Clone();
        udp[version == 4 ? 9 : 6] = 17;
        Assert.False(SendTimes.TryReadSender(udp, out _, out _));
        byte[] badOffset = (byte[])data.Clone();
        badOffset[(version == 4 ? 20 : 40) + 12] = 0x40;               // a TCP header of 16 bytes
        Assert.False(SendTimes.TryReadSender(badOffset, out _, out _));
        Assert.False(SendTimes.TryReadSender(data.AsSpan(0, 30), out _, out _));
    }

    [Fact]
    public void An_acknowledgement_waits_until_its_newest_segments_round_trip_is_the_shortest_plus_the_spread()
    {
        var times = new SendTimes();
        Assert.True(TcpSocketId.TryReadReceiver(AckOf(0), out TcpSocketId id));

        // Not tracked yet (its SYN-ACK): the whole spread, and nothing is recorded.
        times.OnSent(Data(1000, 1000), 0);
        Assert.Equal(Spread, times.HoldMicros(AckOf(2000), 2_000, Spread));

        times.Track(id, 2_000);
        Assert.Equal(1, times.Tracked);
        Assert.Equal(Spread, times.HoldMicros(AckOf(2000), 2_000, Spread)); // nothing recorded yet
        for (int k = 0; k < 10; k++)
        {
            times.OnSent(Data(1000 + (uint)(k * 1000), 1000), 10_000 + (k * 1_000)); // one segment a millisecond
        }

        Assert.Equal(Spread, times.HoldMicros(AckOf(2000), 12_000, Spread));            // 2 ms: the shortest
        Assert.Equal(Spread - 10_000, times.HoldMicros(AckOf(3000), 23_000, Spread));   // 12 ms: queued 10 ms
        Assert.Equal(0, times.HoldMicros(AckOf(5000), 13_000 + 26_000, Spread));        // waited for the slow path
        Assert.Equal(Spread - 5_000, times.HoldMicros(AckOf(7000), 15_000 + 7_000, Spread));    // 7 ms
        Assert.Equal(Spread - 5_000, times.HoldMicros(AckOf(6500), 15_000 + 7_000, Spread));    // inside a record: by it
        Assert.Equal(Spread, times.HoldMicros(AckOf(11000), 19_000 + 1_000, Spread));   // a new shortest: 1 ms

        // A retransmission (nothing new) is not recorded: its acknowledgement is dated by the first transmission.
        times.OnSent(Data(5000, 1000), 100_000);
        Assert.Equal(0, times.HoldMicros(AckOf(6000), 100_500, Spread));

        // Segments within RecordGapMicros of the last record extend it: dated by the record's time.
        times.OnSent(Data(11000, 1000), 200_000);
        times.OnSent(Data(12000, 1000), 200_000 + SendTimes.RecordGapMicros - 1);
        Assert.Equal(Spread - SendTimes.RecordGapMicros, times.HoldMicros(AckOf(13000), 201_000 + SendTimes.RecordGapMicros, Spread));
    }

    [Fact]
    public void While_a_loss_is_repaired_an_acknowledgement_is_dated_by_the_newest_segment_its_sack_blocks_cover()
    {
        SendTimes times = TrackedFlow(10, stamped: false);
        Assert.Equal(Spread, times.HoldMicros(AckOf(2000), 12_000, Spread));   // 2 ms: the shortest

        // 2000–3000 was lost: the acknowledgement number stays at the hole (sent at 11 ms) while the SACK block names
        // the segment sent at 19 ms, 2 ms ago — the sender's sample is that one, so the whole spread (dated by the hole,
        // 10 ms: 8 ms less, and BBR would take the fast path's 2 ms as its shortest).
        Assert.Equal(Spread, times.HoldMicros(SackOf(2000, (3000, 11000)), 21_000, Spread));
        Assert.Equal(Spread - 2_000, times.HoldMicros(SackOf(2000, (3000, 9000), (9000, 10000)), 22_000, Spread)); // 4 ms
        // A D-SACK block below the acknowledgement number dates nothing newer.
        Assert.Equal(Spread - 2_000, times.HoldMicros(SackOf(5000, (2000, 3000)), 17_000, Spread));
    }

    [Fact]
    public void The_acknowledgement_that_fills_a_hole_is_dated_by_the_retransmission_whose_timestamp_it_echoes()
    {
        SendTimes times = TrackedFlow(5, stamped: true);
        Assert.Equal(Spread, times.HoldMicros(Stamped(AckOf(2000), 10), 12_000, Spread));   // 2 ms: the shortest

        // 2000–3000 was lost and sent again at 30 ms (timestamp 30). The acknowledgement that fills the hole covers up to
        // 6000 (last sent at 14 ms: 18 ms ago, no hold by the records) and echoes 30: the sender's sample is 2 ms.
        times.OnSent(Stamped(Data(2000, 1000), 30), 30_000);
        Assert.Equal(Spread, times.HoldMicros(Stamped(AckOf(6000), 30), 32_000, Spread));
        Assert.Equal(Spread - 4_000, times.HoldMicros(Stamped(AckOf(6000), 30), 36_000, Spread));
        // An echo of a first transmission, or none at all: dated by the records as before.
        Assert.Equal(Spread - 16_000, times.HoldMicros(Stamped(AckOf(6000), 14), 32_000, Spread)); // 18 ms
        Assert.Equal(Spread - 16_000, times.HoldMicros(AckOf(6000), 32_000, Spread));
        // A retransmission without timestamps is not remembered; one with the same value as the last dates it anew.
        times.OnSent(Data(3000, 1000), 38_000);
        Assert.Equal(Spread - 10_000, times.HoldMicros(Stamped(AckOf(6000), 30), 42_000, Spread));
        times.OnSent(Stamped(Data(3000, 1000), 30), 39_000);
        Assert.Equal(Spread - 1_000, times.HoldMicros(Stamped(AckOf(6000), 30), 42_000, Spread));

        // The last Retransmissions values are kept.
        for (int k = 0; k < SendTimes.Retransmissions; k++)
        {
            times.OnSent(Stamped(Data(1000, 1000), 100 + (uint)k), 50_000 + k);
        }

        Assert.Equal(0, times.HoldMicros(Stamped(AckOf(6000), 30), 70_000, Spread));
        Assert.Equal(Spread - 18_000, times.HoldMicros(Stamped(AckOf(6000), 100), 70_000, Spread));   // 20 ms
        Assert.Equal(Spread - 18_000 + 63, times.HoldMicros(Stamped(AckOf(6000), 163), 70_000, Spread));
        Assert.Equal(0, times.HoldMicros(Stamped(AckOf(6000), 164), 70_000, Spread));         // newer than all: records
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void The_newest_acknowledged_is_the_acknowledgement_number_or_the_highest_sack_edge_beyond_it(int version)
    {
        Assert.Equal(2000u, TcpSegment.NewestAcknowledged(SackOf(2000, version)));
        Assert.Equal(9000u, TcpSegment.NewestAcknowledged(SackOf(2000, version, (6000, 9000), (3000, 4000))));
        Assert.Equal(2000u, TcpSegment.NewestAcknowledged(SackOf(2000, version, (1000, 1500))));            // D-SACK
        Assert.Equal(0x100u, TcpSegment.NewestAcknowledged(SackOf(0xFFFF_FF00, version, (0xFFFF_FFF0, 0x100)))); // wraps

        // Malformed options end the scan; what was read before counts. A header too short for TCP: 0.
        int tcp = version == 4 ? 20 : 40;
        byte[] zeroLength = SackOf(2000, version, (3000, 4000));
        zeroLength[tcp + 20 + 2] = 0;                                   // the timestamp option's length
        Assert.Equal(2000u, TcpSegment.NewestAcknowledged(zeroLength));
        byte[] tooLong = SackOf(2000, version, (3000, 4000));
        tooLong[tcp + 20 + 12 + 3] = 40;                                // a SACK option past the header's end
        Assert.Equal(2000u, TcpSegment.NewestAcknowledged(tooLong));
        byte[] cut = SackOf(2000, version, (3000, 4000), (5000, 6000));
        Assert.Equal(6000u, TcpSegment.NewestAcknowledged(cut));
        Assert.Equal(2000u, TcpSegment.NewestAcknowledged(cut.AsSpan(0, tcp + 20 + 12 + 4 + 8 + 4))); // the option cut short
        Assert.Equal(0u, TcpSegment.NewestAcknowledged(cut.AsSpan(0, tcp + 19)));
        Assert.Equal(0u, TcpSegment.NewestAcknowledged([]));

        // The timestamps: SackOf's value 1, echo 2; none in a bare acknowledgement or after a malformed option.
        Assert.True(TcpSegment.TryReadTimestamps(SackOf(2000, version, (3000, 4000)), out uint value, out uint echo));
        Assert.Equal((1u, 2u), (value, echo));
        Assert.False(TcpSegment.TryReadTimestamps(Segment(version, outbound: false, Ack, 5000, 0), out _, out _));
        Assert.False(TcpSegment.TryReadTimestamps(zeroLength, out _, out _));
    }

    [Fact]
    public void Scanning_the_options_of_any_bytes_stays_within_them_and_never_goes_below_the_acknowledgement_number()
    {
        var random = new Random(13);
        byte[] buffer = new byte[120];
        for (int round = 0; round < 200_000; round++)
        {
            int length = random.Next(buffer.Length + 1);
            random.NextBytes(buffer);
            buffer[0] = (byte)((random.Next(2) == 0 ? 0x40 : 0x60) | (buffer[0] & 0x0F));
            ReadOnlySpan<byte> packet = buffer.AsSpan(0, length);
            bool timestamps = TcpSegment.ScanOptions(packet, out uint newest, out _, out _);
            int ip = (buffer[0] >> 4) == 6 ? 40 : (buffer[0] & 0x0F) * 4;
            if (ip < 20 || length < ip + 20)
            {
                Assert.False(timestamps);
                Assert.Equal(0u, newest);
                continue;
            }

            uint ack = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(ip + 8));
            Assert.True(unchecked((int)(newest - ack)) >= 0);
        }
    }

    [Fact]
    public void Past_its_records_an_acknowledgement_is_dated_by_the_oldest_and_other_flows_are_not_recorded()
    {
        var times = new SendTimes();
        Assert.True(TcpSocketId.TryReadReceiver(AckOf(0), out TcpSocketId id));
        long t = 1_000_000;
        times.Track(id, t);
        uint seq = 1;
        for (int k = 0; k < SendTimes.Records * 2; k++)
        {
            times.OnSent(Data(seq, 100), t);
            seq += 100;
            t += SendTimes.RecordGapMicros;
        }

        // The first segment's record is gone: the oldest one kept dates it (later: a longer hold, never a shorter one).
        long oldest = t - (SendTimes.RecordGapMicros * (SendTimes.Records - 1));
        Assert.Equal(Spread, times.HoldMicros(AckOf(seq), t + 1_000, Spread));            // the shortest: 1.5 ms
        const long Long = 300_000;
        Assert.Equal(1_500 + Long - (t + 5_000 - oldest), times.HoldMicros(AckOf(101), t + 5_000, Long));
        Assert.True(1_500 + Long - (t + 5_000 - 1_000_000) < 0);                         // by its own time: none

        // Another flow's segments are not recorded until it is tracked; tracking more flows than there is room for
        // drops the one tracked longest.
        byte[] other = Data(1, 100);
        BinaryPrimitives.WriteUInt16BigEndian(other.AsSpan(20), 40001);
        times.OnSent(other, t);
        byte[] otherAck = AckOf(101);
        BinaryPrimitives.WriteUInt16BigEndian(otherAck.AsSpan(22), 40001);
        Assert.Equal(Spread, times.HoldMicros(otherAck, t + 1_000, Spread));
        for (int port = 1; port <= SendTimes.Flows; port++)
        {
            byte[] ack = AckOf(0);
            BinaryPrimitives.WriteUInt16BigEndian(ack.AsSpan(22), (ushort)(50000 + port));
            Assert.True(TcpSocketId.TryReadReceiver(ack, out TcpSocketId next));
            times.Track(next, t);
        }

        Assert.Equal(SendTimes.Flows + 1, times.Tracked);
        Assert.Equal(Spread, times.HoldMicros(AckOf(seq), t + 100_000, Spread)); // the first flow's records are gone
    }

    [Fact]
    public void Segments_are_recorded_only_while_acknowledgements_are_dated()
    {
        var times = new SendTimes();
        Assert.True(TcpSocketId.TryReadReceiver(AckOf(0), out TcpSocketId id));
        times.Track(id, 0);
        times.OnSent(Data(1000, 1000), 1_000);
        Assert.Equal(Spread, times.HoldMicros(AckOf(2000), 3_000, Spread));              // 2 ms: the shortest

        // RecordMicros after the last dated acknowledgement the transmit thread no longer reads the packets: a segment
        // then is not recorded, and its acknowledgement is dated by the newest record (20 s: not held).
        long later = 3_000 + SendTimes.RecordMicros + 1;
        times.OnSent(Data(2000, 1000), later);
        Assert.Equal(0, times.HoldMicros(AckOf(3000), later + 2_000, Spread));
        // That acknowledgement starts the recording again.
        times.OnSent(Data(3000, 1000), later + 10_000);
        Assert.Equal(Spread, times.HoldMicros(AckOf(4000), later + 12_000, Spread));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_transmit_pump_records_when_a_tracked_flows_segments_leave(bool offload)
    {
        var (connection, _) = PumpTests.Connection(64, weights: [1, 1], gso: offload);
        byte[] payload = TcpPackets.Payload(offload ? 10 * 1448 : 1000, 3);
        byte[] data = offload ? OffloadPumpTests.SuperPacket(payload) : TcpPackets.Build(4, 0, 12, 1, 1000, TcpPackets.Ack, payload);
        using var tun = new ReplayTun(data) { PerRead = 1, VirtioHeader = offload ? OffloadPumpTests.Tso(4) : null };
        using var pump = new TxPump(tun, [connection], ConnectionMatcher.FromConfigs([connection.Config]), 2048, segmentationOffload: offload);
        var times = new SendTimes();
        pump.SendTimes = times;

        // The other end's acknowledgement of the whole segment (TcpPackets: 198.19.0.1:5001 → 198.19.0.2:40000).
        byte[] ack = Segment(4, outbound: false, Ack, 1, 0);
        BinaryPrimitives.WriteUInt16BigEndian(ack.AsSpan(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(ack.AsSpan(22), 5001);
        BinaryPrimitives.WriteUInt32BigEndian(ack.AsSpan(28), 1000 + (uint)payload.Length);
        Assert.True(TcpSocketId.TryReadReceiver(ack, out TcpSocketId id));
        times.Track(id, MonotonicClock.NowMicros);
        Assert.Equal(1, pump.RunOnce(0));

        // Dated by the pump's record: 2 ms after it the shortest so far (the whole spread), 10 ms later 10 ms less.
        long sent = MonotonicClock.NowMicros;
        Assert.Equal(Spread, times.HoldMicros(ack, sent + 2_000, Spread));
        Assert.InRange(times.HoldMicros(ack, sent + 12_000, Spread), Spread - 10_000, Spread - 9_000);
    }

    [Fact]
    public void Recording_and_dating_allocate_nothing()
    {
        var times = new SendTimes();
        Assert.True(TcpSocketId.TryReadReceiver(AckOf(0), out TcpSocketId id));
        times.Track(id, 0);
        byte[][] data = [.. Enumerable.Range(0, 64).Select(k => Data(1 + (uint)(k * 1000), 1000))];
        byte[][] acks = [.. Enumerable.Range(0, 64).Select(k => AckOf(1001 + (uint)(k * 1000)))];
        long before = GC.GetAllocatedBytesForCurrentThread();
        long held = 0;
        for (int round = 0; round < 100; round++)
        {
            for (int k = 0; k < 64; k++)
            {
                long t = (round * 100_000) + (k * 1_000);
                times.OnSent(data[k], t);
                held += times.HoldMicros(acks[k], t + 5_000, Spread);
                times.Track(id, t + 5_000);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(held > 0);
    }

    [Fact]
    public void By_default_a_bbr_senders_first_acknowledgement_waits_the_spread_and_without_a_spread_none_waits()
    {
        var (connection, sockets) = PumpTests.Connection(64, weights: [1, 1]);
        connection.AckFloorMicros = 40_000;
        var lookup = new SocketCongestionTests.FakeCongestion { DelayBasedPort = 40000 };
        using var tun = new ReplayTun(AckOf(0));
        using var pump = new RxPump(tun, [connection], 2048, congestion: lookup);
        sockets[0].PerReceive = 2;
        byte[] cubic = AckOf(1);
        BinaryPrimitives.WriteUInt16BigEndian(cubic.AsSpan(22), 40001);
        sockets[0].Feed([Gre(AckOf(1), 0), Gre(cubic, 1)]);
        long start = Stopwatch.GetTimestamp();
        pump.RunOnce(0);
        bool onTime = Stopwatch.GetElapsedTime(start) < TimeSpan.FromMilliseconds(39);
        sockets[0].Feed([]);
        Assert.Equal(1, pump.PublishCounters()["rx_acks_held"]);      // counted as it went into the line
        Assert.Equal(1, pump.PublishCounters()["rx_ack_flows_timed"]);
        if (onTime)
        {
            // The CUBIC flow's went on, the BBR flow's waits. (A turn that took the whole 40 ms — this first one
            // compiles the pump's code, and a loaded machine deschedules the test thread — ends by releasing what is
            // due: 3 of 12 runs beside three busy loops did.)
            Assert.Equal(1, tun.Written);
        }

        while (tun.Written < 2 && Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(5))
        {
            pump.RunOnce(pump.WaitMilliseconds());
        }

        Assert.True(Stopwatch.GetElapsedTime(start) >= TimeSpan.FromMilliseconds(39), "released before the spread");
        Assert.Equal(2, tun.Written);

        connection.AckFloorMicros = 0; // the paths' delays are equal: nothing waits
        sockets[0].Feed([Gre(AckOf(2), 2)]);
        pump.RunOnce(0);
        Assert.Equal(3, tun.Written);
        Assert.Equal(1, pump.PublishCounters()["rx_acks_held"]);
    }

    /// <summary>Send times of the flow of <see cref="AckOf"/>, tracked from 0, with <paramref name="segments"/> segments
    /// of 1000 bytes from sequence 1000 sent one a millisecond from 10 ms on (<paramref name="stamped"/>: each with
    /// timestamp value 10 + its index).</summary>
    private static SendTimes TrackedFlow(int segments, bool stamped)
    {
        var times = new SendTimes();
        Assert.True(TcpSocketId.TryReadReceiver(AckOf(0), out TcpSocketId id));
        times.Track(id, 0);
        for (int k = 0; k < segments; k++)
        {
            byte[] data = Data(1000 + (uint)(k * 1000), 1000);
            times.OnSent(stamped ? Stamped(data, 10 + (uint)k) : data, 10_000 + (k * 1_000));
        }

        return times;
    }

    /// <summary>A data segment of the local socket (port 40000) to the remote tunnel address's port 5201.</summary>
    private static byte[] Data(uint sequence, int payload) => Segment(4, outbound: true, Ack, sequence, payload);

    /// <summary>The remote end's bare acknowledgement of <paramref name="number"/> to the local socket.</summary>
    private static byte[] AckOf(uint number)
    {
        byte[] p = Segment(4, outbound: false, Ack, 5000, 0);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(28), number);
        return p;
    }

    /// <summary><paramref name="segment"/> (IPv4, no options) with a timestamps option of <paramref name="value"/>,
    /// echoing it too: NOP NOP TS, as Linux sends it.</summary>
    private static byte[] Stamped(byte[] segment, uint value)
    {
        const int ip = 20;
        byte[] p = new byte[segment.Length + 12];
        segment.AsSpan(0, ip + 20).CopyTo(p);
        segment.AsSpan(ip + 20).CopyTo(p.AsSpan(ip + 32));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        p[ip + 12] = (32 / 4) << 4;
        p[ip + 20] = 1;
        p[ip + 21] = 1;
        p[ip + 22] = TcpSegment.OptionTimestamps;
        p[ip + 23] = 10;
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(ip + 24), value);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(ip + 28), value);
        return p;
    }

    /// <summary><see cref="AckOf"/> with a timestamp option and SACK <paramref name="blocks"/> (left, right), as Linux
    /// lays them out (NOP NOP TS, NOP NOP SACK).</summary>
    private static byte[] SackOf(uint number, params (uint Left, uint Right)[] blocks) => SackOf(number, 4, blocks);

    private static byte[] SackOf(uint number, int version, params (uint Left, uint Right)[] blocks)
    {
        byte[] bare = Segment(version, outbound: false, Ack, 5000, 0);
        int ip = version == 4 ? 20 : 40;
        int options = 12 + (blocks.Length > 0 ? 4 + (8 * blocks.Length) : 0);
        byte[] p = new byte[bare.Length + options];
        bare.CopyTo(p, 0);
        if (version == 4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(p.Length - 40));
        }

        Span<byte> t = p.AsSpan(ip);
        BinaryPrimitives.WriteUInt32BigEndian(t[8..], number);
        t[12] = (byte)(((20 + options) / 4) << 4);
        byte[] timestamp = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2];
        timestamp.CopyTo(t[20..]);
        if (blocks.Length > 0)
        {
            t[32] = 1;
            t[33] = 1;
            t[34] = TcpSegment.OptionSack;
            t[35] = (byte)(2 + (8 * blocks.Length));
            for (int i = 0; i < blocks.Length; i++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(t[(36 + (8 * i))..], blocks[i].Left);
                BinaryPrimitives.WriteUInt32BigEndian(t[(40 + (8 * i))..], blocks[i].Right);
            }
        }

        return p;
    }

    /// <summary>A TCP segment between local port 40000 at the local tunnel address and remote port 5201 at the remote
    /// one: <paramref name="outbound"/> from the local socket, else to it.</summary>
    private static byte[] Segment(int version, bool outbound, byte flags, uint sequence, int payload)
    {
        int ip = version == 4 ? 20 : 40;
        byte[] p = new byte[ip + 20 + payload];
        byte[] local = version == 4 ? PumpTests.LocalTunnel.GetAddressBytes() : IPAddress.Parse("fd00:1::1").GetAddressBytes();
        byte[] remote = version == 4 ? PumpTests.RemoteTunnel.GetAddressBytes() : IPAddress.Parse("fd00:1::2").GetAddressBytes();
        byte[] source = outbound ? local : remote, destination = outbound ? remote : local;
        if (version == 4)
        {
            p[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
            p[8] = 64;
            p[9] = 6;
            source.CopyTo(p, 12);
            destination.CopyTo(p, 16);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), InternetChecksum.Compute(p.AsSpan(0, 20)));
        }
        else
        {
            p[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(20 + payload));
            p[6] = 6;
            p[7] = 64;
            source.CopyTo(p, 8);
            destination.CopyTo(p, 24);
        }

        Span<byte> t = p.AsSpan(ip);
        BinaryPrimitives.WriteUInt16BigEndian(t, outbound ? (ushort)40000 : (ushort)5201);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], outbound ? (ushort)5201 : (ushort)40000);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], sequence);
        t[12] = 0x50;
        t[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(t[14..], 65535);
        return p;
    }

    private static byte[] Gre(byte[] inner, uint sequence) => PumpTests.Datagrams(inner, true, first: sequence, step: 1, count: 1)[0];
}
