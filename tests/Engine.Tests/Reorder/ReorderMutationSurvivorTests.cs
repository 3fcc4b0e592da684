using MptFast.Engine.Reorder;

namespace MptFast.Engine.Tests.Reorder;

/// <summary>
/// Tests for mutants Stryker.NET left alive in <c>Reorder/</c> (docs/MUTATION.md): the adaptive hold's estimator
/// pinned to values, <see cref="ReorderBuffer.IsHeld"/>, <see cref="ReorderBuffer.HeldTotal"/>, the late bound of a
/// window large enough for 2(W+1) to exceed 256, and <see cref="ArrivalMerger.WouldOverrun"/>'s gap search.
/// </summary>
public class ReorderMutationSurvivorTests
{
    [Fact]
    public void The_adaptive_hold_follows_tcps_rto_arithmetic_to_the_tick()
    {
        // RFC 6298 style with integer scaling: first sample S → smoothed S, 4·deviation 2S; then
        // error = x − smoothed, smoothed += error/8, 4·dev += |error| − 4·dev/4; hold = smoothed + min(4·dev, max).
        var hold = new AdaptiveHold(0, 1000);
        hold.ObserveReorderDelay(40);
        Assert.Equal(40, hold.SmoothedDelayTicks);
        Assert.Equal(120, hold.HoldTicks);   // 40 + 80
        hold.ObserveReorderDelay(56);        // error 16: smoothed·8 336, dev·4 80 + 16 − 20 = 76
        Assert.Equal(42, hold.SmoothedDelayTicks);
        Assert.Equal(118, hold.HoldTicks);
        hold.ObserveReorderDelay(8);         // error −34: smoothed·8 302, dev·4 76 + 34 − 19 = 91
        Assert.Equal(37, hold.SmoothedDelayTicks);
        Assert.Equal(128, hold.HoldTicks);
        hold.ObserveLate();                  // smoothed·8 += max(302/4, 8) = 75 → 377
        Assert.Equal(47, hold.SmoothedDelayTicks);
        Assert.Equal(138, hold.HoldTicks);
    }

    [Fact]
    public void A_late_drop_adds_at_least_one_tick_and_never_passes_the_maximum()
    {
        var small = new AdaptiveHold(0, 1000);
        small.ObserveReorderDelay(0);        // smoothed·8 0: a quarter of it is 0, the step is the minimum 8 (one tick)
        small.ObserveLate();
        Assert.Equal(1, small.SmoothedDelayTicks);

        var capped = new AdaptiveHold(0, 100);
        capped.ObserveReorderDelay(5_000);   // the sample is clamped to the maximum
        Assert.Equal(100, capped.SmoothedDelayTicks);
        capped.ObserveLate();
        Assert.Equal(100, capped.SmoothedDelayTicks);
        Assert.Equal(100, capped.HoldTicks);
    }

    [Fact]
    public void New_bounds_reclamp_the_hold_and_measured_bounds_hold_at_their_maximum()
    {
        var hold = new AdaptiveHold(0, 1000);
        hold.ObserveReorderDelay(40);        // hold 120
        hold.SetBounds(10, 100);
        Assert.Equal(100, hold.HoldTicks);   // min(80, 100) + 40 = 120, clamped to the new maximum
        hold.SetBounds(200, 5_000);          // the maximum cannot exceed max_buffdelay (1000); the floor lifts the hold
        Assert.Equal(1000, hold.MaxTicks);
        Assert.Equal(200, hold.HoldTicks);
        hold.SetBounds(5, 50, measured: true);
        Assert.Equal(50, hold.HoldTicks);
        hold.ObserveReorderDelay(1);         // measured: fills no longer shorten it
        Assert.Equal(50, hold.HoldTicks);
        Assert.True(hold.Measured);
    }

