namespace MptFast.Engine.Measurement;

/// <summary>
/// Bytes counted in this window of <see cref="WindowMicros"/> and the one before it: "how much lately", 100 to 200 ms
/// back, for decisions that need a threshold and no rate estimate — whether a connection carries a transfer (its sent
/// packets are worth keeping for repair) or a transfer has only begun on a path (the scheduler's allowance for short
/// ones). A window with nothing counted ends the history: after two idle windows the total is 0. No allocation.
/// </summary>
public struct RecentBytes
{
    /// <summary>Length of one window (µs).</summary>
    public const long WindowMicros = 100_000;

    private long _start;
    private double _current;
    private double _previous;

    /// <summary>Counts <paramref name="bytes"/> at <paramref name="nowMicros"/>.</summary>
    public void Add(long nowMicros, double bytes)
    {
        Roll(nowMicros);
        _current += bytes;
    }

    /// <summary>The bytes counted in this window and the previous one, at <paramref name="nowMicros"/>.</summary>
    public double Total(long nowMicros)
    {
        Roll(nowMicros);
        return _current + _previous;
    }

    private void Roll(long nowMicros)
    {
        long elapsed = nowMicros - _start;
        if (elapsed >= WindowMicros)
        {
            _previous = elapsed < 2 * WindowMicros ? _current : 0;
            _current = 0;
            _start = nowMicros;
        }
    }
}
