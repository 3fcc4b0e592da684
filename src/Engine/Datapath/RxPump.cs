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
    private readonly ArrivalMerger _merger;
    private readonly ReceiveRounds _rounds;
    private readonly WakeEvent _wake;
    private readonly EpollSet _epoll;
    private readonly ReadySet _ready;
    private readonly TxPump? _transmit;
    private readonly DelayLine[]?[] _lines; // per connection and path, with equalize_delay only
    private readonly long[]? _ackDue;       // per store handle: when a held acknowledgement may go (0: not held)
    private readonly DelayLine? _ackLine;   // held acknowledgements (equalize_delay = acks or auto), after the reorder buffer
    private readonly AckHoldFlows? _ackFlows; // equalize_delay = auto: which flows' senders are delay-based
    private readonly SendTimes? _sendTimes;   // and when their segments left (recorded by the transmit pump)
    private readonly ISocketCongestion? _congestion;
    private bool _released; // ReleaseHeld ran
    private long _equalized;
    private long _acksHeld;
    private long _equalizeOverflows;
    private volatile bool _stopping;

    // When this wake-up began: the arrival time of everything received in it. Pushing with it (not the time of each
    // push) means a held packet's gap is given up only if it is still missing after everything that had already
    // arrived was drained — a receive thread descheduled for a few ms must not expire gaps whose fillers sit in the
    // socket buffer (the end-of-iteration expiry uses the current time).
    private long _wakeTicks;

    /// <summary>Re-polls that closed the gap they were started for (see <see cref="ReceiveRounds"/>).</summary>
    public long RepollsClosed => _rounds.RepollsClosed;

    /// <summary>Re-polls that ran out of their time budget with the gap still open.</summary>
    public long RepollsTimedOut => _rounds.RepollsTimedOut;

    /// <summary>Extra reads of a path whose sequence numbers lagged behind another path's in the same round.</summary>
    public long CatchUpReads => _rounds.CatchUpReads;

    /// <summary>Messages per GRO receive: each holds up to 64 KiB (≤ 64 datagrams of a full-size path).</summary>
    internal const int GroBatchMessages = 8;

    /// <summary>Most datagrams one receive call can add to the merger (a GRO batch of full 64 KiB messages).</summary>
    internal const int MaxDatagramsPerRead = GroBatchMessages * 64;

    /// <summary>Slot size of the GRO receive pool: the largest UDP payload plus the headroom.</summary>
    internal const int GroSlotSize = PacketPool.Headroom + 65536;

    /// <summary>Most datagram slots the pool reserves for what the reorder buffers hold (all connections together;
    /// 2048-byte slots: 16 MiB of address space, resident only where used — <see cref="PacketPool"/>).</summary>
    internal const int HeldBudget = 8192;

    /// <summary>GRO message slots beyond one batch per path and a refill: room for those the reorder buffer pins.</summary>
    internal const int GroSpareMessages = 64;

    /// <summary>Packets one path's delay line holds (equalize_delay): 1 Gbit/s of full-size packets for 20 ms, and at
    /// most half the reorder window; beyond it the oldest goes on early.</summary>
    internal const int DelayLineCapacity = 2048;

    /// <summary>A pump writing to <paramref name="tun"/> for <paramref name="connections"/>; <paramref name="slotSize"/>
    /// bounds one datagram (larger ones are dropped as truncated, B04);
    /// <paramref name="congestion"/> looks up the local senders' congestion control for <c>equalize_delay = auto</c>
    /// (none: no flow is held in that mode); the pump disposes it.</summary>
    public RxPump(ITunDevice tun, ConnectionRuntime[] connections, int slotSize, RxOffload offload = default, TxPump? transmit = null,
        ISocketCongestion? congestion = null)
    {
        _connections = connections;
        _transmit = transmit;
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
        _ready = new ReadySet(connections, _sockets.Length);
        _lines = new DelayLine[]?[connections.Length];
        for (int i = 0; i < connections.Length; i++)
        {
            ConnectionRuntime c = connections[i];
            if (c.Config.EqualizeDelay && c.Reorder is not null && c.Paths.Length > 1)
            {
                // At most half the reorder window per line: the packets a line holds back are a gap in the window,
                // and a later packet a window or more ahead of it would make the buffer jump past them.
                int capacity = Math.Clamp(c.Reorder.Window / 2, 1, DelayLineCapacity);
                var lines = new DelayLine[c.Paths.Length];
                for (int p = 0; p < lines.Length; p++)
                {
                    lines[p] = new DelayLine(capacity);
                }

                _lines[i] = lines;
                held += lines.Length * capacity;
            }
        }

        // Room for what the reorder buffers may hold: their windows, but no more than HeldBudget for all connections
        // together (a window of 10,000 — reorder_window = auto — would otherwise cost 20 MiB of slots per connection, and
        // a hundred connections a million slots, issue 15). Beyond it a round receives less until holds are released;
        // what is held is bounded by rate × hold anyway.
        held = Math.Min(held, HeldBudget);
        _pool = new PacketPool((PacketBatch.MaxPackets * 3) + held + ReceiveRounds.MergeCapacity, slotSize);
        _merger = new ArrivalMerger(ReceiveRounds.MergeCapacity, maxPaths * ReceiveRounds.MergeRunsPerPath);
        _rounds = new ReceiveRounds(_sockets.Length, _merger, MaxDatagramsPerRead);
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
        _congestion = congestion;
        bool auto = congestion is not null && LooksUpSenders(connections);
        if (auto || connections.Any(c => c.Config.EqualizeAcks && c.Paths.Length > 1))
        {
            // equalize_delay = acks (or auto): one line for every held acknowledgement (a handle is in it at most once).
            _ackDue = new long[_store.HandleCount];
            _ackLine = new DelayLine(_store.HandleCount);
            _ackFlows = auto ? new AckHoldFlows(congestion!) : null;
            _sendTimes = auto ? new SendTimes() : null;
            if (_sendTimes is not null && transmit is not null)
            {
                transmit.SendTimes = _sendTimes;
            }
        }

        _toTun = new int[PacketBatch.MaxPackets];
        _writer = new TunWriter(tun, offload.TcpCoalescing);
        _wake = new WakeEvent();
        _epoll = new EpollSet(Math.Min(_sockets.Length + 1, 1024) + 2); // + WatchAlso's two
        _epoll.Add(_wake.Fd, 0);
        for (int i = 0; i < _sockets.Length; i++)
        {
            _epoll.Add(_sockets[i].Path.Socket!.Fd, (ulong)i + 1); // token 0 = the wake event, s + 1 = socket s
        }
    }

    /// <summary>Whether a pump over <paramref name="connections"/> looks up the local senders' congestion control: a
    /// multipath connection with <c>equalize_delay = auto</c> (the caller opens the lookup only then).</summary>
    public static bool LooksUpSenders(ConnectionRuntime[] connections) =>
        connections.Any(c => c.Config.HoldsDelayBasedAcks && c.Paths.Length > 1);

    /// <summary>Bytes allocated by the receive thread since its loop started (see <see cref="TxPump.AllocatedBytes"/>).</summary>
    public long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

    private long _allocatedBytes;

    /// <summary>Turns of the thread's loop (see <see cref="TxPump.LoopIterations"/>; the wait is at most a second).</summary>
    public long LoopIterations => Volatile.Read(ref _loopIterations);

    private long _loopIterations;

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
        .Add("rx_loop_iterations", ref _loopIterations)
        .Add("rx_gro_messages", GroMessages)
        .Add("rx_gro_datagrams", GroDatagrams)
        .Add("rx_super_packets", SuperPackets)
        .Add("rx_coalesced_segments", CoalescedSegments)
        .Add("reorder_repolls_closed", RepollsClosed)
        .Add("reorder_repolls_timed_out", RepollsTimedOut)
        .Add("reorder_catch_up_reads", CatchUpReads)
        .Add("rx_gro_slot_shortages", GroSlotShortages)
        .Add("rx_copied_datagrams", CopiedViews)
        .Add("rx_equalized", ref _equalized)
        .Add("rx_acks_held", ref _acksHeld)
        .Add("rx_ack_flows_timed", _sendTimes?.Tracked ?? 0)
        .Add("rx_ack_flow_lookups", _ackFlows?.Lookups ?? 0)
        .Add("rx_ack_flows_delay_based", _ackFlows?.DelayBased ?? 0)
        .Add("rx_ack_flows_not_local", _ackFlows?.NotFound ?? 0)
        .Add("rx_ack_flow_lookups_deferred", _ackFlows?.Deferred ?? 0)
        .Add("rx_equalize_overflows", ref _equalizeOverflows);

    public void Run()
    {
        long start = GC.GetAllocatedBytesForCurrentThread();
        while (!_stopping)
        {
            RunOnce(WaitMilliseconds());
            EndIteration(start);
        }
    }

    /// <summary>Counts a turn of the loop that drives this pump and publishes what the thread allocated since
    /// <paramref name="start"/> (its <c>GC.GetAllocatedBytesForCurrentThread</c> when the loop began).</summary>
    internal void EndIteration(long start)
    {
        _loopIterations++; // see TxPump.LoopIterations
        Volatile.Write(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread() - start);
    }

    /// <summary><see cref="Stop"/> was called.</summary>
    internal bool Stopping => _stopping;

    /// <summary>Token of the descriptors watched for another pump (<see cref="WatchAlso"/>).</summary>
    internal const ulong ForeignToken = ulong.MaxValue;

    /// <summary>Ends this pump's wait also when <paramref name="fd"/> becomes readable; the pump reads nothing from it
    /// (<see cref="SingleThreadDatapath"/>: the TUN and the transmit pump's wake event). At most two.</summary>
    internal void WatchAlso(int fd) => _epoll.Add(fd, ForeignToken);

    /// <summary>One iteration: wait up to <paramref name="timeoutMs"/>, drain readable sockets, expire the reorder
    /// buffers, write to the TUN. (Tests drive the pump with it on their own thread.)</summary>
    public void RunOnce(int timeoutMs)
    {
        int ready = _epoll.Wait(timeoutMs);
        if (_stopping)
        {
            return;
        }

        _wakeTicks = Stopwatch.GetTimestamp();

        // Issue 15: only the connections with a readable socket are visited (epoll reports the ready ones), and the
        // wake event is read only when epoll reported it (level-triggered: one signalled later is reported next time)
        // — read unconditionally it was an empty read per round, an eighth of a 20 Mbit/s sender's system calls.
        _ready.Clear();
        for (int i = 0; i < ready; i++)
        {
            ulong token = _epoll.Token(i);
            if (token == ForeignToken)
            {
                continue; // the other direction's (single datapath thread): it reads it after this turn
            }

            if (token != 0)
            {
                _rounds.SetReadable((int)token - 1, true);
                _ready.MarkSocket((int)token - 1);
            }
            else
            {
                _wake.Reset();
            }
        }

        // The sockets of a connection are consecutive in _sockets.
        var reader = new RoundReader(this);
        for (int r = 0; r < _ready.Count; r++)
        {
            int connection = _ready[r];
            (int first, int end) = _ready.Sockets(connection);
            ConnectionRuntime c = _connections[connection];
            _rounds.Drain(ref reader, c, first, end);
            ApplyGiveUps();
            for (int s = first; s < end; s++)
            {
                _rounds.SetReadable(s, false); // level-triggered: a socket with more left is reported again
            }

            _ready.NoteHolding(connection, NextDue(connection) != long.MaxValue);
        }

        ExpireReorder();
        ReleaseAcks(Stopwatch.GetTimestamp());
        FlushTun();
        SendProbes(Stopwatch.GetTimestamp());
    }

    public void Stop()
    {
        _stopping = true;
        _wake.Signal();
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

    /// <summary>The pump's reads as <see cref="ReceiveRounds"/> drives them.</summary>
    private readonly struct RoundReader(RxPump pump) : IRoundReader
    {
        public bool Stopping => pump._stopping;

        public bool HasRoomForRead => pump._groPool is null || pump._groPool.Available >= GroBatchMessages;

        public bool Receive(ConnectionRuntime c, int socket)
        {
            PathRuntime p = pump._sockets[socket].Path;
            return pump.ReceiveOnce(c, p) == pump.BatchCapacity(p);
        }

        public void FlushMerger(ConnectionRuntime c) => pump.FlushMerger(c);
    }

    private void FlushMerger(ConnectionRuntime c)
    {
        if (_merger.Count > 0 && c.Reorder is { } reorder)
        {
            var sink = new TunSink(this);
            _merger.Flush(reorder, _wakeTicks, ref sink);
        }
    }

    // Issue 15: timers by what is due — only the connections whose reorder buffer holds packets are looked at.
    private void ExpireReorder()
    {
        long now = Stopwatch.GetTimestamp();
        for (int i = _ready.HoldingCount - 1; i >= 0; i--)
        {
            int connection = _ready.Holding(i);
            ReorderBuffer? reorder = _connections[connection].Reorder;
            if (reorder is not null && _lines[connection] is { } lines)
            {
                ReleaseDelayed(reorder, lines, now, now);
            }

            if (reorder is not null && reorder.NextDeadline <= now)
            {
                var sink = new TunSink(this);
                reorder.Expire(now, ref sink);
            }

            _ready.NoteHolding(connection, NextDue(connection) != long.MaxValue);
        }
    }

    /// <summary>When the connection next has timed work: its reorder buffer's deadline or a delay line's due time.</summary>
    private long NextDue(int connection)
    {
        long next = _connections[connection].Reorder?.NextDeadline ?? long.MaxValue;
        if (_lines[connection] is { } lines)
        {
            foreach (DelayLine line in lines)
            {
                next = Math.Min(next, line.NextDue);
            }
        }

        return next;
    }

    /// <summary>How long the next wait may last: until the next probe, reorder deadline or delay line is due, at most a
    /// second.</summary>
    internal int WaitMilliseconds()
    {
        long now = Stopwatch.GetTimestamp();
        long next = NextProbeDue();
        for (int i = 0; i < _ready.HoldingCount; i++)
        {
            next = Math.Min(next, NextDue(_ready.Holding(i)));
        }

        next = Math.Min(next, _ackLine?.NextDue ?? long.MaxValue);

        if (next == long.MaxValue)
        {
            return 1000;
        }

        long ms = (next - now) * 1000 / Stopwatch.Frequency;
        return (int)Math.Clamp(ms + 1, 0, 1000);
    }

    /// <summary>Held packets must not outlive the pump's pools (a connection survives a reload; its reorder buffer
    /// must never hold a handle of a disposed store): they are written to the TUN in order, their gaps given up — a
    /// reload or shutdown costs no packet that had arrived — and the buffers start afresh. (Call after the thread ended.)</summary>
    public void Dispose()
    {
        ReleaseHeld();
        _rx.Dispose();
        _groRx?.Dispose();
        _groPool?.Dispose();
        _writer.Dispose();
        _epoll.Dispose();
        _wake.Dispose();
        _pool.Dispose();
        (_congestion as IDisposable)?.Dispose();
    }

    /// <summary>The first part of <see cref="Dispose"/>, once: what the pump holds (delay lines, reorder buffers, held
    /// acknowledgements) is written to the TUN in order and the reorder buffers start afresh. A rebuild calls it while
    /// the datapath is paused — the next pumps may write to the TUN, and run the same connections, as soon as it ends —
    /// and frees the rest later. (Call after the thread ended.)</summary>
    internal void ReleaseHeld()
    {
        if (_released)
        {
            return;
        }

        _released = true;
        var sink = new TunSink(this);
        for (int i = 0; i < _connections.Length; i++)
        {
            if (_connections[i].Reorder is { } reorder && _lines[i] is { } lines)
            {
                ReleaseDelayed(reorder, lines, long.MaxValue, Stopwatch.GetTimestamp()); // all of them
            }
        }

        foreach (ConnectionRuntime c in _connections)
        {
            c.Reorder?.Flush(ref sink);
        }

        ReleaseAcks(long.MaxValue);
        FlushTun();
        foreach (ConnectionRuntime c in _connections)
        {
            c.Reorder?.Reset(ref sink);
        }
    }
}
