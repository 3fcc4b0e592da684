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
}