    [Fact]
    public void IsHeld_is_true_only_for_packets_waiting_behind_a_gap()
    {
        var buffer = new ReorderBuffer(8, 100);
        Assert.False(buffer.IsHeld(0)); // not synchronised yet
        var sink = new RecordingSink();
        foreach (uint seq in new uint[] { 0, 2, 3 })
        {
            buffer.Push(seq, (int)seq, 0, ref sink);
        }

        Assert.True(buffer.IsHeld(2));
        Assert.True(buffer.IsHeld(3));
        Assert.False(buffer.IsHeld(1));  // the gap itself
        Assert.False(buffer.IsHeld(0));  // delivered
        Assert.False(buffer.IsHeld(4));  // not here
        Assert.False(buffer.IsHeld(10)); // beyond the window
        Assert.Equal(2, buffer.HeldTotal);

        buffer.Push(1, 1, 0, ref sink);
        Assert.False(buffer.IsHeld(2));
        Assert.Equal(2, buffer.HeldTotal); // a total, not the number held now
        Assert.Equal(0, buffer.Held);
    }

    [Fact]
    public void The_late_bound_of_a_large_window_is_twice_the_window_and_separates_late_from_restart()
    {
        var buffer = new ReorderBuffer(200, 100);
        Assert.Equal(402, buffer.LateBound);            // max(2 · 201, 256)
        Assert.Equal(256, new ReorderBuffer(8, 100).LateBound);
        var sink = new RecordingSink();
        for (uint seq = 0; seq < 1000; seq++)
        {
            buffer.Push(seq, (int)seq, 0, ref sink);
        }

        buffer.Push(700, -1, 0, ref sink);              // 300 behind: within 402, late
        Assert.Equal(1, buffer.DroppedLate);
        Assert.Equal(1000u, buffer.Expected);
        buffer.Push(550, -2, 0, ref sink);              // 450 behind: beyond the bound, the peer restarted
        Assert.Equal(1, buffer.DroppedLate);
        Assert.Equal(551u, buffer.Expected);
    }

    [Fact]
    public void WouldOverrun_finds_the_one_missing_position_and_counts_held_packets_as_present()
    {
        var buffer = new ReorderBuffer(8, 100);
        var sink = new RecordingSink();
        buffer.Push(0, 0, 0, ref sink);  // expected 1
        var merger = new ArrivalMerger(64, 4);
        Assert.False(merger.WouldOverrun(buffer)); // nothing waiting

        // 1 … 12 all here: the farthest is 11 past expected, nothing missing before it — no overrun.
        merger.BeginRun();
        for (uint s = 1; s <= 12; s++)
        {
            merger.Add(s, (int)s);
        }

        Assert.False(merger.WouldOverrun(buffer));
        merger.Flush(buffer, 0, ref sink);

        // Expected 13. 14 … 25 here, 13 missing: pushing 25 (12 past 13 ≥ W) would give 13 up.
        merger.BeginRun();
        for (uint s = 14; s <= 25; s++)
        {
            merger.Add(s, (int)s);
        }

        Assert.True(merger.WouldOverrun(buffer));
        merger.Add(13, 13);
        Assert.False(merger.WouldOverrun(buffer));
        merger.Flush(buffer, 0, ref sink);
        Assert.Equal(26u, buffer.Expected);

        // Expected 26; 28 held in the buffer, 27 … missing: 26 and 29 … 36 waiting. The held 28 counts as present,
        // the missing 27 does not.
        buffer.Push(28, 28, 0, ref sink);
        merger.BeginRun();
        merger.Add(26, 26);
        for (uint s = 29; s <= 36; s++)
        {
            merger.Add(s, (int)s);
        }

        Assert.True(merger.WouldOverrun(buffer));
        merger.Add(27, 27);
        Assert.False(merger.WouldOverrun(buffer));
    }

    [Fact]
    public void An_unsynchronised_buffer_is_merged_from_the_smallest_run_head()
    {
        var buffer = new ReorderBuffer(8, 100);
        var merger = new ArrivalMerger(64, 4);
        merger.BeginRun();
        foreach (uint s in new uint[] { 101, 103, 105 })
        {
            merger.Add(s, (int)s);
        }

        merger.BeginRun();
        foreach (uint s in new uint[] { 100, 102, 104 })
        {
            merger.Add(s, (int)s);
        }

        Assert.False(merger.WouldOverrun(buffer));
        var sink = new RecordingSink();
        merger.Flush(buffer, 0, ref sink);
        Assert.Equal([100, 101, 102, 103, 104, 105], sink.Delivered);
        Assert.Equal(106u, buffer.Expected);
    }

