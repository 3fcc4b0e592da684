using MptFast.Engine.Measurement;

namespace MptFast.Engine.Tests.Measurement;

public class RecentBytesTests
{
    private const long W = RecentBytes.WindowMicros;

    [Fact]
    public void Counts_this_window_and_the_one_before_and_forgets_after_two_idle_windows()
    {
        var r = new RecentBytes();
        const long t0 = 5_000_000;
        r.Add(t0, 1000);
        r.Add(t0 + (W / 2), 500);
        Assert.Equal(1500, r.Total(t0 + W - 1));

        // The next window: the previous one's bytes still count, with the new ones.
        r.Add(t0 + W, 200);
        Assert.Equal(1700, r.Total(t0 + W + 10));

        // A window later the first one is gone.
        Assert.Equal(200, r.Total(t0 + (2 * W)));

        // Two windows without a byte: nothing left.
        Assert.Equal(0, r.Total(t0 + (5 * W)));
    }

    [Fact]
    public void A_gap_longer_than_a_window_drops_the_old_window_too()
    {
        var r = new RecentBytes();
        r.Add(1_000_000, 4000);
        r.Add(1_000_000 + (2 * W) + 1, 10);
        Assert.Equal(10, r.Total(1_000_000 + (2 * W) + 2));
    }
}
