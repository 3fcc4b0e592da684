namespace MptFast.Engine.Reorder;

/// <summary>
/// One path's delay line for delay equalisation (MptFast key <c>equalize_delay</c>): a FIFO of received packets
/// (sequence number, handle) with the time each may go on to the reorder buffer. The receive thread puts a path's
/// packets here for the difference between its delay and the mean of the usable paths' delays (<see cref="HoldMicros"/>),
/// so the inner flow no longer sees the fastest path's round trip as its minimum. A delay-based congestion control
/// (BBR) keeps at most twice the bandwidth × the minimum round trip in flight; through one tunnel flow over a 1 ms and
/// a 25 ms path that minimum was the fast path's, far too little to fill the slow one (perf/results/ab-2026-12-06-equalize).
/// The mean, not the slowest path's delay: BBR's twice-the-BDP then still covers every path's own BDP, and the fast path
/// pays half the difference, not all of it (holding to the slowest also overfilled DSL + LTE's buffers).
/// Preallocated, bounded; no allocation per packet. One thread (the receive thread) owns it.
/// </summary>
public sealed class DelayLine
{
    private readonly uint[] _seqs;
    private readonly int[] _handles;
    private readonly long[] _due;
    private int _head;
    private int _count;

    /// <summary>A line for up to <paramref name="capacity"/> packets.</summary>
    public DelayLine(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _seqs = new uint[capacity];
        _handles = new int[capacity];
        _due = new long[capacity];
    }

    /// <summary>Most packets the line holds.</summary>
    public int Capacity => _seqs.Length;

    /// <summary>Packets in the line.</summary>
    public int Count => _count;

    /// <summary>True when the line holds no packet.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>True when the line holds <see cref="Capacity"/> packets (the caller passes the oldest on first).</summary>
    public bool IsFull => _count == _seqs.Length;

    /// <summary>When the oldest packet is due, or <see cref="long.MaxValue"/> when the line is empty. A line is first in,
    /// first out: a shorter delay given to a later packet never overtakes an earlier one (its due time is the earlier's).</summary>
    public long NextDue => _count == 0 ? long.MaxValue : _due[_head];

    /// <summary>Appends a packet due at <paramref name="dueTicks"/>; false (nothing taken) when the line is full.</summary>
    public bool TryAdd(uint seq, int handle, long dueTicks)
    {
        if (_count == _seqs.Length)
        {
            return false;
        }

        int tail = _head + _count;
        if (tail >= _seqs.Length)
        {
            tail -= _seqs.Length;
        }

        // Order within a path is kept: a packet is never due before the one in front of it.
        if (_count > 0)
        {
            int last = tail == 0 ? _seqs.Length - 1 : tail - 1;
            dueTicks = Math.Max(dueTicks, _due[last]);
        }

        _seqs[tail] = seq;
        _handles[tail] = handle;
        _due[tail] = dueTicks;
        _count++;
        return true;
    }

    /// <summary>Takes the oldest packet out (whether due or not); false when the line is empty.</summary>
    public bool TryTake(out uint seq, out int handle)
    {
        if (_count == 0)
        {
            seq = 0;
            handle = -1;
            return false;
        }

        seq = _seqs[_head];
        handle = _handles[_head];
        _handles[_head] = -1;
        if (++_head == _seqs.Length)
        {
            _head = 0;
        }

        _count--;
        return true;
    }

    /// <summary>Takes the oldest packet out if it is due at <paramref name="nowTicks"/>.</summary>
    public bool TryTakeDue(long nowTicks, out uint seq, out int handle)
    {
        if (_count == 0 || _due[_head] > nowTicks)
        {
            seq = 0;
            handle = -1;
            return false;
        }

        return TryTake(out seq, out handle);
    }

    /// <summary>
    /// A path's hold (µs): the target delay (the mean of the usable paths' base delays) minus this path's base delay and
    /// its current queue (what the packet already waited), at least 0 and at most <paramref name="maxMicros"/> (the
    /// connection's <c>max_buffdelay_msec</c>). Base delays are one-way from the peer's clock, so only their differences
    /// (and the mean's difference to each) mean anything.
    /// </summary>
    public static long HoldMicros(long targetBaseMicros, long baseMicros, long queueMicros, long maxMicros) =>
        Math.Clamp(targetBaseMicros - baseMicros - Math.Max(0, queueMicros), 0, Math.Max(0, maxMicros));

    /// <summary>Margin of the acknowledgement hold over what a delay-based sender's window must cover
    /// (<see cref="AckExtraMicros"/>).</summary>
    public const double AckMargin = 1.5;

    /// <summary>
    /// How much longer than over the fastest path an acknowledgement should take (µs; equalize_delay = acks or auto),
    /// from the paths' mean round trip weighted by their learnt forward rates (<paramref name="meanRttMicros"/>) and the
    /// shortest round trip (<paramref name="minRttMicros"/>), at most <paramref name="spreadMicros"/> (the slowest
    /// path's one-way delay over the fastest's). A BBR sender keeps 2 × bandwidth × its minimum round trip in flight;
    /// with the acknowledgements coming back the fastest way and held h, its minimum is min + h and a segment's round
    /// trip averages mean/2 + min/2 + h (out over its path, back over the fastest). To fill every path with a margin m:
    /// 2 (min + h) ≥ m (mean/2 + min/2 + h), so h ≥ (m·mean/2 − (2 − m/2)·min) / (2 − m) = 1.5·mean − 2.5·min for
    /// m = <see cref="AckMargin"/>. That is the whole spread where the fast path is short (10+10 Mbit/s at 1/25 ms) and
    /// a few ms where the fast path carries most and its own round trip nearly suffices (DSL + LTE, 100+20 Mbit/s at
    /// 5/40 ms: ~7.5 of 35 ms; holding all 35 doubled the window the links need and a short transfer's slow start ran on
    /// the longest round trip, perf/results/ab-2026-12-07-auto). With auto it is not a hold of every acknowledgement
    /// but the floor over the sender's shortest round trip (<c>Datapath/SendTimes</c>), which an acknowledgement whose
    /// segment already waited at the peer's reorder buffer needs no more of (perf/results/ab-2026-12-07-floor).
    /// </summary>
    public static long AckExtraMicros(double meanRttMicros, long minRttMicros, long spreadMicros)
    {
        double extra = ((AckMargin * meanRttMicros / 2) - ((2 - (AckMargin / 2)) * minRttMicros)) / (2 - AckMargin);
        return Math.Clamp((long)Math.Min(extra, long.MaxValue / 2), 0, Math.Max(0, spreadMicros));
    }
}