    [Fact]
    public void WouldOverrun_agrees_with_a_set_of_positions_on_random_rounds()
    {
        // Reference: the farthest waiting packet is W or more past the origin while some position from the origin up to
        // farthest − W is neither waiting nor held. Random windows, held packets, runs, wrap-around and unsynchronised
        // buffers; about a third of the rounds overrun.
        var random = new Random(1414);
        int overruns = 0;
        for (int round = 0; round < 3000; round++)
        {
            int window = random.Next(2) == 0 ? random.Next(2, 70) : random.Next(64, 300);
            var buffer = new ReorderBuffer(window, 1_000_000);
            var sink = new RecordingSink();
            uint start = random.Next(4) == 0 ? uint.MaxValue - (uint)random.Next(0, 600) : (uint)random.Next(0, 1 << 20);
            var held = new HashSet<uint>();
            bool synchronised = random.Next(5) != 0;
            if (synchronised)
            {
                buffer.Push(start - 1, 0, 0, ref sink); // expected: start
                int holds = random.Next(0, Math.Min(window - 1, 40));
                for (int h = 0; h < holds; h++)
                {
                    uint s = start + 1 + (uint)random.Next(0, window - 1);
                    if (held.Add(s))
                    {
                        buffer.Push(s, 0, 0, ref sink);
                    }
                }
            }

            var merger = new ArrivalMerger(512, 4);
            var waiting = new List<uint>();
            int span = random.Next(window / 2, (2 * window) + 40);
            double density = random.Next(2) == 0 ? 1.0 : 0.97 + (random.NextDouble() * 0.03);
            int runs = random.Next(1, 5);
            for (int r = 0; r < runs; r++)
            {
                merger.BeginRun();
                for (int d = r; d < span && waiting.Count < 500; d += runs)
                {
                    if (random.NextDouble() < density && !held.Contains(start + (uint)d))
                    {
                        merger.Add(start + (uint)d, 0);
                        waiting.Add(start + (uint)d);
                    }
                }
            }

            if (waiting.Count == 0)
            {
                Assert.False(merger.WouldOverrun(buffer));
                continue;
            }

            uint origin = synchronised ? buffer.Expected : waiting.MinBy(s => s - start);
            int farthest = waiting.Max(s => (int)(s - origin));
            bool expected = false;
            var present = new HashSet<uint>(waiting);
            for (int d = 0; d <= farthest - buffer.Window; d++)
            {
                if (!present.Contains(origin + (uint)d) && !held.Contains(origin + (uint)d))
                {
                    expected = true;
                    break;
                }
            }

            Assert.True(expected == merger.WouldOverrun(buffer),
                $"round {round}: window {window}, start {start}, synchronised {synchronised}, {held.Count} held, {waiting.Count} waiting in {runs} runs: expected {expected}");
            overruns += expected ? 1 : 0;
        }

        Assert.InRange(overruns, 300, 2700); // both answers are exercised
    }

    [Fact]
    public void A_late_packet_lengthens_the_buffers_hold_through_its_adaptive_hold()
    {
        var adaptive = new AdaptiveHold(10, 1_000);
        adaptive.ObserveReorderDelay(40);
        var buffer = new ReorderBuffer(8, 100) { Adaptive = adaptive };
        var sink = new RecordingSink();
        buffer.Push(0, 0, 0, ref sink);
        buffer.Push(2, 2, 0, ref sink);         // 1 missing: 2 held
        buffer.Expire(1_000_000, ref sink);     // the hold runs out: the gap is skipped, 2 delivered
        Assert.Equal(1, buffer.GapsSkipped);
        long before = adaptive.HoldTicks;

        buffer.Push(1, 1, 1_000_001, ref sink); // 1 comes after all: late (delivered out of order)
        Assert.Equal(1, buffer.DeliveredLate);
        Assert.True(adaptive.HoldTicks > before, $"the adaptive hold grew ({before} -> {adaptive.HoldTicks})");
        Assert.Equal(adaptive.HoldTicks, buffer.HoldTicks);
    }
}
