using System.Diagnostics;
using MptFast.Engine.Datapath;
using MptFast.Engine.Reorder;
using MptFast.Engine.Runtime;
using MptFast.Engine.Tests.Reorder;

namespace MptFast.Engine.Tests.Datapath;

/// <summary>Delay equalisation (equalize_delay): the delay line and the receive pump holding a faster path's packets.</summary>
public class EqualizeTests
{
    [Fact]
    public void A_delay_line_is_first_in_first_out_and_no_packet_is_due_before_the_one_in_front_of_it()
    {
        var line = new DelayLine(3);
        Assert.True(line.IsEmpty);
        Assert.Equal(long.MaxValue, line.NextDue);
        Assert.True(line.TryAdd(10, 100, dueTicks: 50));
        Assert.True(line.TryAdd(11, 101, dueTicks: 40)); // a shorter hold later: still behind the first
        Assert.True(line.TryAdd(12, 102, dueTicks: 70));
        Assert.True(line.IsFull);
        Assert.False(line.TryAdd(13, 103, dueTicks: 80));
        Assert.Equal(50, line.NextDue);

        Assert.False(line.TryTakeDue(49, out _, out _));
        Assert.True(line.TryTakeDue(50, out uint seq, out int handle));
        Assert.Equal((10u, 100), (seq, handle));
        Assert.Equal(50, line.NextDue); // the second was raised to the first's due time
        Assert.True(line.TryTakeDue(50, out seq, out handle));
        Assert.Equal((11u, 101), (seq, handle));
        Assert.False(line.TryTakeDue(69, out _, out _));

        // Wraps around its ring.
        Assert.True(line.TryAdd(13, 103, dueTicks: 90));
        Assert.True(line.TryAdd(14, 104, dueTicks: 95));
        Assert.True(line.TryTake(out seq, out _));
        Assert.Equal(12u, seq);
        Assert.True(line.TryTakeDue(95, out seq, out _));
        Assert.Equal(13u, seq);
        Assert.True(line.TryTakeDue(95, out seq, out _));
        Assert.Equal(14u, seq);
        Assert.False(line.TryTake(out _, out _));
        Assert.Equal(0, line.Count);
    }

    [Theory]
    [InlineData(22_500, 5_000, 0, 100_000, 17_500)]      // DSL (5 ms) with LTE (40 ms): up to their mean, 22.5 ms
    [InlineData(22_500, 5_000, 10_000, 100_000, 7_500)]  // less what its queue already made it wait
    [InlineData(22_500, 5_000, 50_000, 100_000, 0)]      // a queue longer than the difference: no hold
    [InlineData(22_500, 40_000, 0, 100_000, 0)]          // a path slower than the mean is never held
    [InlineData(300_500, 1_000, 0, 100_000, 100_000)]    // with a satellite path: at most max_buffdelay
    [InlineData(22_500, 5_000, -3_000, 100_000, 17_500)] // a negative queue estimate counts as none
    public void The_hold_is_the_difference_to_the_mean_delay_less_the_queue_within_max_buffdelay(long target, long own, long queue, long max, long expected) =>
        Assert.Equal(expected, DelayLine.HoldMicros(target, own, queue, max));

    [Fact]
    public void A_faster_paths_packets_wait_their_hold_then_reach_the_tun_in_order_with_the_slower_paths()
    {
        var (connection, sockets) = PumpTests.Connection(64, weights: [1, 1], equalizeDelay: true);
        ReorderBuffer reorder = connection.Reorder!;
        reorder.Adaptive = null;
        reorder.HoldTicks = Stopwatch.Frequency * 10; // the gap waits for the delayed packets, whatever the machine's pace
        byte[] inner = PumpTests.Icmp(PumpTests.RemoteTunnel, PumpTests.LocalTunnel);
        connection.Paths[0].EqualizeTicks = Stopwatch.Frequency / 50; // path 0 is 20 ms faster
        using var tun = new ReplayTun(inner);
        using var pump = new RxPump(tun, [connection], 2048);

        // The first packet sets the number the buffer expects; it is never delayed.
        sockets[1].PerReceive = 1;
        sockets[1].Feed(PumpTests.Datagrams(inner, true, first: 0, step: 1, count: 1));
        pump.RunOnce(0);
        Assert.Equal(1, tun.Written);

        sockets[0].PerReceive = 32;
        sockets[1].PerReceive = 31;
        sockets[0].Feed(PumpTests.Datagrams(inner, true, first: 1, step: 2, count: 32));
        sockets[1].Feed(PumpTests.Datagrams(inner, true, first: 2, step: 2, count: 31));
        long start = Stopwatch.GetTimestamp();
        pump.RunOnce(0);
        bool onTime = Stopwatch.GetElapsedTime(start) < TimeSpan.FromMilliseconds(19);
        sockets[0].Feed([]);
        sockets[1].Feed([]);
        if (onTime) // a turn that took the whole hold (a loaded machine) ends by releasing what is due
        {
            Assert.Equal(1, tun.Written); // path 1's packets wait behind 1, which is in path 0's line
            Assert.Equal(31, reorder.Held);
        }

        Assert.Equal(32, Counter(pump, "rx_equalized"));

        while (tun.Written < 64 && Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(5))
        {
            pump.RunOnce(5);
        }

        Assert.True(Stopwatch.GetElapsedTime(start) >= TimeSpan.FromMilliseconds(20), "delivered before the hold ended");
        Assert.Equal(64, tun.Written);
        Assert.Equal(64, reorder.Delivered);
        Assert.Equal(0, reorder.GapsSkipped + reorder.DeliveredLate + reorder.DroppedLate + reorder.DroppedDuplicate);
        Assert.Equal(0, Counter(pump, "rx_equalize_overflows"));
    }

