using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using MptFast.Engine.Datapath;
using MptFast.Engine.Offload;
using MptFast.Engine.Reorder;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Datapath;

/// <summary>
/// <c>equalize_delay = acks</c>: the receiver holds the inner TCP's bare acknowledgements (and SYN-ACKs) that came over
/// a faster path, after the reorder buffer, so a delay-based congestion control's minimum round trip covers the
/// slowest path while data and everything else keep their own path's delay.
/// </summary>
public class AckHoldTests
{
    private const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10;

    [Theory]
    [InlineData(Ack, 0, true)]
    [InlineData(Syn | Ack, 0, true)]      // the sender's first round-trip sample
    [InlineData(Ack, 100, false)]         // data
    [InlineData(Psh | Ack, 1, false)]
    [InlineData(Syn, 0, false)]
    [InlineData(Fin | Ack, 0, false)]
    [InlineData(Rst | Ack, 0, false)]
    [InlineData(0, 0, false)]             // no ACK flag
    public void A_bare_acknowledgement_is_an_empty_tcp_segment_that_only_acknowledges(byte flags, int payload, bool expected)
    {
        Assert.Equal(expected, TcpSegment.IsBareAcknowledgement(Tcp4(flags, payload)));
        Assert.Equal(expected, TcpSegment.IsBareAcknowledgement(Tcp6(flags, payload)));
    }

    [Fact]
    public void Anything_else_or_anything_malformed_is_not_one()
    {
        byte[] ack = Tcp4(Ack, 0);
        Assert.False(TcpSegment.IsBareAcknowledgement(PumpTests.Icmp(PumpTests.LocalTunnel, PumpTests.RemoteTunnel)));
        Assert.False(TcpSegment.IsBareAcknowledgement(ack.AsSpan(0, 39)));          // shorter than its headers

        byte[] udp = (byte[])ack.Clone();
        udp[9] = 17;
        Assert.False(TcpSegment.IsBareAcknowledgement(udp));

        byte[] fragment = (byte[])ack.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(fragment.AsSpan(6), 0x2000); // more fragments
        Assert.False(TcpSegment.IsBareAcknowledgement(fragment));

        byte[] longer = (byte[])ack.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(2), 60);       // total length beyond the packet
        Assert.False(TcpSegment.IsBareAcknowledgement(longer));

        byte[] badOffset = (byte[])ack.Clone();
        badOffset[20 + 12] = 0x40;                                          // TCP header of 16 bytes
        Assert.False(TcpSegment.IsBareAcknowledgement(badOffset));

        byte[] padded = new byte[ack.Length + 6];                           // Ethernet-style padding after the IP packet
        ack.CopyTo(padded, 0);
        Assert.True(TcpSegment.IsBareAcknowledgement(padded));

