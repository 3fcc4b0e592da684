using MptFast.Engine.Reorder;

namespace MptFast.Engine.Tests.Reorder;

public class AdaptiveHoldTests
{
    [Fact]
    public void Starts_at_the_maximum_until_a_delay_is_observed()
    {
        var hold = new AdaptiveHold(5, 100);
        Assert.Equal(100, hold.HoldTicks);
        hold.ObserveLate();
        Assert.Equal(100, hold.HoldTicks);
    }

    [Fact]
    public void Converges_near_a_steady_reorder_delay()
    {
        var hold = new AdaptiveHold(1, 1000);
        for (int i = 0; i < 200; i++)
        {
            hold.ObserveReorderDelay(20);
        }

        Assert.InRange(hold.SmoothedDelayTicks, 19, 21);
        Assert.InRange(hold.HoldTicks, 20, 23);
    }

    [Fact]
    public void Jittery_delays_widen_the_hold()
    {
        var steady = new AdaptiveHold(1, 1000);
        var jittery = new AdaptiveHold(1, 1000);
        var random = new Random(3);
        for (int i = 0; i < 500; i++)
        {
            steady.ObserveReorderDelay(50);
            jittery.ObserveReorderDelay(random.Next(0, 101));
        }

        Assert.True(jittery.HoldTicks > steady.HoldTicks + 20, $"jittery {jittery.HoldTicks}, steady {steady.HoldTicks}");
    }

    [Fact]
    public void Hold_is_clamped_between_floor_and_maximum()
    {
        var hold = new AdaptiveHold(10, 100);
        for (int i = 0; i < 100; i++)
        {
            hold.ObserveReorderDelay(0);
        }

        Assert.Equal(10, hold.HoldTicks);
        for (int i = 0; i < 100; i++)
        {
            hold.ObserveReorderDelay(10_000);
        }

        Assert.Equal(100, hold.HoldTicks);
    }

    [Fact]
    public void Late_drops_lengthen_the_hold()
    {
        var hold = new AdaptiveHold(1, 1000);
        for (int i = 0; i < 100; i++)
        {
            hold.ObserveReorderDelay(40);
        }

        long before = hold.HoldTicks;
        hold.ObserveLate();
        hold.ObserveLate();
        Assert.True(hold.HoldTicks > before, $"{hold.HoldTicks} after {before}");
    }

    [Fact]
    public void Reorder_buffer_follows_its_adaptive_hold()
    {
        var buffer = new ReorderBuffer(8, 100) { Adaptive = new AdaptiveHold(2, 100) };
        var sink = new RecordingSink();
        buffer.Push(0, 0, 0, ref sink);
        uint seq = 1;
        long now = 0;
        for (int i = 0; i < 100; i++)
        {
            // Every pair arrives swapped, the second 4 ticks later: a gap that fills after 4 ticks.
            buffer.Push(seq + 1, (int)seq + 1, now, ref sink);
            buffer.Push(seq, (int)seq, now + 4, ref sink);
            seq += 2;
            now += 10;
        }

        Assert.Equal(201, sink.Delivered.Count);
        Assert.InRange(buffer.HoldTicks, 2, 10);
        Assert.Equal(100, buffer.GapsFilled);
    }
}
