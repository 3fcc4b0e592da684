using MptFast.Engine.Measurement;
using MptFast.Engine.Reorder;

namespace MptFast.Engine.Tests.Reorder;

/// <summary>The reorder hold's bounds from measured paths (<see cref="HoldBounds"/>), in µs.</summary>
public class HoldBoundsTests
{
    private static PathEstimate Path(long baseMicros, long queue, long queueMax, long jitter, long srtt, long minRtt) =>
        new(1, SmoothedRttMicros: srtt, MinRttMicros: minRtt, ForwardBaseMicros: baseMicros, ForwardQueueMicros: queue,
            ReverseBaseMicros: baseMicros, ReverseQueueMicros: queue, ReverseJitterMicros: jitter, DeliveredBytesPerSecond: 0,
            MaxDeliveredBytesPerSecond: 0, LossPpm: 0, LatestRttMicros: srtt, ReverseQueueMaxMicros: queueMax);

    private static (long Floor, long Max) Bounds(long tolerance, bool recovering, params PathEstimate[] paths)
    {
        var b = new HoldBounds();
        foreach (PathEstimate p in paths)
        {
            b.Add(p);
        }

        Assert.True(b.HasPaths);
        return b.Compute(tolerance, recovering);
    }

    [Fact]
    public void Calm_delay_unequal_paths_are_held_for_their_spread_jitter_and_margin()
    {
        // 1 and 25 ms, no queues, 0.5 ms jitter: 24 × 5/4 + 4 × 0.5 + 5 = 37 ms (under the cap of 30 + 30 ms).
        (long floor, long max) = Bounds(1_000, recovering: false,
            Path(1_000, 0, 0, 500, 2_000, 2_000), Path(25_000, 0, 0, 500, 50_000, 50_000));
        Assert.Equal((0L, 37_000L), (floor, max));
    }

    [Fact]
    public void While_losses_are_recovered_a_repairs_round_trip_is_added_and_is_the_floor()
    {
        (long floor, long max) = Bounds(1_000, recovering: true,
            Path(1_000, 0, 0, 0, 2_000, 2_000), Path(1_000, 0, 0, 0, 2_000, 2_000));
        // Repair: tolerance 1 + 1.5 × 2 + margin 5 = 9 ms; spread 0 + 0 + 5 + 9 = 14 ms (under the cap of 15 ms).
        Assert.Equal((9_000L, 14_000L), (floor, max));
    }

    [Fact]
    public void Queues_on_equal_paths_do_not_stretch_the_hold_beyond_the_queue_allowance()
    {
        // 100 + 100 Mbit/s, 1/1 ms, 1 % loss on one path, under one CUBIC stream: queues of 10 and 20 ms that swung to
        // 50 ms in the last second, 3 ms jitter, 25 ms round trips. The spread would be 50 + 12 + 5 + 43.5 = 110.5 ms;
        // the cap is the base spread (0) + 15 ms. The floor (the repair's round trip) is above it: AdaptiveHold clamps.
        (long floor, long max) = Bounds(1_000, recovering: true,
            Path(1_000, 10_000, 50_000, 3_000, 25_000, 2_000), Path(1_000, 20_000, 50_000, 3_000, 25_000, 2_000));
        Assert.Equal((43_500L, HoldBounds.EqualDelayHoldMicros), (floor, max));

        var hold = new AdaptiveHold(0, 100_000);
        hold.SetBounds(floor, max, measured: true);
        Assert.Equal((15_000L, 15_000L), (hold.FloorTicks, hold.MaxTicks));
    }

    [Fact]
    public void Base_delays_within_two_ms_count_as_equal_and_get_the_shorter_allowance()
    {
        // Queues swollen as above, so the cap decides. 1 and 3 ms: equal (2 ms apart): 2 × 5/4 + 15 = 17.5 ms.
        // 1 and 3.001 ms: different: 2.001 × 5/4 + 30 = 32.5 ms.
        (_, long equal) = Bounds(1_000, recovering: true,
            Path(1_000, 10_000, 50_000, 3_000, 25_000, 2_000), Path(3_000, 20_000, 50_000, 3_000, 25_000, 6_000));
        (_, long unequal) = Bounds(1_000, recovering: true,
            Path(1_000, 10_000, 50_000, 3_000, 25_000, 2_000), Path(3_001, 20_000, 50_000, 3_000, 25_000, 6_000));
        Assert.Equal(2_000 * 5 / 4 + HoldBounds.EqualDelayHoldMicros, equal);
        Assert.Equal(2_001 * 5 / 4 + HoldBounds.QueuedHoldMicros, unequal);
    }

    [Fact]
    public void Delay_unequal_paths_keep_their_whole_base_difference_under_the_cap()
    {
        // DSL + LTE: 5 and 40 ms one way. Cap: 35 × 5/4 + 30 = 73.75 ms, below the queue-swollen spread.
        (_, long max) = Bounds(1_000, recovering: true,
            Path(5_000, 30_000, 40_000, 2_000, 70_000, 10_000), Path(40_000, 5_000, 20_000, 2_000, 100_000, 80_000));
        Assert.Equal(73_750L, max);
    }

    [Fact]
    public void Long_paths_allow_a_repair_of_one_and_a_half_base_round_trips()
    {
        // Two 300 ms one-way (satellite) paths: a repair cannot come back sooner than a base round trip, so the queue
        // allowance is 1.5 × 600 ms, not 15 ms.
        (_, long max) = Bounds(1_000, recovering: true,
            Path(300_000, 5_000, 20_000, 1_000, 650_000, 600_000), Path(300_000, 0, 10_000, 1_000, 650_000, 600_000));
        Assert.Equal(900_000L, max);
    }

    [Fact]
    public void Paths_without_a_measurement_are_not_counted()
    {
        var b = new HoldBounds();
        b.Add(default);
        Assert.False(b.HasPaths);
        b.Add(Path(1_000, 0, 0, 0, 2_000, 2_000));
        Assert.True(b.HasPaths);
        Assert.Equal((0L, HoldBounds.MarginMicros), b.Compute(1_000, recovering: false));
    }
}
