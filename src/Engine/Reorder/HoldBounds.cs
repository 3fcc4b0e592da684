using MptFast.Engine.Measurement;

namespace MptFast.Engine.Reorder;

/// <summary>
/// The reorder hold's bounds from the measured paths (an MptFast peer's probes; <see cref="AdaptiveHold.SetBounds"/>):
/// add each usable path's estimate, then <see cref="Compute"/>. Times in µs. A value type on the stack; no allocation.
/// </summary>
/// <remarks>
/// Two parts. <b>The spread</b>: the slowest path's worst peer-to-here delay of the last second against the fastest
/// path's current one, plus four jitters and a margin — when a gap's packet is on the slowest path, that is how late it
/// comes — and, while per-path losses are reported, a retransmission's round trip on top (and as the floor).
/// <b>The cap</b>: never more than the paths' <i>base</i> delay spread × 5/4 plus an allowance for queues, jitter and
/// a repair — <see cref="QueuedHoldMicros"/> where the base delays differ, <see cref="EqualDelayHoldMicros"/> where they
/// do not (within <see cref="PathEstimate.EqualDelayMicros"/>) — or one and a half of the fastest path's minimum round trip, if
/// longer. The spread grows with the queues the inner TCP builds (on 100 + 100 Mbit/s, 1/1 ms, 1 % loss on one path
/// it reached 90 ms), and a gap whose repair waits behind those queues, or never comes, then stopped the inner TCP's
/// ACK clock for that long. Past the cap a late packet is delivered late instead: the inner TCP takes it as
/// reordering (RACK, undone by DSACK) and keeps sending — with SACK its window keeps moving, where a held gap stops
/// it. Measured on that set (CUBIC, fraction of the link rates): uncapped 0.879–0.890 (perf/results/ab-2026-12-05-hold);
/// a 30 ms allowance bimodal, 5 of 13 runs at 0.87–0.90 and the rest at 0.91–0.92; 15 ms 13 of 13 runs at
/// 0.911–0.926, with more packets delivered out of order (about 5 %) and a few more inner retransmissions
/// (perf/results/ab-2026-12-06-hold15). Where the delays differ the hold also covers the scheduler's error in
/// equalising the paths' queues from a picture a slower path's round trip old: there 15 ms cost (200 + 200 Mbit/s at
/// 2/10 ms: 8 × the inner retransmissions, two runs of nine at 0.88–0.90; DSL + LTE lower), so those keep 30 ms.
/// </remarks>
public struct HoldBounds
{
    /// <summary>Slack on top of a measured delay spread before a gap is given up (probe timing, scheduling).</summary>
    public const long MarginMicros = 5_000;

    /// <summary>What the cap allows beyond the base delay spread for queues, jitter and a repair.</summary>
    public const long QueuedHoldMicros = 30_000;

    /// <summary>The same on paths of equal base delay: there only a repair is waited for, and behind the inner TCP's
    /// queues it comes too late to be worth a stall.</summary>
    public const long EqualDelayHoldMicros = 15_000;

    private long _earliest;
    private long _latest;
    private long _jitter;
    private long _fastestRtt;
    private long _baseEarliest;
    private long _baseLatest;
    private long _fastestMinRtt;

    public HoldBounds()
    {
        _earliest = long.MaxValue;
        _latest = long.MinValue;
        _fastestRtt = long.MaxValue;
        _baseEarliest = long.MaxValue;
        _baseLatest = long.MinValue;
        _fastestMinRtt = long.MaxValue;
    }

    /// <summary>At least one valid estimate was added.</summary>
    public readonly bool HasPaths => _earliest != long.MaxValue;

    /// <summary>Takes one usable path's estimate (ignored unless valid).</summary>
    public void Add(in PathEstimate e)
    {
        if (!e.IsValid)
        {
            return;
        }

        // The slowest arrival this path showed in the last second (its queue swings between probes), against the
        // fastest path's current one.
        _earliest = Math.Min(_earliest, e.ReverseBaseMicros + e.ReverseQueueMicros);
        _latest = Math.Max(_latest, e.ReverseBaseMicros + Math.Max(e.ReverseQueueMicros, e.ReverseQueueMaxMicros));
        _jitter = Math.Max(_jitter, e.ReverseJitterMicros);
        _fastestRtt = Math.Min(_fastestRtt, Math.Max(e.SmoothedRttMicros, e.LatestRttMicros));
        _baseEarliest = Math.Min(_baseEarliest, e.ReverseBaseMicros);
        _baseLatest = Math.Max(_baseLatest, e.ReverseBaseMicros);
        _fastestMinRtt = Math.Min(_fastestMinRtt, e.MinRttMicros);
    }

    /// <summary>
    /// The floor and the maximum of the hold (µs; only meaningful when <see cref="HasPaths"/>).
    /// <paramref name="recovering"/>: the tunnel repairs losses and some were seen, so a retransmission's round trip
    /// (after <paramref name="toleranceMicros"/>, the report's wait) is added and is the floor.
    /// </summary>
    public readonly (long FloorMicros, long MaxMicros) Compute(long toleranceMicros, bool recovering)
    {
        // A reported loss is back after the report's tolerance and about one round trip on the best path (report one
        // way, retransmission the other, both through that path's queues), with some slack.
        long retransmission = recovering ? toleranceMicros + (_fastestRtt * 3 / 2) + MarginMicros : 0;

        // Generous: a gap that fills costs only its wait, one given up too early costs the inner TCP reordering.
        long spread = ((_latest - _earliest) * 5 / 4) + (4 * _jitter) + MarginMicros + retransmission;
        long baseSpread = _baseLatest - _baseEarliest;
        long allowance = baseSpread > PathEstimate.EqualDelayMicros ? QueuedHoldMicros : EqualDelayHoldMicros;
        long cap = (baseSpread * 5 / 4) + Math.Max(allowance, _fastestMinRtt * 3 / 2);
        return (retransmission, Math.Min(spread, cap));
    }
}
