namespace MptFast.Engine.Daemon;

/// <summary>
/// Tells whether the datapath threads still turn (issue 16: the systemd watchdog must see more than a living process).
/// Each pump counts the turns of its loop, which waits at most a second, idle or not (<c>TxPump.LoopIterations</c>,
/// <c>RxPump.LoopIterations</c>); a thread whose count has not moved for <see cref="StallAfter"/> is stuck — in a
/// system call, a lock, a stopped thread — while the process may look perfectly alive. Pumps rebuilt by a reload start
/// counting afresh: any change of the count is a turn. Control thread only.
/// </summary>
internal sealed class DatapathWatchdog
{
    private readonly long _stallTicks;
    private readonly Dictionary<string, (long Iterations, long MovedTicks)> _seen = new(StringComparer.Ordinal);

    /// <param name="stallAfter">How long a count may stand still (several times the pumps' longest wait).</param>
    /// <param name="ticksPerSecond">The clock of the <c>now</c> values passed to <see cref="Check"/>.</param>
    public DatapathWatchdog(TimeSpan stallAfter, long ticksPerSecond)
    {
        StallAfter = stallAfter;
        _stallTicks = (long)(stallAfter.TotalSeconds * ticksPerSecond);
    }

    /// <summary>The pumps wait at most a second: five of those without a turn is not scheduling noise.</summary>
    public static readonly TimeSpan DefaultStallAfter = TimeSpan.FromSeconds(5);

    public TimeSpan StallAfter { get; }

    /// <summary>Records the threads' counts at <paramref name="now"/>; returns the first thread whose count has not
    /// moved for <see cref="StallAfter"/>, or null when every thread turned (a thread seen for the first time has).</summary>
    public string? Check(IReadOnlyList<(string Thread, long Iterations)> threads, long now)
    {
        ArgumentNullException.ThrowIfNull(threads);
        string? stuck = null;
        foreach ((string thread, long iterations) in threads)
        {
            if (!_seen.TryGetValue(thread, out (long Iterations, long MovedTicks) last) || last.Iterations != iterations)
            {
                _seen[thread] = (iterations, now);
            }
            else if (now - last.MovedTicks >= _stallTicks)
            {
                stuck ??= thread;
            }
        }

        return stuck;
    }
}
