using System.Diagnostics;
using MptFast.Engine.Buffers;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Reorder;
using MptFast.Engine.Runtime;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Datapath;

/// <summary>
/// The receive thread: every path socket → sender check → GRE decode → keepalive bookkeeping or data → (reorder) →
/// TUN (MPT-SPEC §2.6 with the "Required" checks: C/K/S header length, version, protocol, truncation; §3.3; §7).
/// Owns its pool, batches and the connections' reorder buffers. Allocates nothing per packet.
/// </summary>
/// <remarks>
/// Packets are <see cref="PacketStore"/> handles from the socket to the TUN. Offloads (<see cref="RxOffload"/>,
/// PERFORMANCE-NOTES levers 2–3): a GRO socket is received into 64 KiB message slots and every glued message is cut
/// back into single datagrams IN PLACE (views into the message slot, which is reference-counted until the last of its
/// datagrams was written or dropped), so the sender check, GRE decode and reordering stay per datagram without a
/// copy; the TUN side merges in-order TCP segments of one batch into GSO super-packets gathered from where the
/// segments lie (<see cref="TunWriter"/>). The one copy left is a fallback: datagrams the reorder buffer holds are
/// moved into datagram slots when held datagrams pin so many message slots that the next receive would find none.
/// </remarks>
public sealed partial class RxPump : IDisposable
{
    /// <summary>Batches taken from one socket per wake-up, so one busy path cannot starve the others.</summary>
    internal const int MaxBatchesPerSocket = 8;

    private readonly ConnectionRuntime[] _connections;
    private readonly (ConnectionRuntime Connection, PathRuntime Path)[] _sockets;
    private readonly PacketPool _pool;
    private readonly PacketBatch _rx;
    private readonly PacketPool? _groPool;
    private readonly PacketBatch? _groRx;
    private readonly PacketStore _store;
    private readonly int[] _toTun;
    private int _toTunCount;
    private readonly TunWriter _writer;
    private readonly bool[] _active;

    // Per socket, within one DrainConnection: the last sequence number its reads added to the merger, and whether there
    // is one. (_active[s] false = its last read came back short: its socket is empty, the rest of its lag on the wire.)
    private readonly uint[] _tail;
    private readonly bool[] _hasTail;
    private readonly ArrivalMerger _merger;
    private readonly WakeEvent _wake;
    private readonly PollSet _poll;
    private volatile bool _stopping;

    // When this wake-up began: the arrival time of everything received in it. Pushing with it (not the time of each
    // push) means a held packet's gap is given up only if it is still missing after everything that had already
    // arrived was drained — a receive thread descheduled for a few ms must not expire gaps whose fillers sit in the
    // socket buffer (the end-of-iteration expiry uses the current time).
    private long _wakeTicks;

    // No re-poll before this time (after one that did not close its gap).
    private long _repollAfter;

    /// <summary>Re-polls that closed the gap they were started for (the packets were in another path's socket).</summary>
    public long RepollsClosed { get; private set; }

    /// <summary>Re-polls that ran out of their time budget with the gap still open.</summary>
    public long RepollsTimedOut { get; private set; }

    /// <summary>Extra reads of a path whose sequence numbers lagged behind another path's in the same round.</summary>
    public long CatchUpReads { get; private set; }

    /// <summary>Messages per GRO receive: each holds up to 64 KiB (≤ 64 datagrams of a full-size path).</summary>
    internal const int GroBatchMessages = 8;

    /// <summary>Sequenced datagrams of one receive round merged into wire order before the reorder buffer.</summary>
    internal const int MergeCapacity = 2048;

    /// <summary>Runs the merger keeps apart: a batch per path for every round and re-poll of one wake-up.</summary>
    internal const int MergeRunsPerPath = 32;

    /// <summary>How long a round may keep re-reading the other paths for a gap's packets (see <see cref="Repoll"/>).</summary>
    internal static readonly long RepollBudgetTicks = Stopwatch.Frequency / 5_000; // 200 µs