        byte[] v6 = Tcp6(Ack, 0);
        v6[6] = 0;                                                          // an extension header first
        Assert.False(TcpSegment.IsBareAcknowledgement(v6));
    }

    [Fact]
    public void Only_a_faster_paths_acknowledgements_wait_and_nothing_behind_them_in_sequence_waits_for_them()
    {
        var (connection, sockets) = PumpTests.Connection(64, weights: [1, 1], equalizeAcks: true);
        ReorderBuffer reorder = connection.Reorder!;
        reorder.Adaptive = null;
        reorder.HoldTicks = Stopwatch.Frequency * 10; // a gap would wait for good: nothing may be a gap here
        connection.Paths[0].EqualizeTicks = Stopwatch.Frequency / 50; // path 0 is 20 ms faster
        byte[] ack = Tcp4(Ack, 0);
        byte[] data = Tcp4(Ack, 100);
        byte[] ping = PumpTests.Icmp(PumpTests.RemoteTunnel, PumpTests.LocalTunnel);
        using var tun = new ReplayTun(ping);
        using var pump = new RxPump(tun, [connection], 2048);

        sockets[1].PerReceive = 1;
        sockets[1].Feed([Gre(ack, 0)]); // the slower path's acknowledgement: not held
        pump.RunOnce(0);
        sockets[1].Feed([]);
        Assert.Equal(1, tun.Written);

        sockets[0].PerReceive = 4;
        sockets[0].Feed([Gre(ack, 1), Gre(data, 2), Gre(ping, 3), Gre(ack, 4)]);
        long start = Stopwatch.GetTimestamp();
        pump.RunOnce(0);
        bool onTime = Stopwatch.GetElapsedTime(start) < TimeSpan.FromMilliseconds(19);
        sockets[0].Feed([]);
        if (onTime) // a turn that took the whole hold (a loaded machine) ends by releasing what is due
        {
            Assert.Equal(3, tun.Written); // the data and the ping went on; the two acknowledgements wait
        }

        Assert.Equal(2, Counter(pump, "rx_acks_held"));
        Assert.Equal(5, reorder.Delivered); // the reorder buffer let everything through in order
        Assert.Equal(0, reorder.Held);

        while (tun.Written < 5 && Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(5))
        {
            pump.RunOnce(pump.WaitMilliseconds()); // the wait ends when the first acknowledgement is due
        }

        Assert.True(Stopwatch.GetElapsedTime(start) >= TimeSpan.FromMilliseconds(20), "released before the hold ended");
        Assert.Equal(5, tun.Written);
        Assert.Equal(0, reorder.GapsSkipped + reorder.DeliveredLate + reorder.DroppedLate);
    }

    [Fact]
    public void By_default_only_the_acknowledgements_of_a_delay_based_local_sender_wait()
    {
        var (connection, sockets) = PumpTests.Connection(64, weights: [1, 1]); // equalize_delay = auto, the default
        Assert.True(connection.Config.HoldsDelayBasedAcks);
        connection.Paths[0].EqualizeTicks = Stopwatch.Frequency * 60;
        connection.AckFloorMicros = 60_000_000; // the paths' delays differ (released below, not waited for)
        var lookup = new SocketCongestionTests.FakeCongestion { DelayBasedPort = 40000 };
        using var tun = new ReplayTun(Tcp4(Ack, 0));
        using var pump = new RxPump(tun, [connection], 2048, congestion: lookup);
        sockets[0].PerReceive = 4;
        sockets[0].Feed([Gre(SocketCongestionTests.Ack4(40000), 0), Gre(SocketCongestionTests.Ack4(40001), 1),
            Gre(SocketCongestionTests.Ack4(40000), 2), Gre(SocketCongestionTests.Ack4(40001), 3)]);
        pump.RunOnce(0);
        sockets[0].Feed([]);
        Assert.Equal(2, tun.Written);                  // the CUBIC flow's two went on
        Assert.Equal(2, Counter(pump, "rx_acks_held")); // the BBR flow's two wait
        Assert.Equal(2, Counter(pump, "rx_ack_flow_lookups"));
        Assert.Equal(1, Counter(pump, "rx_ack_flows_delay_based"));
        pump.ReleaseHeld();
        Assert.Equal(4, tun.Written);

        // Without a lookup (sock_diag refused) nothing is held in this mode.
        var (plain, plainSockets) = PumpTests.Connection(64, weights: [1, 1]);
        plain.Paths[0].EqualizeTicks = Stopwatch.Frequency * 60;
        plain.AckFloorMicros = 60_000_000;
        using var plainTun = new ReplayTun(Tcp4(Ack, 0));
        using var plainPump = new RxPump(plainTun, [plain], 2048);
        plainSockets[0].PerReceive = 2;
        plainSockets[0].Feed([Gre(SocketCongestionTests.Ack4(40000), 0), Gre(SocketCongestionTests.Ack4(40000), 1)]);
        plainPump.RunOnce(0);
        Assert.Equal(2, plainTun.Written);
    }

    [Theory]
    [InlineData(10, 1, 10, 25, 24_000)]   // 10+10 Mbit/s at 1/25 ms: the whole spread (the formula asks for 34 ms)
    [InlineData(15, 1, 5, 25, 16_000)]    // 15+5 at 1/25 ms: 1.5 × 14 − 2.5 × 2 ms
    [InlineData(15, 25, 5, 1, 24_000)]    // 15+5 at 25/1 ms: the whole spread
    [InlineData(100, 5, 20, 40, 7_500)]   // DSL + LTE: 1.5 × 21.7 − 2.5 × 10 ms, not 35
    [InlineData(200, 2, 200, 10, 8_000)]  // 200+200 at 2/10 ms: the whole spread
    [InlineData(100, 10, 100, 10, 0)]     // equal delays: nothing
    public void Acknowledgements_wait_for_what_a_delay_based_senders_window_needs_at_most_the_spread(
        double rate1, int delay1, double rate2, int delay2, long expectedMicros)
    {
        long rtt1 = delay1 * 2000L, rtt2 = delay2 * 2000L;
        double mean = ((rate1 * rtt1) + (rate2 * rtt2)) / (rate1 + rate2);
        long spread = Math.Abs(delay1 - delay2) * 1000L;
        Assert.InRange(DelayLine.AckExtraMicros(mean, Math.Min(rtt1, rtt2), spread), expectedMicros - 100, expectedMicros + 100);
    }

    [Fact]
    public void A_reload_or_shutdown_writes_the_held_acknowledgements_out_and_without_the_key_none_is_held()
    {
        var (connection, sockets) = PumpTests.Connection(64, weights: [1, 1], equalizeAcks: true);
        connection.Paths[0].EqualizeTicks = Stopwatch.Frequency * 60;
        using var tun = new ReplayTun(Tcp4(Ack, 0));
        var pump = new RxPump(tun, [connection], 2048);
        sockets[0].PerReceive = 8;
        sockets[0].Feed([.. Enumerable.Range(0, 8).Select(i => Gre(Tcp4(Ack, 0), (uint)i))]);
        pump.RunOnce(0);
        sockets[0].Feed([]);
        Assert.Equal(0, tun.Written);
        pump.ReleaseHeld(); // what a rebuild does while the datapath is paused
        Assert.Equal(8, tun.Written);
        pump.Dispose();     // and later frees the rest: nothing is written twice
        Assert.Equal(8, tun.Written);

        var (plain, plainSockets) = PumpTests.Connection(64, weights: [1, 1], equalizeDelay: true);
        plain.Paths[0].EqualizeTicks = 0; // equalize_delay = 1 holds by path (EqualizeTests), not by kind
        using var plainTun = new ReplayTun(Tcp4(Ack, 0));
        using var plainPump = new RxPump(plainTun, [plain], 2048);
        plainSockets[0].PerReceive = 8;
        plainSockets[0].Feed([.. Enumerable.Range(0, 8).Select(i => Gre(Tcp4(Ack, 0), (uint)i))]);
        plainPump.RunOnce(0);
        Assert.Equal(8, plainTun.Written);
        Assert.Equal(0, Counter(plainPump, "rx_acks_held"));
    }

    [Fact]
    public void Holding_acknowledgements_allocates_nothing_in_the_steady_state()
    {
        var (connection, sockets) = PumpTests.Connection(64, weights: [1, 1], equalizeAcks: true);
        byte[] ack = Tcp4(Ack, 0);
        sockets[0].Feed(PumpTests.Datagrams(ack, true, first: 0, step: 2, count: 256));
        sockets[1].Feed(PumpTests.Datagrams(Tcp4(Ack, 200), true, first: 1, step: 2, count: 256));
        connection.Paths[0].EqualizeTicks = 1;
        using var tun = new ReplayTun(ack);
        using var pump = new RxPump(tun, [connection], 2048);

        Assert.Equal(0, PumpTests.AllocatedInSteadyState(pump).Bytes);
        Assert.True(Counter(pump, "rx_acks_held") > 1000);
        Assert.True(tun.Written > 0);
    }

    private static byte[] Gre(byte[] inner, uint sequence) => PumpTests.Datagrams(inner, true, first: sequence, step: 1, count: 1)[0];

    private static long Counter(RxPump pump, string name) => pump.PublishCounters()[name];

    /// <summary>An IPv4 TCP segment from the remote tunnel address to the local one.</summary>
    internal static byte[] Tcp4(byte flags, int payload)
    {
        byte[] p = new byte[40 + payload];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        p[8] = 64;
        p[9] = 6;
        PumpTests.RemoteTunnel.GetAddressBytes().CopyTo(p, 12);
        PumpTests.LocalTunnel.GetAddressBytes().CopyTo(p, 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), InternetChecksum.Compute(p.AsSpan(0, 20)));
        Tcp(p.AsSpan(20), flags);
        return p;
    }

    private static byte[] Tcp6(byte flags, int payload)
    {
        byte[] p = new byte[60 + payload];
        p[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(20 + payload));
        p[6] = 6;
        p[7] = 64;
        IPAddress.Parse("fd00:1::2").GetAddressBytes().CopyTo(p, 8);
        IPAddress.Parse("fd00:1::1").GetAddressBytes().CopyTo(p, 24);
        Tcp(p.AsSpan(40), flags);
        return p;
    }

    private static void Tcp(Span<byte> tcp, byte flags)
    {
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 5201);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 40000);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], 1000);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], 2000);
        tcp[12] = 0x50;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
    }
}
