using MptFast.Engine.Reorder;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Reorder;

public class PathLossDetectorTests
{
    private static LossRange[] Take(PathLossDetector d, long now)
    {
        var buffer = new LossRange[ProbeCodec.MaxLossRanges];
        int n = d.TakeReports(now, 7, buffer);
        return buffer[..n];
    }

    [Fact]
    public void Consecutive_numbers_report_nothing()
    {
        var d = new PathLossDetector();
        for (uint s = 100; s < 200; s++)
        {
            d.OnReceive(s, s);
        }

        Assert.Empty(Take(d, 10_000_000));
        Assert.Equal(100, d.Received);
        Assert.Equal(0, d.Missing);
    }

    [Fact]
    public void A_gap_is_reported_after_the_tolerance_then_once_more_after_the_repeat_time()
    {
        var d = new PathLossDetector { ToleranceMicros = 1_000, RepeatAfterMicros = 20_000 };
        d.OnReceive(10, 0);
        d.OnReceive(14, 100); // 11, 12, 13 missing

        Assert.Empty(Take(d, 1_099));
        Assert.Equal([new LossRange(7, 3, 11)], Take(d, 1_100));
        Assert.Empty(Take(d, 5_000));
        Assert.Equal([new LossRange(7, 3, 11)], Take(d, 21_100));
        Assert.Empty(Take(d, 100_000));
        Assert.Equal(3, d.Missing);
        Assert.False(d.HasPending);
    }

    [Fact]
    public void A_reordered_packet_fills_its_gap_and_splits_a_range()
    {
        var d = new PathLossDetector { ToleranceMicros = 1_000 };
        d.OnReceive(0, 0);
        d.OnReceive(6, 10); // 1..5 missing
        d.OnReceive(3, 500);
        d.OnReceive(1, 600);

        Assert.Equal([new LossRange(7, 1, 2), new LossRange(7, 2, 4)], Take(d, 2_000).OrderBy(r => r.First).ToArray());
        Assert.Equal(2, d.Reordered);
        Assert.Equal(590, d.MaxReorderMicros);
    }

    [Fact]
    public void Numbers_wrap_around_2_pow_32()
    {
        var d = new PathLossDetector { ToleranceMicros = 0 };
        d.OnReceive(uint.MaxValue - 1, 0);
        d.OnReceive(1, 1); // uint.MaxValue and 0 missing

        Assert.Equal([new LossRange(7, 2, uint.MaxValue)], Take(d, 1));
    }

    [Fact]
    public void A_far_jump_is_a_restart_not_a_loss()
    {
        var d = new PathLossDetector { ToleranceMicros = 0 };
        d.OnReceive(5, 0);
        d.OnReceive(5 + PathLossDetector.ResyncDistance + 10, 1);
        d.OnReceive(3, 2); // far behind the new position as well: another restart

        Assert.Empty(Take(d, 10));
        Assert.Equal(2, d.Resyncs);
        Assert.Equal(0, d.Missing);
    }

    [Fact]
    public void The_table_is_bounded_and_counts_what_it_had_to_forget()
    {
        var d = new PathLossDetector { ToleranceMicros = 0 };
        uint s = 0;
        d.OnReceive(s, 0);
        for (int i = 0; i < PathLossDetector.Capacity + 10; i++)
        {
            s += 2; // every other number lost
            d.OnReceive(s, i);
        }

        Assert.Equal(PathLossDetector.Capacity, d.Count);
        Assert.Equal(10, d.Overflowed);
        Assert.Equal(PathLossDetector.Capacity + 10, d.Missing);
    }

    [Fact]
    public void Old_ranges_are_forgotten()
    {
        var d = new PathLossDetector { ToleranceMicros = 1_000_000_000 };
        d.OnReceive(0, 0);
        d.OnReceive(2, 0);
        Assert.Empty(Take(d, PathLossDetector.ForgetAfterMicros + 1));
        Assert.False(d.HasPending);
    }

    [Fact]
    public void Filling_a_one_number_gap_a_ranges_last_number_and_a_split_in_a_full_table()
    {
        var d = new PathLossDetector { ToleranceMicros = 1_000 };
        d.OnReceive(0, 0);
        d.OnReceive(2, 10);   // gap {1}
        d.OnReceive(6, 20);   // gap {3, 4, 5}
        d.OnReceive(8, 30);   // gap {7}
        Assert.Equal(3, d.Count);
        Assert.Equal(1_010, d.NextDueMicros); // the earliest gap's due time

        d.OnReceive(1, 40);   // the first one-number gap goes; the others move up
        d.OnReceive(5, 50);   // the last number of {3, 4, 5}
        Assert.Equal(2, d.Count);
        Assert.Equal(1_020, d.NextDueMicros);
        Assert.Equal([new LossRange(7, 2, 3), new LossRange(7, 1, 7)], Take(d, 2_000));

        // A full table: a split's tail has no room and is counted as overflowed (the head stays).
        var full = new PathLossDetector { ToleranceMicros = 1_000 };
        full.OnReceive(0, 0);
        uint next = 1;
        for (int i = 0; i < PathLossDetector.Capacity; i++)
        {
            full.OnReceive(next + 5, 10); // five missing each time
            next += 6;
        }

        Assert.Equal(PathLossDetector.Capacity, full.Count);
        Assert.Equal(0, full.Overflowed);
        full.OnReceive(2, 20);            // splits {1..5} into {1} and {3, 4, 5}: no room for the tail
        Assert.Equal(PathLossDetector.Capacity, full.Count);
        Assert.Equal(3, full.Overflowed);
        LossRange[] first = Take(full, 2_000);
        Assert.Equal(new LossRange(7, 1, 1), first[0]);
    }

    [Fact]
    public void A_range_is_forgotten_exactly_after_its_time_and_after_its_reports()
    {
        var d = new PathLossDetector { ToleranceMicros = 1_000, RepeatAfterMicros = 20_000 };
        d.OnReceive(0, 0);
        d.OnReceive(2, 100);                          // {1} detected at 100
        Assert.True(d.HasPending);
        Assert.Equal(long.MaxValue, new PathLossDetector().NextDueMicros);

        // At exactly ForgetAfterMicros it is still there (reported once), one µs later gone unreported.
        var late = new PathLossDetector { ToleranceMicros = 1_000 };
        late.OnReceive(0, 0);
        late.OnReceive(2, 100);
        Assert.Single(Take(late, 100 + PathLossDetector.ForgetAfterMicros));
        var later = new PathLossDetector { ToleranceMicros = 1_000 };
        later.OnReceive(0, 0);
        later.OnReceive(2, 100);
        Assert.Empty(Take(later, 101 + PathLossDetector.ForgetAfterMicros));
        Assert.False(later.HasPending);

        // ReportsPerRange reports, then gone.
        Assert.Single(Take(d, 1_100));
        Assert.True(d.HasPending);
        Assert.Single(Take(d, 21_100));
        Assert.False(d.HasPending);
    }
}
