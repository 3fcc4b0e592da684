namespace MptFast.Engine.Logging;

/// <summary>
/// Lets one log line through per interval and counts the rest (MPT-SPEC §9.7, B19, B27: the original
/// prints a line per bad packet). Single-threaded: owned by the thread that logs.
/// </summary>
public struct RateLimiter
{
    private readonly long _intervalTicks;
    private long _nextAllowed;
    private long _suppressed;

    public RateLimiter(TimeSpan interval)
    {
        _intervalTicks = (long)(interval.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        _nextAllowed = long.MinValue;
        _suppressed = 0;
    }

    /// <summary>True when a line may be written now; <paramref name="suppressed"/> is how many were held back since the last one.</summary>
    public bool TryAcquire(long nowTicks, out long suppressed)
    {
        if (nowTicks >= _nextAllowed)
        {
            suppressed = _suppressed;
            _suppressed = 0;
            _nextAllowed = nowTicks + _intervalTicks;
            return true;
        }

        _suppressed++;
        suppressed = 0;
        return false;
    }
}