    /// <summary>After a re-poll that did not close the gap (the gap is on the wire, e.g. a slower path), none for this long.</summary>
    internal static readonly long RepollBackoffTicks = Stopwatch.Frequency / 500; // 2 ms

    /// <summary>Most extra reads one round's catch-up may make (see <see cref="CatchUp"/>).</summary>
    internal const int MaxCatchUpReads = 4 * MaxBatchesPerSocket;

    /// <summary>Most datagrams one receive call can add to the merger (a GRO batch of full 64 KiB messages).</summary>
    internal const int MaxDatagramsPerRead = GroBatchMessages * 64;

    /// <summary>Slot size of the GRO receive pool: the largest UDP payload plus the headroom.</summary>
    internal const int GroSlotSize = PacketPool.Headroom + 65536;

    /// <summary>GRO message slots beyond one batch per path and a refill: room for those the reorder buffer pins.</summary>
    internal const int GroSpareMessages = 64;

    /// <summary>A pump writing to <paramref name="tun"/> for <paramref name="connections"/>; <paramref name="slotSize"/>
    /// bounds one datagram (larger ones are dropped as truncated, B04).</summary>
    public RxPump(ITunDevice tun, ConnectionRuntime[] connections, int slotSize, RxOffload offload = default)
    {
        _connections = connections;
        var sockets = new List<(ConnectionRuntime, PathRuntime)>();
        int held = 0;
        int maxPaths = 1;
        foreach (ConnectionRuntime c in connections)
        {
            held += c.Config.ReorderWindow;
            maxPaths = Math.Max(maxPaths, c.Paths.Length);
            foreach (PathRuntime p in c.Paths)
            {
                sockets.Add((c, p));
            }
        }

        _sockets = [.. sockets];
        _pool = new PacketPool((PacketBatch.MaxPackets * 3) + held + MergeCapacity, slotSize);
        _merger = new ArrivalMerger(MergeCapacity, maxPaths * MergeRunsPerPath);
        _active = new bool[_sockets.Length];
        _tail = new uint[_sockets.Length];
        _hasTail = new bool[_sockets.Length];
        _rx = new PacketBatch(_pool);
        if (offload.UdpGro)
        {
            // While one path's batch waits in the merger the next path receives: a batch per path plus the refill,
            // plus spares for what the reorder buffer holds (beyond them, held datagrams are copied out, see ReceiveOnce).
            _groPool = new PacketPool((GroBatchMessages * (maxPaths + 1)) + Math.Min(held, GroSpareMessages), GroSlotSize);
            _groRx = new PacketBatch(_groPool, GroBatchMessages);
        }

        // As many views as datagram slots: the merger, the reorder buffers, the TUN queue and one batch at most.
        _store = new PacketStore(_pool, _groPool, _pool.SlotCount);
        _toTun = new int[PacketBatch.MaxPackets];
        _writer = new TunWriter(tun, offload.TcpCoalescing);
        _wake = new WakeEvent();
        _poll = new PollSet(_sockets.Length + 1);
        _poll.Add(_wake.Fd);
        foreach ((ConnectionRuntime _, PathRuntime p) in _sockets)
        {
            _poll.Add(p.Socket!.Fd);
        }
    }

    /// <summary>Bytes allocated by the receive thread since its loop started (see <see cref="TxPump.AllocatedBytes"/>).</summary>
    public long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

    private long _allocatedBytes;

    /// <summary>TCP super-packets written to the TUN.</summary>
    public long SuperPackets => _writer.SuperPackets;

    /// <summary>TCP segments written inside super-packets.</summary>
    public long CoalescedSegments => _writer.CoalescedSegments;

    /// <summary>The receive thread's packets: live handles, views into GRO messages, pinned message slots and views
    /// that had to be copied after all (tests and diagnostics; receive thread).</summary>
    internal PacketStore Store => _store;

