using MptFast.Engine.Classify;
using MptFast.Engine.Config;
using MptFast.Engine.Mapping;

namespace MptFast.Engine.Scheduling;

/// <summary>
/// Transmit path choice of one connection (MPT-SPEC §6.2, §6.4). Owned by the one thread that reads
/// the TUN; path OK-ness arrives as a bitmask (bit i set = path i has status <c>0x00</c>) that the
/// caller reads with <see cref="System.Threading.Volatile"/> from state the control thread writes.
/// Nothing here allocates, sleeps or throws after construction (B12).
/// </summary>
public sealed class PathScheduler
{
    // Per-burst accounting: a burst of N bytes advances its path's finish tag by N · s_i, s_i = 2^32 / w_i.
    private const long BurstScale = 1L << 32;
    private const int MaxBurstBytes = 1 << 24;
    private const long RenormaliseAbove = 1L << 61;

    private readonly int[] _list;
    private readonly int[] _nextOk;
    private readonly uint _weightedPaths;
    private readonly long[] _burstStride;
    private readonly long[] _burstFinish;
    private readonly int[] _burstSegments;
    private int _cursor;
    private uint _nextOkMask;
    private bool _nextOkValid;
    private long _virtualTime;

    /// <summary>Builds the selection list (<see cref="SelectionList.Build"/>) for the paths' <c>weight_out</c>.
    /// <paramref name="burstSegments"/> is the segment quantum of the heaviest path (see <see cref="BurstSegments"/>).</summary>
    public PathScheduler(ReadOnlySpan<int> weights, int burstSegments = MaxBurstSegments)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(burstSegments, 1);
        _list = SelectionList.Build(weights);
        _nextOk = new int[_list.Length];
        _burstStride = new long[weights.Length];
        _burstFinish = new long[weights.Length];
        _burstSegments = new int[weights.Length];
        int heaviest = 0;
        foreach (int w in weights)
        {
            heaviest = Math.Max(heaviest, w);
        }

        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] > 0)
            {
                _weightedPaths |= 1u << i;
                _burstStride[i] = BurstScale / weights[i];
                _burstSegments[i] = (int)Math.Max(1, Math.Min(burstSegments, (long)burstSegments * weights[i] / heaviest));
            }
        }
    }

    /// <summary>Largest segment quantum: one UDP GSO train (UDP_MAX_SEGMENTS).</summary>
    public const int MaxBurstSegments = 64;

    /// <summary>
    /// Segment quantum for the reorder window <paramref name="reorderWindow"/> of the connection: a quarter of the
    /// window (a burst on one path must stay well inside the receiver's window, MPT-SPEC §7.3, or the packets sent
    /// meanwhile on the other paths push the window past it), or a whole GSO train when reordering is off.
    /// </summary>
    public static int BurstSegmentsFor(int reorderWindow) =>
        reorderWindow > 0 ? Math.Clamp(reorderWindow / 4, 1, MaxBurstSegments) : MaxBurstSegments;

    /// <summary>
    /// Most segments of one super-packet that go to <paramref name="path"/> in a row: the quantum scaled by the
    /// path's weight relative to the heaviest path (at least 1), so a slow path takes short bursts and the time one
    /// burst occupies it stays about the same on every path. Only meaningful for paths with a weight.
    /// </summary>
    public int BurstSegments(int path) => _burstSegments[path];

    /// <summary>Number of paths the scheduler was built for.</summary>
    public int PathCount => _burstStride.Length;

    /// <summary>The selection list (one weighted cycle).</summary>
    public ReadOnlySpan<int> List => _list;

    /// <summary>Position in <see cref="List"/> where the next weighted search starts.</summary>
    public int Cursor => _cursor;

    /// <summary>Bit i set when status i is <see cref="PathStatus.Ok"/>: the mask the selection methods take.</summary>
    public static uint OkMask(ReadOnlySpan<PathStatus> statuses)
    {
        uint mask = 0;
        for (int i = 0; i < statuses.Length && i < 32; i++)
        {
            mask |= (statuses[i] == PathStatus.Ok ? 1u : 0u) << i;
        }

        return mask;
    }

    /// <summary>Back to the start of the cycle and to equal burst credit (connection start, §6.1).</summary>
    public void Reset()
    {
        _cursor = 0;
        _virtualTime = 0;
        Array.Clear(_burstFinish);
    }

    /// <summary>
    /// Weighted choice (MPT-SPEC §6.2): from the cursor, the first list entry whose path is OK; the
    /// cursor moves past it. Entries of non-OK paths are skipped, so their share goes to the next OK
    /// entries in list order, as the original. No OK path → -1 (the caller drops and counts, B12).
    /// O(1): a next-OK-entry table is rebuilt (no allocation) only when the mask changes.
    /// </summary>
    public int NextWeighted(uint okMask)
    {
        if ((okMask & _weightedPaths) == 0)
        {
            return -1;
        }

        if (!_nextOkValid || okMask != _nextOkMask)
        {
            RebuildNextOk(okMask);
        }

        int entry = _nextOk[_cursor];
        int next = entry + 1;
        _cursor = next == _list.Length ? 0 : next;
        return _list[entry];
    }

    /// <summary>
    /// Path for one packet (MPT-SPEC §6.4 "Required"): its <see cref="MappedPath(in FlowKey, PortMapTable?, uint)"/>,
    /// otherwise the weighted choice. Returns -1 when no path is usable.
    /// </summary>
    public int Select(in FlowKey key, PortMapTable? portMap, uint okMask)
    {
        int mapped = MappedPath(key, portMap, okMask);
        return mapped >= 0 ? mapped : NextWeighted(okMask);
    }

    /// <summary>As <see cref="Select(in FlowKey, PortMapTable?, uint)"/> for an inner packet, classified only when the
    /// connection maps ports.</summary>
    public int Select(ReadOnlySpan<byte> packet, PortMapTable portMap, uint okMask)
    {
        int mapped = MappedPath(packet, portMap, okMask);
        return mapped >= 0 ? mapped : NextWeighted(okMask);
    }

    /// <summary>
    /// The one fallback rule of flow mapping (MPT-SPEC §6.4 "Required"): the port-mapped path of the flow when that
    /// path is OK, else -1, and the caller takes the weighted choice — per packet (<see cref="NextWeighted"/>) or per
    /// burst (<see cref="PeekBurst"/>). A down mapped path does not lose the packet (B05), and a mapped packet leaves
    /// the weighted cursor untouched (B06): this method changes no state.
    /// </summary>
    public static int MappedPath(in FlowKey key, PortMapTable? portMap, uint okMask)
    {
        if (portMap is { IsEmpty: false })
        {
            int mapped = portMap.Lookup(key);
            if (mapped != PortMapRules.NoPath && ((okMask >> mapped) & 1) != 0)
            {
                return mapped;
            }
        }

        return -1;
    }

    /// <summary>As <see cref="MappedPath(in FlowKey, PortMapTable?, uint)"/> for an inner packet (a super-packet is one
    /// flow), classified only when the connection maps ports.</summary>
    public static int MappedPath(ReadOnlySpan<byte> packet, PortMapTable portMap, uint okMask)
    {
        ArgumentNullException.ThrowIfNull(portMap);
        return portMap.IsEmpty ? -1 : MappedPath(PacketClassifier.Classify(packet), portMap, okMask);
    }

    /// <summary>
    /// Per-burst choice for segmentation-offload sends: the OK path with the smallest finish tag
    /// (ties → lowest index) takes the burst and its tag advances by <paramref name="bytes"/> / wᵢ,
    /// so over time the paths carry BYTES in proportion to their weights. A path that was down or
    /// idle restarts at the current virtual time instead of cashing in old credit. -1 = no OK path.
    /// </summary>
    public int NextBurst(int bytes, uint okMask)
    {
        int best = PeekBurst(okMask);
        if (best >= 0)
        {
            ChargeBurst(best, bytes);
        }

        return best;
    }

    /// <summary>
    /// The path <see cref="NextBurst"/> would choose, without charging it: the caller sizes the burst for that path
    /// (e.g. a segment quantum that follows its weight) and then calls <see cref="ChargeBurst"/>. -1 = no OK path.
    /// </summary>
    public int PeekBurst(uint okMask)
    {
        uint eligible = okMask & _weightedPaths;
        if (eligible == 0)
        {
            return -1;
        }

        long[] finish = _burstFinish;
        int best = -1;
        long bestTag = long.MaxValue;
        for (int i = 0; i < finish.Length; i++)
        {
            if (((eligible >> i) & 1) == 0)
            {
                continue;
            }

            long tag = Math.Max(finish[i], _virtualTime);
            if (tag < bestTag)
            {
                bestTag = tag;
                best = i;
            }
        }

        return best;
    }

    /// <summary>Charges <paramref name="bytes"/> to <paramref name="path"/> (a weighted path chosen by
    /// <see cref="PeekBurst"/>): the virtual time moves to its start tag and its finish tag advances by bytes / wᵢ.</summary>
    public void ChargeBurst(int path, int bytes)
    {
        long tag = Math.Max(_burstFinish[path], _virtualTime);
        long charged = Math.Clamp(bytes, 0, MaxBurstBytes);
        _virtualTime = tag;
        _burstFinish[path] = tag + (charged * _burstStride[path]);
        if (_virtualTime > RenormaliseAbove)
        {
            Renormalise();
        }
    }

    private void RebuildNextOk(uint okMask)
    {
        // Two backward laps: after the first, "next OK entry at or after i (cyclically)" is known for every i.
        int[] list = _list;
        int[] nextOk = _nextOk;
        int length = list.Length;
        int next = -1;
        for (int k = (2 * length) - 1; k >= 0; k--)
        {
            int i = k >= length ? k - length : k;
            if (((okMask >> list[i]) & 1) != 0)
            {
                next = i;
            }

            if (k < length)
            {
                nextOk[i] = next;
            }
        }

        _nextOkMask = okMask;
        _nextOkValid = true;
    }

    private void Renormalise()
    {
        long floor = _virtualTime;
        for (int i = 0; i < _burstFinish.Length; i++)
        {
            _burstFinish[i] = Math.Max(_burstFinish[i] - floor, 0);
        }

        _virtualTime = 0;
    }
}
