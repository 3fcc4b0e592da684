namespace MptFast.Engine.Reorder;

/// <summary>
/// Puts one receive round of a connection back into wire order before the <see cref="ReorderBuffer"/> sees it
/// (PERFORMANCE-NOTES "Reordering without killing TCP"). The receive thread takes a whole batch from one path, then
/// one from the next; a sender alternating paths sends 0 1 2 3…, but the pump would push 0 2 4 … 126 then 1 3 5…, a
/// distance beyond a 64-packet window that forces a resynchronisation and late drops. Each path's batch is a run in
/// ascending order; <see cref="Flush{TSink}"/> merges the runs (k-way, by serial distance) into the buffer.
/// </summary>
/// <remarks>Preallocated; no allocation per packet. One owner thread.</remarks>
public sealed class ArrivalMerger
{
    private readonly uint[] _seqs;
    private readonly int[] _handles;
    private readonly int[] _runStart;
    private readonly int[] _runPosition;
    private readonly ulong[] _seen;
    private int _count;
    private int _runs;

    /// <summary>Room for <paramref name="capacity"/> packets in up to <paramref name="maxRuns"/> runs (later runs
    /// join the last one).</summary>
    public ArrivalMerger(int capacity, int maxRuns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRuns, 1);
        _seqs = new uint[capacity];
        _handles = new int[capacity];
        _runStart = new int[maxRuns + 1];
        _runPosition = new int[maxRuns];
        _seen = new ulong[((capacity + ReorderBuffer.MaxWindow) / 64) + 1];
    }

    /// <summary>Packets waiting.</summary>
    public int Count => _count;

    /// <summary>Sequence number of the packet added last (meaningful while <see cref="Count"/> &gt; 0).</summary>
    public uint LastSequence => _seqs[_count - 1];

    /// <summary>No room for another packet: flush first.</summary>
    public bool IsFull => _count == _seqs.Length;

    /// <summary>The packets added from now on form a new run (one path's batch).</summary>
    public void BeginRun()
    {
        if (_runs > 0 && _runStart[_runs - 1] == _count)
        {
            return; // the previous run is empty: reuse it
        }

        if (_runs < _runPosition.Length)
        {
            _runStart[_runs++] = _count;
        }
    }

    /// <summary>Adds a packet to the current run.</summary>
    public void Add(uint sequence, int handle)
    {
        if (_runs == 0)
        {
            _runStart[_runs++] = 0;
        }

        _seqs[_count] = sequence;
        _handles[_count] = handle;
        _count++;
    }

    /// <summary>Pushes everything into <paramref name="buffer"/>, smallest serial distance first, and empties the merger.</summary>
    public void Flush<TSink>(ReorderBuffer buffer, long nowTicks, ref TSink sink)
        where TSink : struct, IReorderSink
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (_count == 0)
        {
            _runs = 0;
            return;
        }

        uint origin = buffer.IsSynchronised ? buffer.Expected : MinimumOfRunHeads();
        _runStart[_runs] = _count;
        for (int r = 0; r < _runs; r++)
        {
            _runPosition[r] = _runStart[r];
        }

        for (int left = _count; left > 0; left--)
        {
            int best = -1;
            int bestKey = 0;
            for (int r = 0; r < _runs; r++)
            {
                int p = _runPosition[r];
                if (p < _runStart[r + 1])
                {
                    int key = (int)(_seqs[p] - origin);
                    if (best < 0 || key < bestKey)
                    {
                        best = r;
                        bestKey = key;
                    }
                }
            }

            int at = _runPosition[best]++;
            buffer.Push(_seqs[at], _handles[at], nowTicks, ref sink);
        }

        _count = 0;
        _runs = 0;
    }

    /// <summary>
    /// True when pushing the packets waiting here would run past <paramref name="buffer"/>'s window over a gap: the
    /// farthest sequence number is at least <see cref="ReorderBuffer.Window"/> beyond the next expected one while some
    /// sequence number between them is neither here nor held. The buffer would then resynchronise (MPT-SPEC §7.6) and
    /// drop the gap's packets as late when they come — worth another look at the other paths' sockets first, where the
    /// gap's packets usually are already, or arrive within microseconds (the sender's trains alternate paths).
    /// </summary>
    public bool WouldOverrun(ReorderBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (_count == 0)
        {
            return false;
        }

        uint origin = buffer.IsSynchronised ? buffer.Expected : MinimumOfRunHeads();
        int farthest = -1;
        for (int i = 0; i < _count; i++)
        {
            farthest = Math.Max(farthest, (int)(_seqs[i] - origin));
        }

        // Every position 0 … farthest − W (relative to origin) must be here or held, or the farthest packet lands a
        // window past a gap. More positions than packets means a gap for certain (and bounds the bitmap below).
        int last = farthest - buffer.Window;
        if (last < 0)
        {
            return false;
        }

        if (last >= _count + buffer.Held)
        {
            return true;
        }

        int words = (last >> 6) + 1;
        Array.Clear(_seen, 0, words);
        for (int i = 0; i < _count; i++)
        {
            int d = (int)(_seqs[i] - origin);
            if ((uint)d <= (uint)last)
            {
                _seen[d >> 6] |= 1UL << d;
            }
        }

        for (int d = 0; d <= last; d++)
        {
            if ((_seen[d >> 6] & (1UL << d)) == 0 && !buffer.IsHeld(origin + (uint)d))
            {
                return true;
            }
        }

        return false;
    }

    private uint MinimumOfRunHeads()
    {
        uint origin = _seqs[0];
        for (int r = 1; r < _runs; r++)
        {
            int start = _runStart[r];
            if (start < _count && (int)(_seqs[start] - origin) < 0)
            {
                origin = _seqs[start];
            }
        }

        return origin;
    }
}
