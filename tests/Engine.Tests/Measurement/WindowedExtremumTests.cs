using MptFast.Engine.Measurement;

namespace MptFast.Engine.Tests.Measurement;

public class WindowedExtremumTests
{
    [Fact]
    public void Minimum_holds_the_smallest_sample_of_the_window_and_forgets_it_after()
    {
        var min = new WindowedExtremum(1000, max: false);
        Assert.Equal(50, min.Update(0, 50));
        Assert.Equal(20, min.Update(100, 20));
        Assert.Equal(20, min.Update(500, 40));
        Assert.Equal(20, min.Update(1100, 60));
        Assert.True(min.Update(1200, 70) >= 40); // 20 (t=100) aged out; the best younger sample takes over
    }

    [Fact]
    public void Maximum_tracks_a_rising_then_falling_signal_within_one_window()
    {
        var max = new WindowedExtremum(1000, max: true);
        long t = 0;
        foreach (long v in new long[] { 1, 5, 9, 4, 2 })
        {
            max.Update(t += 100, v);
        }

        Assert.Equal(9, max.Value);
        for (int i = 0; i < 15; i++)
        {
            max.Update(t += 100, 2);
        }

        Assert.Equal(2, max.Value);
    }

    [Fact]
    public void Matches_a_brute_force_window_on_a_monotone_stream()
    {
        // On a decreasing stream (every sample a new minimum) the approximation is exact.
        var min = new WindowedExtremum(300, max: false);
        for (long t = 0; t < 5000; t += 10)
        {
            Assert.Equal(10_000 - t, min.Update(t, 10_000 - t));
        }
    }
}