    /// <summary>The datagram pool and the GRO message pool (tests).</summary>
    internal (PacketPool Datagrams, PacketPool? Messages) Pools => (_pool, _groPool);

    /// <summary>Datagrams of GRO messages that were copied after all (no view handle, or held while message slots ran
    /// short); the rest went from the socket to the TUN where they were received.</summary>
    public long CopiedViews => _store.CopiedViews;

    /// <summary>The receive thread's own counters, as the status shows them (read from another thread: each value is
    /// one aligned read of a field only this thread writes).</summary>
    public CounterSnapshot PublishCounters() => new CounterSnapshot()
        .Add("rx_gro_messages", GroMessages)
        .Add("rx_gro_datagrams", GroDatagrams)
        .Add("rx_super_packets", SuperPackets)
        .Add("rx_coalesced_segments", CoalescedSegments)
        .Add("reorder_repolls_closed", RepollsClosed)
        .Add("reorder_repolls_timed_out", RepollsTimedOut)
        .Add("reorder_catch_up_reads", CatchUpReads)
        .Add("rx_gro_slot_shortages", GroSlotShortages)
        .Add("rx_copied_datagrams", CopiedViews);

    public void Run()
    {
        long start = GC.GetAllocatedBytesForCurrentThread();
        while (!_stopping)
        {
            RunOnce(WaitMilliseconds());
            Volatile.Write(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread() - start);
        }
    }

    /// <summary>One iteration: wait up to <paramref name="timeoutMs"/>, drain readable sockets, expire the reorder
    /// buffers, write to the TUN. (Tests drive the pump with it on their own thread.)</summary>
    public void RunOnce(int timeoutMs)
    {
        _poll.Wait(timeoutMs);
        if (_stopping)
        {
            return;
        }

        _wake.Reset();
        _wakeTicks = Stopwatch.GetTimestamp();
        for (int s = 0; s < _sockets.Length; s++)
        {
            _active[s] = _poll.IsReadable(s + 1);
        }

        // The sockets of a connection are consecutive in _sockets.
        for (int first = 0, end; first < _sockets.Length; first = end)
        {
            ConnectionRuntime c = _sockets[first].Connection;
            end = first + 1;
            while (end < _sockets.Length && _sockets[end].Connection == c)
            {
                end++;
            }

            DrainConnection(c, first, end);
        }

        ExpireReorder();
        FlushTun();
    }

    public void Stop()
    {
        _stopping = true;
        _wake.Signal();
    }

    /// <summary>Round-robin over the connection's readable paths, one batch each per round, so the datagrams of a round
    /// are close to wire order; each round's sequenced datagrams are merged by sequence number before the reorder
    /// buffer (<see cref="ArrivalMerger"/>). Stops at a round where no path filled its batch.</summary>
    private void DrainConnection(ConnectionRuntime c, int first, int end)
    {
        Array.Clear(_hasTail, first, end - first);
        for (int round = 0; round < MaxBatchesPerSocket && !_stopping; round++)
        {
            bool more = false;
            for (int s = first; s < end; s++)
            {
                if (_active[s])
                {
                    _active[s] = ReceiveRun(c, s);
                    more |= _active[s];
                }
            }

            if (c.Reorder is { } reorder && end - first > 1)
            {
                CatchUp(c, first, end, reorder);
                if (_merger.WouldOverrun(reorder))
                {
                    Repoll(c, first, end, reorder);
                }
            }

            FlushMerger(c);
            if (!more)
            {
                return;
            }
        }
    }

