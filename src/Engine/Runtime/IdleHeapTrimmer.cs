namespace MptFast.Engine.Runtime;

/// <summary>
/// Gives the control plane's garbage back to the system while the datapath is idle (issue 15). A status or metrics
/// request of a hundred connections allocates megabytes; an idle daemon allocates almost nothing after it, so no
/// collection runs again and the GC's regions stay committed — an idle server's resident memory carried its last
/// status request. Every <see cref="CheckPeriodMs"/>, when no data packet moved on any path since the previous check
/// and at least <see cref="TrimAfterBytes"/> were allocated since the last trim, one compacting full collection runs
/// (on the control thread: the datapath is idle, its pause costs nothing). A busy datapath is never paused for it.
/// </summary>
public sealed class IdleHeapTrimmer
{
    /// <summary>How often the datapath's counters are compared.</summary>
    public const long CheckPeriodMs = 5_000;

    /// <summary>Allocation since the last trim that makes another worth its pause.</summary>
    public const long TrimAfterBytes = 1 << 20;

    private long _nextCheckMs;
    private long _lastPackets = -1;
    private long _allocatedAtTrim;

    /// <summary>Collections this trimmer ran.</summary>
    public long Trims { get; private set; }

    /// <summary>A full, compacting collection that returns emptied regions to the system (also after a build).</summary>
    public static void Trim() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    /// <summary>Checks at most every <see cref="CheckPeriodMs"/> (<paramref name="nowMs"/>: a millisecond clock); true
    /// when it trimmed.</summary>
    public bool Tick(IReadOnlyList<ConnectionRuntime> connections, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(connections);
        if (nowMs < _nextCheckMs)
        {
            return false;
        }

        _nextCheckMs = nowMs + CheckPeriodMs;
        long packets = 0;
        foreach (ConnectionRuntime c in connections)
        {
            foreach (PathRuntime p in c.Paths)
            {
                packets += Volatile.Read(ref p.Counters.Tx.Packets) + Volatile.Read(ref p.Counters.Rx.Packets);
            }
        }

        bool idle = packets == _lastPackets;
        _lastPackets = packets;
        if (!idle || GC.GetTotalAllocatedBytes(precise: false) - _allocatedAtTrim < TrimAfterBytes)
        {
            return false;
        }

        Trim();
        _allocatedAtTrim = GC.GetTotalAllocatedBytes(precise: false);
        Trims++;
        return true;
    }
}
