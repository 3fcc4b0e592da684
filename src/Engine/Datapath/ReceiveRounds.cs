using System.Diagnostics;
using MptFast.Engine.Reorder;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Datapath;

/// <summary>
/// The receive-round policy: in which order and how often the receive thread reads a connection's path sockets in one
/// wake-up, so the datagrams of a round reach the reorder buffer close to wire order (MPT-SPEC §7; PERFORMANCE-NOTES
/// "Reordering without killing TCP"). Round-robin over the readable paths, one batch each per round, each round's
/// sequenced datagrams merged by sequence number (<see cref="ArrivalMerger"/>) before the reorder buffer; a path whose
/// sequence numbers lag behind is read again (<see cref="CatchUp"/>); a gap about to push the window past it makes the
/// round look at every path once more (<see cref="Repoll"/>). The reads themselves are the pump's
/// (<see cref="IRoundReader"/>, struct-generic: no delegate or interface call). Receive thread only.
/// </summary>
internal sealed class ReceiveRounds
{
    /// <summary>Batches taken from one socket per wake-up, so one busy path cannot starve the others.</summary>
    internal const int MaxBatchesPerSocket = 8;

    /// <summary>Sequenced datagrams of one receive round merged into wire order before the reorder buffer.</summary>
    internal const int MergeCapacity = 2048;

    /// <summary>Runs the merger keeps apart: a batch per path for every round and re-poll of one wake-up.</summary>
    internal const int MergeRunsPerPath = 32;

    /// <summary>Most extra reads one round's catch-up may make (see <see cref="CatchUp"/>).</summary>
    internal const int MaxCatchUpReads = 4 * MaxBatchesPerSocket;

    /// <summary>How long a round may keep re-reading the other paths for a gap's packets (see <see cref="Repoll"/>).</summary>
    internal static readonly long RepollBudgetTicks = Stopwatch.Frequency / 5_000; // 200 µs

    /// <summary>After a re-poll that did not close the gap (the gap is on the wire, e.g. a slower path), none for this long.</summary>
    internal static readonly long RepollBackoffTicks = Stopwatch.Frequency / 500; // 2 ms

    private readonly ArrivalMerger _merger;
    private readonly int _maxDatagramsPerRead;

    // Per socket: whether it may have more (readable at the wake-up, and its last read came back full), and within one
    // Drain the last sequence number its reads added to the merger and whether there is one.
    private readonly bool[] _active;
    private readonly uint[] _tail;
    private readonly bool[] _hasTail;

    // No re-poll before this time (after one that did not close its gap).
    private long _repollAfter;

    /// <summary>The policy over <paramref name="sockets"/> sockets, feeding <paramref name="merger"/>; one read adds at most
    /// <paramref name="maxDatagramsPerRead"/> datagrams to it.</summary>
    public ReceiveRounds(int sockets, ArrivalMerger merger, int maxDatagramsPerRead)
    {
        _merger = merger;
        _maxDatagramsPerRead = maxDatagramsPerRead;
        _active = new bool[sockets];
        _tail = new uint[sockets];
        _hasTail = new bool[sockets];
    }

    /// <summary>Re-polls that closed the gap they were started for (the packets were in another path's socket).</summary>
    public long RepollsClosed { get; private set; }

    /// <summary>Re-polls that ran out of their time budget with the gap still open.</summary>
    public long RepollsTimedOut { get; private set; }

    /// <summary>Extra reads of a path whose sequence numbers lagged behind another path's in the same round.</summary>
    public long CatchUpReads { get; private set; }

    /// <summary>Socket <paramref name="s"/> was readable at this wake-up (or not).</summary>
    public void SetReadable(int s, bool readable) => _active[s] = readable;

    /// <summary>Round-robin over the connection's readable sockets [<paramref name="first"/>, <paramref name="end"/>), one
    /// batch each per round; each round is caught up, re-polled when it would overrun the reorder window, and flushed
    /// through the merger. Stops at a round where no socket filled its batch.</summary>
    public void Drain<TReader>(ref TReader reader, ConnectionRuntime c, int first, int end)
        where TReader : struct, IRoundReader
    {
        Array.Clear(_hasTail, first, end - first);
        for (int round = 0; round < MaxBatchesPerSocket && !reader.Stopping; round++)
        {
            bool more = false;
            for (int s = first; s < end; s++)
            {
                if (_active[s])
                {
                    _active[s] = ReceiveRun(ref reader, c, s);
                    more |= _active[s];
                }
            }

            if (c.Reorder is { } reorder && end - first > 1)
            {
                CatchUp(ref reader, c, first, end, reorder);
                if (_merger.WouldOverrun(reorder))
                {
                    Repoll(ref reader, c, first, end, reorder);
                }
            }

            reader.FlushMerger(c);
            if (!more)
            {
                return;
            }
        }
    }