    /// <summary>Reads socket <paramref name="s"/> into a new merger run and notes its last sequence number; true when
    /// the batch came back full (more may be waiting) — what the callers keep in <c>_active[s]</c>.</summary>
    private bool ReceiveRun(ConnectionRuntime c, int s)
    {
        _merger.BeginRun();
        int before = _merger.Count;
        PathRuntime p = _sockets[s].Path;
        bool full = ReceiveOnce(c, p) == BatchCapacity(p);
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
    private void CatchUp(ConnectionRuntime c, int first, int end, ReorderBuffer reorder)
    {
        int lagLimit = Math.Max(1, reorder.Window / 2);
        // Bounded by the merger's room, by free GRO message slots (beyond them views would be copied out) and by a read
        // count (datagrams that do not enter the merger — unsequenced, malformed — must not keep the loop going).
        for (int reads = 0; reads < MaxCatchUpReads && !_stopping && _merger.Count <= MergeCapacity - MaxDatagramsPerRead
               && (_groPool is null || _groPool.Available >= GroBatchMessages); reads++)
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
            _active[lagging] = ReceiveRun(c, lagging);
        }
    }

    /// <summary>
    /// The merged round would overrun the reorder window over a gap (<see cref="ArrivalMerger.WouldOverrun"/>): the
    /// sender's trains alternate paths, so the gap's packets are usually in another path's socket already or land
    /// there within microseconds (the receive thread read that socket just before they arrived). Reads every path of
    /// the connection again, without waiting, until the gap closes, the merger fills or the time budget ends; a
    /// re-poll that fails (the gap is really on the wire) turns re-polling off for a while, so slow paths cost nothing.
    /// </summary>
    private void Repoll(ConnectionRuntime c, int first, int end, ReorderBuffer reorder)
    {
        long now = Stopwatch.GetTimestamp();
        if (now < _repollAfter)
        {
            return;
        }

        long deadline = now + RepollBudgetTicks;
        while (!_stopping && _merger.Count <= MergeCapacity - MaxDatagramsPerRead)
        {
            for (int s = first; s < end; s++)
            {
                _active[s] = ReceiveRun(c, s);
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

    private int BatchCapacity(PathRuntime p) =>
        _groRx is not null && p.Socket!.Capabilities.GroSupported ? _groRx.Capacity : _rx.Capacity;

    /// <summary>One receive call on the path's socket (GRO or plain); returns the messages received.</summary>
    private int ReceiveOnce(ConnectionRuntime c, PathRuntime p)
    {
        IPathSocket socket = p.Socket!;
        PacketBatch batch = _groRx is not null && socket.Capabilities.GroSupported ? _groRx : _rx;
        if (batch.EnsureSlots(batch.Capacity) < batch.Capacity && batch == _groRx)
        {
            RefillMessageSlots();
        }

        int n = socket.ReceiveBatch(batch);
        if (n > 0)
        {
            if (batch == _rx)
            {
                Process(c, p, n, _wakeTicks);
            }
            else
            {
                Split(c, p, batch, n, _wakeTicks);
            }
        }

        return n;
    }

    private void FlushMerger(ConnectionRuntime c)
    {
        if (_merger.Count > 0 && c.Reorder is { } reorder)
        {
            var sink = new TunSink(this);
            _merger.Flush(reorder, _wakeTicks, ref sink);
        }
    }

    private void Process(ConnectionRuntime c, PathRuntime p, int count, long now)
    {
        PathCounters counters = p.Counters;
        for (int i = 0; i < count; i++)
        {
            if ((_rx.FlagsOf(i) & PacketFlags.Truncated) != 0)
            {
                counters.Rx.DropTruncated++;
                continue;
            }

            // MPT-SPEC §2.6 step 3: only the path's configured remote address; the source port is not pinned (NAT).
            if (!p.Remote.Matches(_rx.SourceAddress(i)))
            {
                counters.Rx.DropUnknownSource++;
                continue;
            }

            Span<byte> datagram = _rx.Data(i);
            if (!Decode(c, p, datagram, now, out GreFrame frame))
            {
                continue;
            }

            int offset = _rx.OffsetOf(i) + frame.HeaderLength;
            int handle = _store.Adopt(_rx.Detach(i), offset, frame.PayloadLength);
            Route(c, p, frame, datagram.Length, handle);
        }
    }

    /// <summary>GRE decode (MPT-SPEC §2.6 steps 4–6); keepalives are handled here. True for a data packet.</summary>
    private static bool Decode(ConnectionRuntime c, PathRuntime p, ReadOnlySpan<byte> datagram, long now, out GreFrame frame)
    {
        if (GreCodec.Decode(datagram, out frame) != GreStatus.Ok)
        {
            p.Counters.Rx.DropMalformed++;
            return false;
        }

        if (frame.Kind == GrePayloadKind.Command)
        {
            Command(c, p, datagram, now);
            return false;
        }

        return true;
    }

    /// <summary>A data packet now held by <paramref name="handle"/>: counted, then to the reorder buffer (through the
    /// merger) when it carries a sequence number and the connection reorders, else straight to the TUN queue.</summary>
    private void Route(ConnectionRuntime c, PathRuntime p, in GreFrame frame, int datagramLength, int handle)
    {
        PathCounters counters = p.Counters;
        counters.Rx.Packets++;
        counters.Rx.Bytes += datagramLength;
        if (c.Reorder is not null && frame.HasSequence)
        {
            if (_merger.IsFull)
            {
                FlushMerger(c);
            }

            _merger.Add(frame.Sequence, handle);
        }
        else
        {
            QueueToTun(handle);
        }
    }

    private static void Command(ConnectionRuntime c, PathRuntime p, ReadOnlySpan<byte> datagram, long now)
    {
        PathCounters counters = p.Counters;
        if (KeepaliveCodec.Decode(datagram, out KeepaliveMessage keepalive) != KeepaliveStatus.Ok)
        {
            counters.Rx.DropCommandOnDataPort++;
            return;
        }

        // B32: the keepalive names the sender's tunnel pair; it must be our pair swapped. The path is authenticated by
        // its source address already, so a mismatch is counted (and reported) but still proves the path alive.
        if (keepalive.LocalTunnel != c.RemoteTunnel || keepalive.RemoteTunnel != c.LocalTunnel)
        {
            counters.Rx.DropKeepaliveMismatch++;
        }

        counters.Rx.KeepalivesReceived++;
        p.LastKeepaliveTicks = now;
    }

    private void ExpireReorder()
    {
        long now = Stopwatch.GetTimestamp();
        foreach (ConnectionRuntime c in _connections)
        {
            if (c.Reorder is { } reorder && reorder.NextDeadline <= now)
            {
                var sink = new TunSink(this);
                reorder.Expire(now, ref sink);
            }
        }
    }

    private int WaitMilliseconds()
    {
        long next = long.MaxValue;
        foreach (ConnectionRuntime c in _connections)
        {
            if (c.Reorder is { } reorder)
            {
                next = Math.Min(next, reorder.NextDeadline);
            }
        }

        if (next == long.MaxValue)
        {
            return 1000;
        }

        long ms = (next - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
        return (int)Math.Clamp(ms + 1, 0, 1000);
    }

    /// <summary>Held packets must not outlive the pump's pools (a connection survives a reload; its reorder buffer
    /// must never hold a handle of a disposed store): they are written to the TUN in order, their gaps given up — a
    /// reload or shutdown costs no packet that had arrived — and the buffers start afresh. (Call after the thread ended.)</summary>
    public void Dispose()
    {
        var sink = new TunSink(this);
        foreach (ConnectionRuntime c in _connections)
        {
            c.Reorder?.Flush(ref sink);
        }

        FlushTun();
        foreach (ConnectionRuntime c in _connections)
        {
            c.Reorder?.Reset(ref sink);
        }

        _rx.Dispose();
        _groRx?.Dispose();
        _groPool?.Dispose();
        _writer.Dispose();
        _wake.Dispose();
        _pool.Dispose();
    }
}
