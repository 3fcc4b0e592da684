namespace MptFast.Engine.Tests;

/// <summary>
/// Zero-allocation checks of a steady state on the calling thread (<see cref="GC.GetAllocatedBytesForCurrentThread"/>).
/// A first pass through a rare branch — a timer that fell due on a loaded machine, a class first touched there — may
/// allocate once; the steady state is a run that allocates nothing. So a run is measured up to
/// <see cref="Attempts"/> times: a one-time cost passes, an allocation in every run fails.
/// </summary>
internal static class SteadyState
{
    /// <summary>Most runs measured before a check fails.</summary>
    public const int Attempts = 3;

    /// <summary>Runs <paramref name="run"/> until one run allocates nothing (at most <see cref="Attempts"/> times) and
    /// returns the bytes each run allocated; the last is 0 when the steady state allocates nothing.</summary>
    public static long[] Allocations(Action run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var attempts = new List<long>(Attempts);
        while (attempts.Count < Attempts && (attempts.Count == 0 || attempts[^1] != 0))
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            run();
            attempts.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return [.. attempts];
    }

    /// <summary>Fails unless a run of <paramref name="run"/> allocates nothing (see <see cref="Allocations"/>); returns
    /// how many runs it took, for counters that add up per run.</summary>
    public static int AssertAllocatesNothing(Action run)
    {
        long[] attempts = Allocations(run);
        Assert.True(attempts[^1] == 0, "bytes allocated per run: " + string.Join(", ", attempts));
        return attempts.Length;
    }
}