    /// <summary>Reads socket <paramref name="s"/> into a new merger run and notes its last sequence number; true when
    /// the batch came back full (more may be waiting) — what the callers keep in <c>_active[s]</c>.</summary>
    private bool ReceiveRun<TReader>(ref TReader reader, ConnectionRuntime c, int s)
        where TReader : struct, IRoundReader
    {
        _merger.BeginRun();
        int before = _merger.Count;
        bool full = reader.Receive(c, s);
        if (_merger.Count > before)
        {
            _tail[s] = _merger.LastSequence;
            _hasTail[s] = true;
        }

        return full;
    }

    /// <summary>
    /// Reads again the paths whose sequence numbers lag more than half a window behind the farthest path of the round,
    /// until they catch up or their sockets are empty. Every read takes the same number of messages from each path, but
    /// GRO packs a varying number of datagrams into a message: reading round-robin, the path with the thinner messages
    /// falls behind in sequence numbers, farther with every round, until its packets land behind the reorder window and
    /// are dropped as late. Catching up by sequence number keeps a round's merge within the window.
    /// </summary>
    private void CatchUp<TReader>(ref TReader reader, ConnectionRuntime c, int first, int end, ReorderBuffer reorder)
        where TReader : struct, IRoundReader
    {
        int lagLimit = Math.Max(1, reorder.Window / 2);
        // Bounded by the merger's room, by the reader's free buffers (beyond them GRO views would be copied out) and by
        // a read count (datagrams that do not enter the merger — unsequenced, malformed — must not keep the loop going).
        for (int reads = 0; reads < MaxCatchUpReads && !reader.Stopping && _merger.Count <= MergeCapacity - _maxDatagramsPerRead
               && reader.HasRoomForRead; reads++)
        {
            bool any = false;
            uint farthest = 0;
            for (int s = first; s < end; s++)
            {
                if (_hasTail[s] && (!any || (int)(_tail[s] - farthest) > 0))
                {
                    farthest = _tail[s];
                    any = true;
                }
            }

            int lagging = -1;
            for (int s = first; s < end; s++)
            {
                if (_hasTail[s] && _active[s] && (int)(farthest - _tail[s]) > lagLimit
                    && (lagging < 0 || (int)(_tail[s] - _tail[lagging]) < 0))
                {
                    lagging = s;
                }
            }

            if (lagging < 0)
            {
                return;
            }

            CatchUpReads++;
            _active[lagging] = ReceiveRun(ref reader, c, lagging);
        }
    }

    /// <summary>
    /// The merged round would overrun the reorder window over a gap (<see cref="ArrivalMerger.WouldOverrun"/>): the
    /// sender's trains alternate paths, so the gap's packets are usually in another path's socket already or land
    /// there within microseconds (the receive thread read that socket just before they arrived). Reads every path of
    /// the connection again, without waiting, until the gap closes, the merger fills or the time budget ends; a
    /// re-poll that fails (the gap is really on the wire) turns re-polling off for a while, so slow paths cost nothing.
    /// </summary>
    private void Repoll<TReader>(ref TReader reader, ConnectionRuntime c, int first, int end, ReorderBuffer reorder)
        where TReader : struct, IRoundReader
    {
        long now = Stopwatch.GetTimestamp();
        if (now < _repollAfter)
        {
            return;
        }

        long deadline = now + RepollBudgetTicks;
        while (!reader.Stopping && _merger.Count <= MergeCapacity - _maxDatagramsPerRead)
        {
            for (int s = first; s < end; s++)
            {
                _active[s] = ReceiveRun(ref reader, c, s);
            }

            if (!_merger.WouldOverrun(reorder))
            {
                RepollsClosed++;
                return;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                break;
            }

            // Yield, not spin: on a box with fewer cores than busy threads, the sender thread or softirq that carries the
            // gap's packets needs this core.
            Thread.Yield();
        }

        RepollsTimedOut++;
        _repollAfter = Stopwatch.GetTimestamp() + RepollBackoffTicks;
    }
}

/// <summary>What <see cref="ReceiveRounds"/> asks of the receive pump: the reads themselves and the merger's flush.</summary>
internal interface IRoundReader
{
    /// <summary>The pump is stopping: end the round.</summary>
    bool Stopping { get; }

    /// <summary>A read may start without running short of receive buffers (GRO message slots).</summary>
    bool HasRoomForRead { get; }

    /// <summary>One receive call on socket <paramref name="socket"/> of <paramref name="c"/>, its datagrams processed
    /// (sequenced ones into the merger); true when the batch came back full.</summary>
    bool Receive(ConnectionRuntime c, int socket);

    /// <summary>Hands the merged datagrams of <paramref name="c"/> to its reorder buffer.</summary>
    void FlushMerger(ConnectionRuntime c);
}
