namespace MptFast.Engine.Offload;

/// <summary>
/// Groups the consecutive datagrams of one path's send batch into UDP GSO trains (PERFORMANCE-NOTES lever 1): a
/// train is a run of entries of equal length, optionally ended by one shorter entry, at most
/// <see cref="MaxSegments"/> entries and <see cref="MaxTrainBytes"/> bytes. Single entries are runs of one (sent with
/// sendmmsg). Preallocated, allocation-free; one per (connection, path) batch, owned by the transmit thread.
/// </summary>
public sealed class GsoRunList
{
    /// <summary>UDP GSO carries at most 64 segments per send (UDP_MAX_SEGMENTS).</summary>
    public const int MaxSegments = 64;

    /// <summary>UDP payload bytes one GSO send may carry: below the 65 507-byte IPv4 datagram limit with margin.</summary>
    public const int MaxTrainBytes = 65000;

    private readonly int[] _start;
    private readonly int[] _count;
    private readonly int[] _segment;
    private readonly int[] _bytes;
    private bool _lastClosed;

    /// <summary>Creates a list for a batch of <paramref name="capacity"/> entries.</summary>
    public GsoRunList(int capacity = MaxSegments)
    {
        _start = new int[capacity];
        _count = new int[capacity];
        _segment = new int[capacity];
        _bytes = new int[capacity];
    }

    /// <summary>Number of runs.</summary>
    public int Length { get; private set; }

    /// <summary>First entry of run <paramref name="run"/>.</summary>
    public int StartOf(int run) => _start[run];

    /// <summary>Entries in run <paramref name="run"/>.</summary>
    public int CountOf(int run) => _count[run];

    /// <summary>Segment size (length of every entry but a shorter last one) of run <paramref name="run"/>.</summary>
    public int SegmentOf(int run) => _segment[run];

    /// <summary>Empties the list.</summary>
    public void Clear() => Length = 0;

    /// <summary>
    /// Appends entry <paramref name="entry"/> of <paramref name="length"/> bytes: it joins the last run when that run
    /// is still open (no shorter entry yet), has the same or a larger segment size, room for one more segment
    /// (≤ <paramref name="maxSegments"/>, the socket's GSO limit) and the bytes; otherwise it opens a new run.
    /// <paramref name="newTrain"/> forces a new run. Entries must be appended in order without gaps.
    /// </summary>
    public void Add(int entry, int length, int maxSegments, bool newTrain = false)
    {
        int last = Length - 1;
        if (!newTrain && last >= 0 && !_lastClosed && length <= _segment[last] && _count[last] < maxSegments
            && _bytes[last] + length <= MaxTrainBytes && _start[last] + _count[last] == entry)
        {
            _count[last]++;
            _bytes[last] += length;
            _lastClosed = length < _segment[last];
            return;
        }

        _start[Length] = entry;
        _count[Length] = 1;
        _segment[Length] = length;
        _bytes[Length] = length;
        _lastClosed = false;
        Length++;
    }

    /// <summary>Marks <paramref name="sent"/> leading entries of run <paramref name="run"/> as sent (after a partial
    /// send): the rest still forms a valid train.</summary>
    public void Consume(int run, int sent)
    {
        _start[run] += sent;
        _count[run] -= sent;
    }
}
