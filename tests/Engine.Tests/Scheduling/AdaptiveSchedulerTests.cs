using MptFast.Engine.Measurement;
using MptFast.Engine.Scheduling;
using Link = MptFast.Engine.Tests.Scheduling.LinkSimulation.Link;

namespace MptFast.Engine.Tests.Scheduling;

/// <summary>The adaptive scheduler against <see cref="LinkSimulation"/>: links of known rate, delay and loss, probes
/// exchanged as the daemons do, a source of fixed rate. Figures are checked per second of simulated time.</summary>
public class AdaptiveSchedulerTests
{
    private const long Second = 1_000_000;

    private static double Mbit(long bytes, long micros) => bytes * 8.0 / micros;

    [Fact]
    public void At_low_load_everything_takes_the_path_with_the_shorter_delay()
    {
        var sim = new LinkSimulation(new Link(15, 25_000), new Link(5, 1_000)) { OfferedPerMicro = 4.0 / 8 };
        sim.Run(5 * Second);

        long[] bytes = sim.DeliveredBytes(2 * Second, 5 * Second);
        Assert.True(bytes[1] > 0.99 * (bytes[0] + bytes[1]), $"path shares {bytes[0]} / {bytes[1]}");
    }

    [Theory]
    [InlineData(100, 1_000, 20, 1_000)]
    [InlineData(15, 1_000, 5, 25_000)]
    [InlineData(100, 5_000, 20, 40_000)]
    public void Near_capacity_both_paths_carry_what_is_offered_without_weights(double r1, long d1, double r2, long d2)
    {
        var sim = new LinkSimulation(new Link(r1, d1), new Link(r2, d2)) { OfferedPerMicro = (r1 + r2) / 8 * 0.95 };
        sim.Run(10 * Second);

        long[] bytes = sim.DeliveredBytes(5 * Second, 10 * Second);
        double total = Mbit(bytes[0] + bytes[1], 5 * Second);
        Assert.InRange(total, 0.97 * 0.95 * (r1 + r2), (r1 + r2) * 1.01);
        Assert.True(Mbit(bytes[1], 5 * Second) > 0.5 * r2, $"the slower path carries {Mbit(bytes[1], 5 * Second):0.0} Mbit/s");
    }

