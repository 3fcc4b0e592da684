namespace MptFast.Perf.LinkEmu;

/// <summary>
/// Frames on their way to the far end, ordered by arrival time (then by the order they entered, so equal times and
/// order-keeping jitter leave in FIFO order): a binary min-heap over preallocated entries. With monotonic arrival
/// times (no reordering jitter) every push stops at once at the bottom, so the common case costs one sift-down per pop.
/// </summary>
internal sealed class DelayLine(int capacity)
{
    private readonly Entry[] _heap = new Entry[capacity];
    private long _sequence;

    public int Count { get; private set; }

    /// <summary>Arrival time of the first frame due; long.MaxValue when empty.</summary>
    public long NextAt => Count > 0 ? _heap[0].At : long.MaxValue;

    public void Push(long at, int frame)
    {
        var e = new Entry(at, _sequence++, frame);
        int i = Count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Less(e, _heap[parent]))
            {
                break;
            }

            _heap[i] = _heap[parent];
            i = parent;
        }

        _heap[i] = e;
    }

    /// <summary>Removes and returns the first frame due (call only when <see cref="Count"/> &gt; 0).</summary>
    public int Pop()
    {
        int frame = _heap[0].Frame;
        Entry last = _heap[--Count];
        int i = 0;
        while (true)
        {
            int child = (2 * i) + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && Less(_heap[child + 1], _heap[child]))
            {
                child++;
            }

            if (!Less(_heap[child], last))
            {
                break;
            }

            _heap[i] = _heap[child];
            i = child;
        }

        if (Count > 0)
        {
            _heap[i] = last;
        }

        return frame;
    }

    private static bool Less(in Entry x, in Entry y) => x.At < y.At || (x.At == y.At && x.Sequence < y.Sequence);

    private readonly record struct Entry(long At, long Sequence, int Frame);
}
