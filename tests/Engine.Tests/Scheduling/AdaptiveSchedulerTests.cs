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

    [Fact]
    public void A_rate_drop_on_one_path_is_followed_within_a_second()
    {
        var slow = new Link(20, 5_000);
        var sim = new LinkSimulation(new Link(20, 5_000), slow) { OfferedPerMicro = 38.0 / 8 };
        sim.Run(5 * Second);
        Assert.InRange(sim.Scheduler.RateOf(1) * 8 / 1e6, 15, 30);

        slow.RateBytesPerMicro = 5.0 / 8;
        sim.OfferedPerMicro = 24.0 / 8;
        sim.Run(6 * Second);

        Assert.InRange(sim.Scheduler.RateOf(1) * 8 / 1e6, 3, 7.5);
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
                s.Charge(path, s.BurstSegments(path, 1400) * 1400);
                s.Observe(0, e with { Version = e.Version + ++version }, now);
                now += 10;
            }
        }
    }
}
