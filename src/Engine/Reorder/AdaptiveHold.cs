namespace MptFast.Engine.Reorder;

/// <summary>
/// Adaptive reorder hold time (PERFORMANCE-NOTES "Reordering without killing TCP": a short,
/// adaptive timeout instead of a fixed max_buffdelay). Like a TCP retransmission timer: a smoothed
/// reorder delay (EWMA, gain 1/8) plus four times its mean deviation (gain 1/4), clamped between a
/// floor and max_buffdelay. Observations are the waits of gaps that filled; a late drop means the
/// hold was too short (or the network duplicated a packet) and widens the estimate by a quarter.
/// Starts at the maximum until the first observation. Integer arithmetic, no allocation.
/// </summary>
public sealed class AdaptiveHold
{
    // Scaled as in TCP's RTO code so the integer EWMAs do not stall on truncation: 8·smoothed, 4·deviation.
    private long _smoothed8;
    private long _deviation4;
    private bool _hasSample;

    /// <summary>Hold bounded by <paramref name="floorTicks"/> ≤ hold ≤ <paramref name="maxTicks"/> (max_buffdelay).</summary>
    public AdaptiveHold(long floorTicks, long maxTicks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(floorTicks);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTicks, floorTicks);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxTicks, long.MaxValue >> 4);
        FloorTicks = floorTicks;
        MaxTicks = maxTicks;
        ConfiguredMaxTicks = maxTicks;
        HoldTicks = maxTicks;
    }

    public long FloorTicks { get; private set; }

    public long MaxTicks { get; private set; }

    /// <summary>The bounds come from measured path delays: the hold is their maximum (a gap's packet may be on the
    /// slowest path), and fill observations no longer shorten it.</summary>
    public bool Measured { get; private set; }

    /// <summary>The largest maximum <see cref="SetBounds"/> may set (max_buffdelay).</summary>
    public long ConfiguredMaxTicks { get; }

    /// <summary>
    /// Narrows the bounds to what the measured paths call for (an MptFast peer's probes): the maximum to their delay
    /// spread plus jitter (a 25 ms difference then costs a gap no more than that, not max_buffdelay), the floor to the
    /// time a retransmission takes while the tunnel recovers losses. Both stay within [0, max_buffdelay].
    /// </summary>
    public void SetBounds(long floorTicks, long maxTicks, bool measured = false)
    {
        MaxTicks = Math.Clamp(maxTicks, 1, ConfiguredMaxTicks);
        FloorTicks = Math.Clamp(floorTicks, 0, MaxTicks);
        Measured = measured;
        if (!_hasSample || measured)
        {
            HoldTicks = MaxTicks;
            return;
        }

        Update();
    }

    /// <summary>The hold time to use now.</summary>
    public long HoldTicks { get; private set; }

    /// <summary>Smoothed reorder delay (0 before the first sample).</summary>
    public long SmoothedDelayTicks => _smoothed8 >> 3;

    /// <summary>A gap filled after the oldest held packet had waited <paramref name="delayTicks"/>.</summary>
    public void ObserveReorderDelay(long delayTicks)
    {
        long sample = Math.Clamp(delayTicks, 0, MaxTicks);
        if (!_hasSample)
        {
            _hasSample = true;
            _smoothed8 = sample << 3;
            _deviation4 = sample << 1;
        }
        else
        {
            long error = sample - (_smoothed8 >> 3);
            _smoothed8 += error;
            _deviation4 += Math.Abs(error) - (_deviation4 >> 2);
        }

        Update();
    }

    /// <summary>A packet arrived after its gap had been given up: the hold was too short.</summary>
    public void ObserveLate()
    {
        if (!_hasSample)
        {
            return;
        }

        _smoothed8 = Math.Min(_smoothed8 + Math.Max(_smoothed8 >> 2, 8), MaxTicks << 3);
        Update();
    }

    private void Update()
    {
        if (Measured)
        {
            HoldTicks = MaxTicks;
            return;
        }

        long hold = (_smoothed8 >> 3) + Math.Min(_deviation4, MaxTicks);
        HoldTicks = Math.Clamp(hold, FloorTicks, MaxTicks);
    }
}
