namespace MptFast.Engine.Measurement;

/// <summary>
/// Running minimum or maximum of samples over a sliding time window, in O(1) time and memory: the three-sample
/// approximation of Kathleen Nichols' algorithm used by Linux's <c>lib/win_minmax.c</c> and BBR (best, second-best
/// and third-best sample, each younger than the one before). Exact while the extremum is refreshed within the
/// window; otherwise it falls back to the best sample of the last half or quarter window. Times in µs.
/// </summary>
public struct WindowedExtremum
{
    private Sample _s0;
    private Sample _s1;
    private Sample _s2;
    private bool _started;

    /// <summary>A filter keeping the maximum (<paramref name="max"/>) or minimum over <paramref name="windowMicros"/>.</summary>
    public WindowedExtremum(long windowMicros, bool max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowMicros, 1);
        WindowMicros = windowMicros;
        IsMax = max;
    }

    public long WindowMicros { get; }

    public bool IsMax { get; }

    /// <summary>True once a sample was taken.</summary>
    public readonly bool HasValue => _started;

    /// <summary>The extremum over the window (0 before the first sample).</summary>
    public readonly long Value => _s0.Value;

    /// <summary>Forgets every sample.</summary>
    public void Reset() => this = new WindowedExtremum(WindowMicros, IsMax);

    /// <summary>Adds <paramref name="value"/> taken at <paramref name="nowMicros"/> (times must not go backwards);
    /// returns the extremum over the window.</summary>
    public long Update(long nowMicros, long value)
    {
        var sample = new Sample(nowMicros, value);
        if (!_started || Better(value, _s0.Value) || nowMicros - _s2.Time > WindowMicros)
        {
            _started = true;
            _s0 = _s1 = _s2 = sample;
            return value;
        }

        if (Better(value, _s1.Value))
        {
            _s1 = _s2 = sample;
        }
        else if (Better(value, _s2.Value))
        {
            _s2 = sample;
        }

        // The best sample aged out: promote the others (and the new one) — win_minmax.c minmax_subwin_update.
        long age = nowMicros - _s0.Time;
        if (age > WindowMicros)
        {
            _s0 = _s1;
            _s1 = _s2;
            _s2 = sample;
            if (nowMicros - _s0.Time > WindowMicros)
            {
                _s0 = _s1;
                _s1 = _s2;
            }
        }
        else if (_s1.Time == _s0.Time && age > WindowMicros / 4)
        {
            _s1 = _s2 = sample;
        }
        else if (_s2.Time == _s1.Time && age > WindowMicros / 2)
        {
            _s2 = sample;
        }

        return _s0.Value;
    }

    private readonly bool Better(long candidate, long current) => IsMax ? candidate >= current : candidate <= current;

    private readonly record struct Sample(long Time, long Value);
}
