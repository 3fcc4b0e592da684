using MptFast.Perf.LinkEmu;

namespace MptFast.LinkEmu.Tests;

public class ScheduleTests
{
    private const long S = 1_000_000_000;

    [Fact]
    public void Changes_apply_at_their_time_and_for_puts_the_previous_values_back()
    {
        var schedule = new Schedule([
            ScheduledChange.Parse("at 10s rate 5mbit"),
            ScheduledChange.Parse("at 20s loss 100% for 5s"),
            ScheduledChange.Parse("at 22s ba delay 7ms"),
        ]);
        var cursor = new ScheduleCursor(Directions.AtoB);
        long zero = 1000 * S;
        cursor.Start(schedule, zero);
        LinkParams p = LinkSpec.Parse("rate 20mbit loss 1%").ApplyTo(LinkParams.Default);
        Assert.Equal(zero + (10 * S), cursor.NextAtNs);

        Assert.False(cursor.Advance(zero + (10 * S) - 1, ref p));
        Assert.True(cursor.Advance(zero + (10 * S), ref p));
        Assert.Equal(5_000_000, p.RateBitsPerSecond);
        Assert.Equal(zero + (20 * S), cursor.NextAtNs);

        Assert.True(cursor.Advance(zero + (21 * S), ref p));
        Assert.Equal(1.0, p.Loss);
        Assert.Equal(zero + (25 * S), cursor.NextAtNs);   // the ba-only line at 22 s is not this direction's

        Assert.True(cursor.Advance(zero + (25 * S), ref p));
        Assert.Equal(0.01, p.Loss, 12);                   // back to what it was before the outage
        Assert.Equal(5_000_000, p.RateBitsPerSecond);
        Assert.Equal(0, p.DelayNs);
        Assert.Equal(long.MaxValue, cursor.NextAtNs);
    }

    [Fact]
    public void Extend_keeps_what_is_done_and_adds_what_is_ahead()
    {
        var cursor = new ScheduleCursor(Directions.BtoA);
        var first = new Schedule([ScheduledChange.Parse("1s delay 5ms")]);
        cursor.Start(first, 0);
        LinkParams p = LinkParams.Default;
        cursor.Advance(2 * S, ref p);
        p = p with { DelayNs = 1 };   // a live change after the scheduled one
        cursor.Extend(first.With(ScheduledChange.Parse("3s rate 1mbit")), 2 * S);
        Assert.True(cursor.Advance(3 * S, ref p));
        Assert.Equal(1, p.DelayNs);   // the 1 s line did not run again
        Assert.Equal(1_000_000, p.RateBitsPerSecond);
    }

    [Theory]
    [InlineData("10s", "expected [at] TIME")]
    [InlineData("at 10s rate 5mbit for", "must end the line")]
    [InlineData("at 10s for 5s rate 5mbit", "'for DURATION' must end the line")]
    [InlineData("at soon rate 5mbit", "time 'soon'")]
    public void Bad_schedule_lines_are_refused(string line, string message) =>
        Assert.Contains(message, Assert.Throws<SpecException>(() => ScheduledChange.Parse(line)).Message, StringComparison.Ordinal);
}