    [Theory]
    [InlineData(800_000)]
    [InlineData(1_200_000)]
    public void A_window_limited_transport_over_DSL_and_LTE_keeps_both_links_busy(long window)
    {
        // DSL + LTE (100 Mbit/s at 5 ms, 20 at 40 ms, 50 ms buffers) to a reordering receiver, and an inner transport
        // whose window lies between the bandwidth-delay product at the slow path's round trip (120 Mbit/s × 45 ms,
        // 675 KB) and that plus the buffers (1.4 MB): enough to keep both links busy all the time. Its ACK clock follows
        // the in-sequence delivery, as an inner TCP's does through the receiver's reorder buffer.
        var sim = new LinkSimulation(new Link(100, 5_000), new Link(20, 40_000)) { WindowBytes = window };
        sim.Scheduler.ReceiverReorders = true;
        for (long t = 100_000; t <= 10 * Second; t += 100_000)
        {
            sim.Run(t);
        }

        long[] bytes = sim.DeliveredBytes(4 * Second, 10 * Second);
        double dsl = Mbit(bytes[0], 6 * Second);
        double lte = Mbit(bytes[1], 6 * Second);
        Assert.True(dsl >= 0.97 * 100 && lte >= 0.95 * 20, $"DSL {dsl:0.0}, LTE {lte:0.0} Mbit/s");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_transfer_ramping_up_on_a_fresh_tunnel_stays_on_the_faster_path_while_it_has_capacity(bool receiverReorders)
    {
        // DSL + LTE (100 Mbit/s 5 ms, 20 Mbit/s 40 ms), nothing learnt yet; the source doubles its rate every 50 ms from
        // 1 Mbit/s to 80 Mbit/s, as a TCP slow start would. Sending on the 40 ms path while the 5 ms one has room makes
        // every later segment wait for it at the receiver: the inner round trip jumps from the fast path's to the slow
        // one's, which ends a CUBIC slow start (HyStart) at a fraction of the window the tunnel needs.
        var sim = new LinkSimulation(new Link(100, 5_000), new Link(20, 40_000));
        sim.Scheduler.ReceiverReorders = receiverReorders;
        Ramp(sim, from: 0, to: Second, peakMbit: 80);

        long[] bytes = sim.DeliveredBytes(0, Second + 50_000);
        Assert.True(bytes[1] <= 0.01 * (bytes[0] + bytes[1]), $"path shares {bytes[0]} / {bytes[1]}");
        Assert.False(sim.Scheduler.IsSaturated(0, sim.Now));
    }

    [Fact]
    public void The_fastest_path_is_filled_by_its_measured_queue_again_once_its_saturation_is_older_than_the_queue_memory()
    {
        // 110 Mbit/s offered on DSL + LTE saturates the DSL path: its learnt rate is then its capacity, and its virtual
        // queue decides (both paths carry data). After 11 s of silence the saturation is forgotten: a new ramp stays on
        // the DSL path again until that shows a queue.
        LinkSimulation sim = SaturatedDslLte();
        long[] bulk = sim.DeliveredBytes(2 * Second, 3 * Second);
        Assert.True(Mbit(bulk[1], Second) > 5, $"the LTE path carries {Mbit(bulk[1], Second):0.0} Mbit/s of the bulk");

        sim.OfferedPerMicro = 0;
        sim.Run(14 * Second);
        Assert.False(sim.Scheduler.IsSaturated(0, sim.Now));
        Ramp(sim, from: 14 * Second, to: 15 * Second, peakMbit: 80);
        long[] bytes = sim.DeliveredBytes(14 * Second, 15 * Second + 50_000);
        Assert.True(bytes[1] <= 0.01 * (bytes[0] + bytes[1]), $"path shares {bytes[0]} / {bytes[1]}");
    }

    [Fact]
    public void On_paths_of_equal_delay_a_ramp_spreads_over_both_before_either_is_saturated()
    {
        // A burst on the other path costs the receiver no wait when the delays are equal: the virtual queues decide.
        var sim = new LinkSimulation(new Link(100, 1_000), new Link(100, 1_000));
        sim.Scheduler.ReceiverReorders = true;
        Ramp(sim, from: 0, to: Second, peakMbit: 80);

        long[] bytes = sim.DeliveredBytes(0, Second + 50_000);
        Assert.True(bytes[1] >= 0.1 * (bytes[0] + bytes[1]) && bytes[0] >= 0.1 * (bytes[0] + bytes[1]), $"path shares {bytes[0]} / {bytes[1]}");
    }

    /// <summary>DSL + LTE (100 Mbit/s at 5 ms, 20 at 40 ms) to a reordering receiver after 3 s of 110 Mbit/s offered:
    /// the DSL path saturated, its learnt rate its capacity.</summary>
    private static LinkSimulation SaturatedDslLte()
    {
        var sim = new LinkSimulation(new Link(100, 5_000), new Link(20, 40_000));
        sim.Scheduler.ReceiverReorders = true;
        sim.OfferedPerMicro = 110.0 / 8;
        sim.Run(3 * Second);
        Assert.True(sim.Scheduler.IsSaturated(0, sim.Now));
        return sim;
    }

    /// <summary>Runs <paramref name="sim"/> from <paramref name="from"/> to <paramref name="to"/> with the offered rate
    /// doubling every 50 ms from 1 Mbit/s up to <paramref name="peakMbit"/>.</summary>
    private static void Ramp(LinkSimulation sim, long from, long to, double peakMbit)
    {
        for (long t = from + 10_000; t <= to; t += 10_000)
        {
            sim.OfferedPerMicro = Math.Min(peakMbit, Math.Pow(2, (t - from) / 50_000.0)) / 8;
            sim.Run(t);
        }
    }

    [Fact]
    public void A_short_transfer_after_a_bulk_one_stays_on_the_faster_path_and_a_new_bulk_one_spreads_again()
    {
        // DSL + LTE; a bulk load saturates the DSL path, so its learnt rate is its capacity and its virtual queue
        // decides. 0.3 s after the load ends a 256 KB transfer comes at once (1 Gbit/s for 2 ms): on the 5 ms path it
        // is all delivered within ~26 ms, and a part sent on the 40 ms path would hold everything behind it at the
        // receiver — each round of a short transfer would take the slow path's delay (135 ms instead of 70 measured).
        LinkSimulation sim = SaturatedDslLte();

        sim.OfferedPerMicro = 0;
        sim.Run(3_300_000);
        sim.OfferedPerMicro = 1000.0 / 8;
        sim.Run(3_302_000);
        sim.OfferedPerMicro = 0;
        sim.Run(3_600_000);
        long[] burst = sim.DeliveredBytes(3_300_000, 3_600_000);
        Assert.True(burst[0] >= 250_000 && burst[1] == 0, $"path shares {burst[0]} / {burst[1]}");

        // A new bulk load passes the transfer-start allowance within a round trip: both paths carry it again.
        sim.OfferedPerMicro = 110.0 / 8;
        sim.Run(5 * Second);
        long[] bulk = sim.DeliveredBytes(4 * Second, 5 * Second);
        Assert.True(Mbit(bulk[1], Second) > 5, $"the LTE path carries {Mbit(bulk[1], Second):0.0} Mbit/s of the bulk");
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public void Past_every_short_queue_a_reordering_receiver_gets_the_least_queued_path(bool receiverReorders, int expected)
    {
        // Path 0: 5 ms base, 30 ms queued (arrives at 35 ms); path 1: 40 ms base, 10 ms queued (arrives at 50 ms).
        // Neither has a short queue. Earliest arrival takes path 0 and lengthens the queue that is longer already; a
        // receiver that reorders absorbs the delay difference, so the segment goes where the least waits in front of it.
        var scheduler = new AdaptiveScheduler([1, 1]) { ReceiverReorders = receiverReorders };
        const long now = 1_000_000;
        Saturated(scheduler, 0, baseMicros: 5_000, queueMicros: 30_000, rate: 12_500_000, now);
        Saturated(scheduler, 1, baseMicros: 40_000, queueMicros: 10_000, rate: 2_500_000, now);
        scheduler.Charge(0, 375_000, now); // 30 ms at 100 Mbit/s
        scheduler.Charge(1, 25_000, now);  // 10 ms at 20 Mbit/s
        Assert.Equal(3u, scheduler.Usable(3, now));
        Assert.Equal(expected, scheduler.Choose(3, 1400, now));

        // A path with a short queue is still filled first, whatever the receiver does: 10 ms later path 1 has drained
        // (path 0 has 20 ms left, arriving at 25 ms: still the earliest).
        Assert.Equal(receiverReorders ? 1 : 0, scheduler.Choose(3, 1400, now + 10_000));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_probe_that_shows_a_paths_capacity_sets_its_virtual_queue_to_what_it_found(bool probeTimeKnown)
    {
        // The path's capacity is 5 Mbit/s. Its virtual queue, drained at the learnt rate, holds 15 KB; the real one grew
        // at 6.2 Mbit/s. The probe sent at 40 ms found 60 ms of queue: that plus the 60 segments charged since, at the 5
        // Mbit/s the path then proved (134.4 ms), less the 60 ms since and the 2 ms margin — 132.4 ms, 82,750 bytes.
        AdaptiveScheduler scheduler = FedFiveMbitPathAtEleven(out PathEstimate full, probeTimeKnown ? 40_000 : null, lossAt: null);
        Assert.True(scheduler.IsSaturated(1, T0 + 100_000));
        Assert.Equal(625_000, scheduler.RateOf(1));
        Assert.InRange(scheduler.BacklogOf(1), probeTimeKnown ? 82_000 : 14_000, probeTimeKnown ? 83_500 : 16_000);

        // Once the path has shown its capacity its virtual queue counts again (20 ms drained at 5 Mbit/s since, 12,500
        // bytes): a later probe that found more raises nothing.
        scheduler.Observe(1, full with { Version = 3, ForwardQueueMicros = 100_000, ProbeSentMicros = T0 + 90_000 }, T0 + 120_000);
        Assert.InRange(scheduler.BacklogOf(1), probeTimeKnown ? 70_000 : 1_000, probeTimeKnown ? 71_000 : 4_000);
    }

    [Fact]
    public void On_a_path_that_lost_packets_the_queue_counted_is_at_most_the_longest_a_probe_found()
    {
        // As above, but the peer reported a loss on the path at 50 ms: some of the bytes charged since the probe were
        // dropped, not queued. At most the 60 ms found (less the 2 ms margin): 36,250 bytes at 5 Mbit/s.
        AdaptiveScheduler scheduler = FedFiveMbitPathAtEleven(out _, 40_000, lossAt: 50_000);
        Assert.InRange(scheduler.BacklogOf(1), 36_000, 36_500);
    }

    [Theory]
    [InlineData(21_000, 70_250)] // 20 ms faster than the other path: that much of the queue is its lead, not counted
    [InlineData(2_500, 82_750)]  // 1.5 ms: about equal delays, no lead
    public void On_the_fastest_path_the_queue_counted_leaves_out_its_lead_over_the_next_path(long otherBase, double expected)
    {
        AdaptiveScheduler scheduler = FedFiveMbitPathAtEleven(out _, 40_000, lossAt: null, otherBaseMicros: otherBase);
        Assert.InRange(scheduler.BacklogOf(1), expected - 750, expected + 750);
    }

    private const long T0 = 1_000_000;

    /// <summary>Path 1 (of two; path 0 unmeasured, or measured with base delay <paramref name="otherBaseMicros"/>) measured
    /// at <see cref="T0"/>, then fed 11.2 Mbit/s (1,400 bytes a
    /// millisecond) for 100 ms from the 10 Mbit/s initial rate; a loss reported <paramref name="lossAt"/> after T0; at
    /// T0 + 100 ms the probe sent <paramref name="probeSent"/> after T0 (<paramref name="full"/>) shows 60 ms of queue
    /// and 5 Mbit/s delivered.</summary>
    private static AdaptiveScheduler FedFiveMbitPathAtEleven(out PathEstimate full, long? probeSent, long? lossAt, long? otherBaseMicros = null)
    {
        var scheduler = new AdaptiveScheduler([1, 1]) { ReceiverReorders = true };
        if (otherBaseMicros is long other)
        {
            scheduler.Observe(0, Estimate(baseMicros: other, queueMicros: 0, rate: 1_875_000), T0);
        }

        scheduler.Observe(1, Estimate(baseMicros: 1_000, queueMicros: 0, rate: 625_000), T0);
        for (long t = T0; t < T0 + 100_000; t += 1_000)
        {
            scheduler.Charge(1, 1_400, t);
        }

        if (lossAt is long loss)
        {
            scheduler.OnLossReported(1, T0 + loss);
        }

        full = Estimate(baseMicros: 1_000, queueMicros: 60_000, rate: 625_000, version: 2)
            with { ProbeSentMicros = probeSent is long sent ? T0 + sent : 0 };
        scheduler.Observe(1, full, T0 + 100_000);
        return scheduler;
    }

    [Theory]
    [InlineData(140_000)]
    [InlineData(170_000)]
    [InlineData(185_000)]
    public void A_queue_the_virtual_one_missed_at_the_start_does_not_make_the_faster_path_the_later_one(long window)
    {
        // 15 + 5 Mbit/s at 25/1 ms, a fresh tunnel, a reordering receiver, and an inner transport whose window grows
        // from 20 KB to its size in its first second (a slow start) and stays there — more than the paths carry at their
        // round trips, so both queue. Before the 5 Mbit/s path (the fastest) showed its capacity it was fed as though
        // empty, and its real queue ran ahead of its virtual one; past every short queue the paths are filled by their
        // virtual queues, which kept that difference for as long as the transfer: packets on the 1-ms path arrived
        // after those on the 25-ms path, each later by up to 18 ms (in the daemons: the 5 Mbit/s path 55–65 ms queued
        // and the other 5–25, until the inner BBR's ProbeRTT). The probe that shows the path's capacity says how far
        // ahead the real queue is, and a queue up to the delay difference is left there (it costs no arrival time).
        var sim = new LinkSimulation(new Link(15, 25_000), new Link(5, 1_000));
        sim.Scheduler.ReceiverReorders = true;
        for (long t = 10_000; t <= Second; t += 10_000)
        {
            sim.WindowBytes = 20_000 + ((window - 20_000) * t / Second);
            sim.Run(t);
        }

        var later = new List<long>();
        for (long t = 3 * Second; t <= 6 * Second; t += 20_000)
        {
            sim.Run(t);
            later.Add(sim.Links[1].QueueMicros(t) + sim.Links[1].DelayMicros - (sim.Links[0].QueueMicros(t) + sim.Links[0].DelayMicros));
        }

        Assert.True(later.Average() < 10_000, $"the 1-ms path's packets arrive {later.Average() / 1000:0.0} ms after the 25-ms path's");
    }

    [Fact]
    public void A_measured_queue_is_not_a_wait_in_front_of_the_next_burst()
    {
        // DSL + LTE to a reordering receiver, the DSL path with 20 ms of its learnt rate just sent (its virtual queue).
        // The LTE path's last probe found 30 ms of queue: the queue it waited in when it was sent, a round trip (80 ms
        // and more) before its echo came back — all of it has left the link since, and nothing was sent there. The LTE
        // path is empty and takes the burst; counting the sample as a wait kept it idle until the next sample while
        // the DSL queue grew, and made the paths take turns.
        var scheduler = new AdaptiveScheduler([1, 1]) { ReceiverReorders = true };
        const long now = 1_000_000;
        Saturated(scheduler, 0, baseMicros: 5_000, queueMicros: 5_000, rate: 12_500_000, now);
        Saturated(scheduler, 1, baseMicros: 40_000, queueMicros: 30_000, rate: 2_500_000, now);
        scheduler.Charge(0, 250_000, now);
        Assert.Equal(1, scheduler.Choose(3, 1400, now));

        // What was sent on the LTE path since counts: 25 ms of it, and the DSL path (20 ms) has less in front.
        scheduler.Charge(1, 62_500, now);
        Assert.Equal(0, scheduler.Choose(3, 1400, now));
    }

    [Fact]
    public void A_tail_drop_is_repaired_only_on_a_path_with_room_and_left_to_tcp_when_every_path_is_full()
    {
        const long now = 1_000_000;
        var scheduler = new AdaptiveScheduler([1, 1, 1]);
        scheduler.Observe(0, Estimate(baseMicros: 5_000, queueMicros: 40_000, rate: 12_500_000), now);  // congested
        scheduler.Observe(1, Estimate(baseMicros: 40_000, queueMicros: 1_000, rate: 2_500_000), now);  // room
        scheduler.Observe(2, Estimate(baseMicros: 10_000, queueMicros: 0, rate: 2_500_000), now);      // room, not OK
        Assert.True(scheduler.IsCongested(0));
        Assert.False(scheduler.IsCongested(1));

        Assert.Equal(0b010u, scheduler.RepairPaths(0, 0b011, now)); // not on the congested path itself, nor on one not OK
        Assert.Equal(0b110u, scheduler.RepairPaths(0, 0b111, now));
        Assert.Equal(0b011u, scheduler.RepairPaths(1, 0b011, now)); // random loss on an uncongested path: anywhere OK

        scheduler.Observe(1, Estimate(baseMicros: 40_000, queueMicros: 30_000, rate: 2_500_000, version: 2), now);
        Assert.Equal(0u, scheduler.RepairPaths(0, 0b011, now));     // every path full: the inner TCP's signal
        Assert.Equal(0b100u, scheduler.RepairPaths(1, 0b111, now));
    }

    [Fact]
    public void A_path_that_loses_at_short_queues_has_its_losses_repaired_unless_its_queue_is_near_the_longest()
    {
        var paths = new TwoEqualPaths();
        AdaptiveScheduler scheduler = paths.Scheduler;

        paths.Queues(40_000, 40_000);                        // both buffers full: a loss is the inner TCP's
        Assert.Equal(0u, scheduler.RepairPaths(1, 0b11, paths.Now));

        // Path 1 loses packets at short queues, three episodes a round trip or more apart (a fourth report 1 ms after
        // the third is the same episode): it is a lossy path.
        for (int episode = 0; episode < AdaptiveScheduler.RandomLossEpisodes; episode++)
        {
            paths.Now += 100_000;
            paths.Queues(40_000, 5_000);
            Assert.False(scheduler.IsRandomLossy(1));
            scheduler.OnLossReported(1, paths.Now);
            scheduler.OnLossReported(0, paths.Now);          // path 0's queue is long: its losses are tail drops
        }

        Assert.True(scheduler.IsRandomLossy(1));
        Assert.False(scheduler.IsRandomLossy(0));

        paths.Now += 100_000;
        paths.Queues(40_000, 20_000);                        // path 1 long, but half what it held: its loss is repaired
        Assert.True(scheduler.IsCongested(0));
        Assert.False(scheduler.IsCongested(1));
        Assert.Equal(0b11u, scheduler.RepairPaths(1, 0b11, paths.Now));
        Assert.Equal(0b10u, scheduler.RepairPaths(0, 0b11, paths.Now)); // path 0's tail drop goes to path 1, which has room
        paths.Now += 100_000;
        paths.Queues(40_000, 33_000);                        // four fifths of its longest: path 1 is full too
        Assert.True(scheduler.IsCongested(1));
        Assert.Equal(0u, scheduler.RepairPaths(1, 0b11, paths.Now));

        paths.Now += AdaptiveScheduler.QueueMemoryMicros + 1;
        paths.Queues(40_000, 20_000);                        // no short-queue loss for a while: tail drops again
        Assert.False(scheduler.IsRandomLossy(1));
        Assert.True(scheduler.IsCongested(1));
    }

    [Fact]
    public void A_path_the_scheduler_expects_a_long_wait_on_has_no_room_for_a_repair_whatever_its_measured_queue()
    {
        const long now = 1_000_000;
        var scheduler = new AdaptiveScheduler([1, 1]);
        scheduler.Observe(0, Estimate(baseMicros: 5_000, queueMicros: 40_000, rate: 12_500_000), now); // tail-dropping
        scheduler.Observe(1, Estimate(baseMicros: 40_000, queueMicros: 0, rate: 2_500_000), now);      // measured: empty
        Assert.True(scheduler.HasRoom(1, now));
        Assert.Equal(0b10u, scheduler.RepairPaths(0, 0b11, now));

        // 30 ms of path 1's learnt rate just sent there: the scheduler expects a 30 ms wait, the measurement has not seen
        // it yet. No room: the tail drop is the inner TCP's.
        scheduler.Charge(1, 75_000, now);
        Assert.False(scheduler.IsCongested(1));
        Assert.False(scheduler.HasRoom(1, now));
        Assert.Equal(0u, scheduler.RepairPaths(0, 0b11, now));

        // Once it drained (25 ms later: 5 ms left), there is room again.
        Assert.True(scheduler.HasRoom(1, now + 25_000));
    }

    [Fact]
    public void A_lossy_paths_loss_at_its_longest_queue_is_repaired_while_no_other_path_overflowed()
    {
        var paths = new TwoEqualPaths();
        AdaptiveScheduler scheduler = paths.Scheduler;

        for (int episode = 0; episode < AdaptiveScheduler.RandomLossEpisodes; episode++)
        {
            paths.Now += 100_000;
            paths.Queues(5_000, 5_000);
            scheduler.OnLossReported(1, paths.Now);          // path 1 loses at short queues; path 0 loses nothing
        }

        Assert.True(scheduler.IsRandomLossy(1));
        paths.Now += 100_000;
        paths.Queues(30_000, 30_000);                        // both long, path 1 at the longest it held
        scheduler.OnLossReported(1, paths.Now);
        Assert.True(scheduler.IsCongested(0));
        Assert.True(scheduler.IsCongested(1));
        Assert.False(scheduler.IsFull(0, paths.Now));
        Assert.Equal(0b01u, scheduler.RepairPaths(1, 0b11, paths.Now)); // path 0 never overflowed: the loss is repaired there

        scheduler.OnLossReported(0, paths.Now);              // path 0's buffer overflows too: now both are full
        Assert.True(scheduler.IsFull(0, paths.Now));
        Assert.Equal(0u, scheduler.RepairPaths(1, 0b11, paths.Now));
        Assert.Equal(0u, scheduler.RepairPaths(0, 0b11, paths.Now)); // a clean path's tail drop: path 1 is congested

        // An overflow is remembered for QueueMemoryMicros.
        Assert.False(scheduler.IsFull(0, paths.Now + AdaptiveScheduler.QueueMemoryMicros + 1));
    }

    [Fact]
    public void Losses_of_one_episode_and_losses_at_long_queues_do_not_make_a_path_lossy()
    {
        var scheduler = new AdaptiveScheduler([1]);
        long now = 1_000_000;
        scheduler.Observe(0, Estimate(baseMicros: 1_000, queueMicros: 2_000, rate: 12_500_000), now);
        for (int i = 0; i < 20; i++)
        {
            scheduler.OnLossReported(0, now + (i * 1_000)); // a slow start's overshoot: many reports, one episode
        }

        Assert.False(scheduler.IsRandomLossy(0));
        for (int i = 0; i < 10; i++)
        {
            now += 100_000;
            scheduler.Observe(0, Estimate(baseMicros: 1_000, queueMicros: 40_000, rate: 12_500_000, version: i + 2), now);
            scheduler.OnLossReported(0, now);                // tail drops at a full buffer
        }

        Assert.False(scheduler.IsRandomLossy(0));
    }

    [Fact]
    public void Observe_adapts_the_rate_by_its_rules_at_their_boundaries()
    {
        // Rates in bytes/s; one path, measurements 20 ms apart (MinAdjustMicros) unless said otherwise.
        var s = new AdaptiveScheduler([1]);
        long t = 1_000_000;
        int version = 1;
        PathEstimate At(long queue, long delivered, long max, long jitter = 0) =>
            Estimate(baseMicros: 5_000, queueMicros: queue, rate: delivered, version: version++)
                with { MaxDeliveredBytesPerSecond = max, ReverseJitterMicros = jitter };

        // The first measurement starts from what the path carried, at least InitialRate.
        s.Observe(0, At(queue: 0, delivered: 0, max: 2_000_000), t);
        Assert.Equal(2_000_000, s.RateOf(0));

        // Busy (offered 1.5 MB/s ≥ 0.6 × 2 MB/s) without a queue: × 1.25, up to 1.25 × the most delivered.
        s.Charge(0, 30_000, t);
        s.Observe(0, At(queue: 0, delivered: 1_500_000, max: 2_000_000), t += 20_000);
        Assert.Equal(2_500_000, s.RateOf(0));

        // Less than MinAdjustMicros since the last adjustment: nothing changes.
        s.Charge(0, 100_000, t);
        s.Observe(0, At(queue: 0, delivered: 1_500_000, max: 2_000_000), t + 10_000);
        Assert.Equal(2_500_000, s.RateOf(0));

        // The same version again: ignored.
        version--;
        s.Observe(0, At(queue: 0, delivered: 9_000_000, max: 9_000_000), t += 20_000);
        Assert.Equal(2_500_000, s.RateOf(0));

        // Queued (3,001 µs > 2,000 + 2 × 500 jitter) and fed 0.9 × what it delivered: saturated, the rate falls to
        // the delivered 2 MB/s. (The 100,000 bytes charged above count over this 40 ms interval: 2.5 MB/s offered.)
        Assert.False(s.IsSaturated(0, t));
        s.Observe(0, At(queue: 3_001, delivered: 2_000_000, max: 2_000_000, jitter: 500), t += 20_000);
        Assert.Equal(2_000_000, s.RateOf(0));
        Assert.True(s.IsSaturated(0, t));
        Assert.True(s.IsSaturated(0, t + AdaptiveScheduler.QueueMemoryMicros));
        Assert.False(s.IsSaturated(0, t + AdaptiveScheduler.QueueMemoryMicros + 1));

        // Queued but fed less than 0.9 × delivered (a queue draining): unchanged. 35,999 bytes in 20 ms = 1.79995 MB/s.
        s.Charge(0, 35_999, t);
        s.Observe(0, At(queue: 5_000, delivered: 2_000_000, max: 2_000_000), t += 20_000);
        Assert.Equal(2_000_000, s.RateOf(0));

        // Exactly 0.9 ×: saturated. At most halved per step: delivered 0.5 MB/s gives 1 MB/s.
        s.Charge(0, 9_000, t);
        s.Observe(0, At(queue: 5_000, delivered: 500_000, max: 2_000_000), t += 20_000);
        Assert.Equal(1_000_000, s.RateOf(0));

        // A queue exactly at the threshold is no queue: busy growth, capped by InitialRate when little was delivered.
        s.Charge(0, 12_000, t);
        s.Observe(0, At(queue: 2_000, delivered: 600_000, max: 600_000), t += 20_000);
        Assert.Equal(AdaptiveScheduler.InitialRate, s.RateOf(0));

        // The peer received more than the rate: the rate is what it received.
        s.Observe(0, At(queue: 9_000, delivered: 3_000_000, max: 3_000_000), t += 20_000);
        Assert.Equal(3_000_000, s.RateOf(0));

        // Not busy (offered < 0.6 × rate) and no queue: unchanged.
        s.Charge(0, 35_000, t);
        s.Observe(0, At(queue: 0, delivered: 1_000_000, max: 3_000_000), t += 20_000);
        Assert.Equal(3_000_000, s.RateOf(0));
    }

    /// <summary>Two equal paths (100 Mbit/s, 1 ms) whose queue measurements the test sets, at <see cref="Now"/>.</summary>
    private sealed class TwoEqualPaths
    {
        private int _version = 1;

        public AdaptiveScheduler Scheduler { get; } = new([1, 1]);

        public long Now { get; set; } = 1_000_000;

        public void Queues(long q0, long q1)
        {
            Scheduler.Observe(0, Estimate(baseMicros: 1_000, queueMicros: q0, rate: 12_500_000, version: _version), Now);
            Scheduler.Observe(1, Estimate(baseMicros: 1_000, queueMicros: q1, rate: 12_500_000, version: _version++), Now);
        }
    }

    /// <summary>Makes <paramref name="path"/> saturated at <paramref name="now"/> (its learnt rate is its capacity,
    /// <paramref name="rate"/>): measured 20 ms earlier, fed its rate since, and now found <paramref name="queueMicros"/>
    /// queued. Its virtual queue is empty: what it was fed has drained.</summary>
    private static void Saturated(AdaptiveScheduler scheduler, int path, long baseMicros, long queueMicros, long rate, long now)
    {
        scheduler.Observe(path, Estimate(baseMicros, queueMicros: 0, rate), now - 20_000);
        scheduler.Charge(path, (int)(rate / 50), now - 20_000);
        scheduler.Observe(path, Estimate(baseMicros, queueMicros, rate, version: 2), now);
        Assert.True(scheduler.IsSaturated(path, now));
        Assert.Equal(0, scheduler.BacklogOf(path), 3);
    }

    private static PathEstimate Estimate(long baseMicros, long queueMicros, long rate, int version = 1) =>
        new(version, SmoothedRttMicros: 2 * baseMicros, MinRttMicros: 2 * baseMicros, ForwardBaseMicros: baseMicros,
            ForwardQueueMicros: queueMicros, ReverseBaseMicros: baseMicros, ReverseQueueMicros: 0, ReverseJitterMicros: 0,
            DeliveredBytesPerSecond: rate, MaxDeliveredBytesPerSecond: rate, LossPpm: 0);

    [Fact]
    public void A_rate_drop_on_one_path_is_followed_within_a_second()
    {
        var slow = new Link(20, 5_000);
        var sim = new LinkSimulation(new Link(20, 5_000), slow) { OfferedPerMicro = 38.0 / 8 };
        sim.Run(5 * Second);
        Assert.InRange(sim.Scheduler.RateOf(1) * 8 / 1e6, 15, 30);

        slow.RateBytesPerMicro = 5.0 / 8;
        sim.OfferedPerMicro = 24.0 / 8;
        // The learnt rate probes upward (×1.25 a step) and falls back to what was delivered when the queue grows: it
        // oscillates around the capacity, or — fed less than its rate, without a queue — rests above it until it is fed
        // enough to show one. So its mean over the second after the drop is checked, not one sample: at most twice the
        // new capacity (it was 20 Mbit/s), and what the source offers is carried.
        double sum = 0;
        int samples = 0;
        for (long t = 5 * Second + 200_000; t <= 6 * Second + 200_000; t += 20_000)
        {
            sim.Run(t);
            sum += sim.Scheduler.RateOf(1) * 8 / 1e6;
            samples++;
        }

        Assert.InRange(sum / samples, 3.5, 10);
        sim.Run(8 * Second);
        long[] bytes = sim.DeliveredBytes(6 * Second, 8 * Second);
        Assert.InRange(Mbit(bytes[0] + bytes[1], 2 * Second), 22.5, 25.1);
    }

    [Fact]
    public void A_silently_dead_path_is_left_within_a_quarter_second_and_taken_back_when_it_heals()
    {
        var broken = new Link(50, 5_000);
        var sim = new LinkSimulation(broken, new Link(50, 5_000)) { OfferedPerMicro = 80.0 / 8 };
        sim.Run(5 * Second);
        long sentBefore = sim.Sender[0].TxPackets > 0 ? (long)sim.Sender[0].TxPackets : 0;
        Assert.True(sentBefore > 0);

        broken.Down = true;
        sim.Run(5 * Second + 250_000);
        ulong atDetection = sim.Sender[0].TxPackets;
        sim.Run(6 * Second);
        Assert.Equal(atDetection, sim.Sender[0].TxPackets); // nothing more was sent into the hole

        broken.Down = false;
        sim.Run(8 * Second);
        long[] bytes = sim.DeliveredBytes(7 * Second, 8 * Second);
        Assert.True(bytes[0] > 0 && bytes[1] > 0, "both paths carry again");
        Assert.InRange(Mbit(bytes[0] + bytes[1], Second), 77, 80.5);
    }

    [Fact]
    public void A_path_with_weight_zero_never_carries_data()
    {
        var scheduler = new AdaptiveScheduler([1, 0]);
        var estimate = new PathEstimate(1, 2_000, 2_000, 1_000, 0, 1_000, 0, 0, 0, 0, 0);
        scheduler.Observe(0, estimate, 10);
        scheduler.Observe(1, estimate, 10);

        Assert.Equal(0b01u, scheduler.Usable(0b11, 20));
        Assert.Equal(0u, scheduler.Usable(0b10, 20));
    }

    [Fact]
    public void Bursts_are_sized_in_time_so_a_slow_path_gets_short_ones()
    {
        var scheduler = new AdaptiveScheduler([1, 1]);
        Assert.Equal(1, scheduler.BurstSegments(0, 1400)); // 10 Mbit/s before any measurement: 250 µs < one segment

        // The path delivered 10 Gbit/s before it was measured (the weighted list ran): the rate starts from there.
        var fast = new PathEstimate(1, 2_000, 2_000, 1_000, 0, 1_000, 0, 0, 1_250_000_000, 1_250_000_000, 0);
        scheduler.Observe(0, fast, 10);
        Assert.Equal(AdaptiveScheduler.MaxBurstSegments, scheduler.BurstSegments(0, 1400));
        Assert.Equal(16, scheduler.BurstSegments(0, 1400, limit: 16));
    }

    [Fact]
    public void Choosing_and_charging_allocate_nothing()
    {
        var sim = new LinkSimulation(new Link(100, 1_000), new Link(20, 10_000)) { OfferedPerMicro = 110.0 / 8 };
        sim.Run(2 * Second);
        AdaptiveScheduler s = sim.Scheduler;
        PathEstimate e = sim.Estimators[0].Estimate;

        long now = 2 * Second;
        int version = 0;
        Steps(10_000); // warm-up: the first calls run tier-0 code and may meet the runtime's one-time work (steady state is measured)
        long before = GC.GetAllocatedBytesForCurrentThread();
        Steps(10_000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void Steps(int count)
        {
            for (int i = 0; i < count; i++)
            {
                uint usable = s.Usable(0b11, now);
                int path = s.Choose(usable, 1400, now);
                s.Charge(path, s.BurstSegments(path, 1400) * 1400, now);
                s.Observe(0, e with { Version = e.Version + ++version }, now);
                now += 10;
            }
        }
    }
}