    [Theory]
    [InlineData(64, 32)]                             // half the reorder window: held packets must stay inside it
    [InlineData(10_000, RxPump.DelayLineCapacity)]
    public void A_full_line_passes_its_oldest_packet_on_and_counts_it(int window, int capacity)
    {
        var (connection, sockets) = PumpTests.Connection(window, weights: [1, 1], equalizeDelay: true);
        byte[] inner = PumpTests.Icmp(PumpTests.RemoteTunnel, PumpTests.LocalTunnel);
        int total = capacity + 100;
        sockets[0].PerReceive = 1;
        sockets[0].Feed(PumpTests.Datagrams(inner, true, first: 0, step: 1, count: total));
        connection.Paths[0].EqualizeTicks = Stopwatch.Frequency * 60;
        using var tun = new ReplayTun(inner);
        var pump = new RxPump(tun, [connection], 2048);
        var ignore = new CountingSink();
        connection.Reorder!.Push(uint.MaxValue, -1, 0, ref ignore); // synchronised just before 0
        while (connection.Paths[0].Counters.Rx.Packets < total)
        {
            pump.RunOnce(0);
        }

        Assert.Equal(total, connection.Paths[0].Counters.Rx.Packets);
        Assert.Equal(100, Counter(pump, "rx_equalize_overflows"));
        Assert.Equal(100, tun.Written); // the oldest, in order
        Assert.Equal(0, connection.Reorder.GapsSkipped + connection.Reorder.Resyncs + connection.Reorder.DroppedLate);

        // A reload or shutdown costs no packet: disposing the pump writes the held ones out.
        sockets[0].Feed([]);
        pump.Dispose();
        Assert.Equal(total, tun.Written);
    }

    [Fact]
    public void Equalising_allocates_nothing_in_the_steady_state()
    {
        var (connection, sockets) = PumpTests.Connection(64, weights: [1, 1], equalizeDelay: true);
        byte[] inner = PumpTests.Icmp(PumpTests.RemoteTunnel, PumpTests.LocalTunnel);
        sockets[0].Feed(PumpTests.Datagrams(inner, true, first: 0, step: 2, count: 256));
        sockets[1].Feed(PumpTests.Datagrams(inner, true, first: 1, step: 2, count: 256));
        connection.Paths[0].EqualizeTicks = 1;
        using var tun = new ReplayTun(inner);
        using var pump = new RxPump(tun, [connection], 2048);

        Assert.Equal(0, PumpTests.AllocatedInSteadyState(pump).Bytes);
        Assert.True(Counter(pump, "rx_equalized") > 1000);
        Assert.True(tun.Written > 0);
    }

    [Fact]
    public void Without_the_key_no_packet_is_delayed()
    {
        var (connection, sockets) = PumpTests.Connection(64, weights: [1, 1]);
        byte[] inner = PumpTests.Icmp(PumpTests.RemoteTunnel, PumpTests.LocalTunnel);
        sockets[0].PerReceive = 8;
        sockets[0].Feed(PumpTests.Datagrams(inner, true, first: 0, step: 1, count: 8));
        connection.Paths[0].EqualizeTicks = Stopwatch.Frequency;
        using var tun = new ReplayTun(inner);
        using var pump = new RxPump(tun, [connection], 2048);
        pump.RunOnce(0);
        Assert.Equal(8, tun.Written);
        Assert.Equal(0, Counter(pump, "rx_equalized"));
    }

    private static long Counter(RxPump pump, string name) => pump.PublishCounters()[name];
}
