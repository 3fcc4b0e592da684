using MptFast.Engine.Buffers;
using MptFast.Engine.Classify;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Mapping;
using MptFast.Engine.Measurement;
using MptFast.Engine.Offload;
using MptFast.Engine.Runtime;
using MptFast.Engine.Scheduling;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Datapath;

/// <summary>
/// The transmit thread: TUN → connection lookup → path choice → GRE header written into the headroom → one
/// sendmmsg per path and batch (MPT-SPEC §2.5 with the fixes of §10.1: no lock, no sleep, no per-packet ioctl, no
/// blocking handshake). Owns its pool, batches, the connections' schedulers and sequence counters. Allocates nothing
/// per packet.
/// </summary>
/// <remarks>
/// With segmentation offload (PERFORMANCE-NOTES levers 1 and 3) the TUN hands out TCP super-packets of up to 64 KiB
/// behind a virtio_net_hdr into large input slots; each is cut by <see cref="TcpSegmenter"/> straight into MTU-sized
/// output slots behind the GRE headroom (one copy of the payload), every segment gets its own GRE header and sequence
/// number (consecutive within the super-packet, MPT-SPEC §2.3), and all segments of one super-packet go to ONE path
/// chosen per burst by <see cref="Scheduling.PathScheduler.NextBurst"/> (bytes-weighted) unless the port map names
/// the flow's path (§6.4). Each path's batch then leaves as UDP GSO trains (<see cref="IPathSocket.SendGso"/>).
/// </remarks>
public sealed partial class TxPump : IDisposable
{
    private const int WritableWaitMs = 20;
    private const int MaxSendStalls = 10;

    /// <summary>Batches moved per wake-up before polling again (bounds the loop; poll returns at once while data waits).</summary>
    internal const int MaxBatchesPerWake = 16;

    /// <summary>
    /// After a wake-up that read one packet the next reads one and no more (<see cref="RunOnce"/>), except every this
    /// many, which reads until the TUN is empty to find out whether the rate grew.
    /// </summary>
    internal const int DrainEveryWakes = 8;

    private int _singleWakes; // consecutive wake-ups that read one packet

    private readonly ITunDevice _tun;
    private readonly ConnectionRuntime[] _connections;
    private readonly ConnectionMatcher _matcher;
    private readonly PacketPool _pool;
    private readonly PacketPool _inPool;
    private readonly PacketBatch _in;
    private readonly PacketBatch[][] _out;
    private readonly GsoRunList[][] _runs;
    private readonly bool _offload;
    private readonly WakeEvent _wake;
    private readonly PollSet _poll = new(2);
    private readonly PollSet _writable = new(1);
    private volatile bool _stopping;

    private long _loopIterations;
    private long _dropNoConnection;
    private long _dropNotIp;
    private long _dropBadOffload;
    private long _superPackets;

    /// <summary>Packets read from the TUN per batch with segmentation offload (each up to 64 KiB).</summary>
    internal const int OffloadReadBatch = 16;

    /// <summary>Input slot size with segmentation offload: a 64 KiB super-packet, its virtio header and the headroom.</summary>
    public const int OffloadSlotSize = PacketPool.Headroom + TcpSegmenter.MaxSuperPacket;

    /// <summary>Creates the pump. <paramref name="slotSize"/> sizes the output slots (one MTU-sized packet each).
    /// <paramref name="segmentationOffload"/>: the TUN was opened with IFF_VNET_HDR and TSO/CSUM offloads, so reads
    /// are super-packets (input slots become <see cref="OffloadSlotSize"/>) and sends use UDP GSO where available.</summary>
    public TxPump(ITunDevice tun, ConnectionRuntime[] connections, ConnectionMatcher matcher, int slotSize, bool segmentationOffload = false)
    {
        _tun = tun;
        _connections = connections;
        _matcher = matcher;
        _offload = segmentationOffload;
        int paths = 0;
        foreach (ConnectionRuntime c in connections)
        {
            paths += c.Paths.Length;
        }

        // Loss recovery keeps sent packets: room for them in the pool, and the index to find them by.
        bool recovery = connections.Any(RecoveryPossible);
        int retained = recovery ? RetainCapacity : 0;
        if (segmentationOffload)
        {
            // Input slots are only read from (segments are copied out), so they stay few and large: a batch of
            // OffloadReadBatch super-packets (~1 MiB) is still cache-warm when it is segmented.
            _pool = new PacketPool((PacketBatch.MaxPackets * (paths + 1)) + retained, slotSize);
            _inPool = new PacketPool(OffloadReadBatch + 1, OffloadSlotSize);
        }
        else
        {
            _pool = new PacketPool((PacketBatch.MaxPackets * (paths + 2)) + retained, slotSize);
            _inPool = _pool;
        }

        _retained = recovery ? new RetransmitStore(Math.Max(paths, 1), RetainCapacity, RetainPerPath) : null;
        _pathBase = new int[connections.Length];
        _seenEstimates = new int[Math.Max(paths, 1)];
        _lastLossReport = new long[connections.Length];
        _retaining = new bool[connections.Length];
        _retainWhileSending = new bool[connections.Length];
        _reading = new RecentBytes[connections.Length];
        _touched = new int[connections.Length];
        _touchedRound = new long[connections.Length];
        _pathSequences = new uint[connections.Length][][];

        _in = new PacketBatch(_inPool, segmentationOffload ? OffloadReadBatch : PacketBatch.MaxPackets);
        _out = new PacketBatch[connections.Length][];
        _runs = new GsoRunList[connections.Length][];
        for (int i = 0; i < connections.Length; i++)
        {
            _out[i] = new PacketBatch[connections[i].Paths.Length];
            _runs[i] = new GsoRunList[connections[i].Paths.Length];
            _pathSequences[i] = new uint[connections[i].Paths.Length][];
            _pathBase[i] = i == 0 ? 0 : _pathBase[i - 1] + connections[i - 1].Paths.Length;
            _lastLossReport[i] = long.MinValue / 2;
            for (int p = 0; p < _out[i].Length; p++)
            {
                _out[i][p] = new PacketBatch(_pool);
                _runs[i][p] = new GsoRunList();
                _pathSequences[i][p] = new uint[_out[i][p].Capacity];
            }
        }

        _wake = new WakeEvent();
        _poll.Add(_wake.Fd);
        _poll.Add(tun.Fd);
        _writable.Add(-1, PollEvents.Writable);
    }

    /// <summary>equalize_delay = auto: where the send times of the flows whose acknowledgements the receive pump holds are
    /// recorded (set before the pumps run; null: none).</summary>
    public SendTimes? SendTimes { get; set; }

    /// <summary>Packets read from the TUN that belong to no connection (MPT-SPEC §2.7: dropped).</summary>
    public long DropNoConnection => Volatile.Read(ref _dropNoConnection);

    /// <summary>Packets whose version nibble is neither 4 nor 6 (B18).</summary>
    public long DropNotIp => Volatile.Read(ref _dropNotIp);

    /// <summary>Offloaded packets that could not be segmented or checksummed (unsupported GSO type, bad headers,
    /// a segment larger than an output slot) or found no free output slot.</summary>
    public long DropBadOffload => Volatile.Read(ref _dropBadOffload);

    /// <summary>Turns of the thread's loop (one wait and what it woke up for): it moves at least once a second while the
    /// thread is alive, so a service watchdog can tell a turning pump from a stuck one.</summary>
    public long LoopIterations => Volatile.Read(ref _loopIterations);

    /// <summary>GSO super-packets read from the TUN and segmented.</summary>
    public long SuperPackets => Volatile.Read(ref _superPackets);

    /// <summary>The transmit thread's own counters, as the status shows them (read from another thread: each value is
    /// one aligned read of a field only this thread writes).</summary>
    public CounterSnapshot PublishCounters() => new CounterSnapshot()
        .Add("tx_loop_iterations", ref _loopIterations)
        .Add("tx_super_packets", ref _superPackets)
        .Add("tx_dropped_no_connection", ref _dropNoConnection)
        .Add("tx_dropped_not_ip", ref _dropNotIp)
        .Add("tx_dropped_bad_offload", ref _dropBadOffload);

    /// <summary>Segmentation offload is on (see the constructor).</summary>
    public bool SegmentationOffload => _offload;

    /// <summary>Bytes allocated by the transmit thread since its loop started (published for the status report; the
    /// steady state must keep it at its start-up value — the zero-allocation proof in the running daemon).</summary>
    public long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

    private long _allocatedBytes;

    /// <summary>The thread body; returns after <see cref="Stop"/>.</summary>
    public void Run()
    {
        long start = GC.GetAllocatedBytesForCurrentThread();
        while (!_stopping)
        {
            RunOnce(1000);
            EndIteration(start);
        }
    }

    /// <summary>Counts a turn of the loop that drives this pump and publishes what the thread allocated since
    /// <paramref name="start"/> (its <c>GC.GetAllocatedBytesForCurrentThread</c> when the loop began).</summary>
    internal void EndIteration(long start)
    {
        _loopIterations++; // the watchdog's sign that the thread turns (at least once per second, idle or not)
        Volatile.Write(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread() - start);
    }

    /// <summary><see cref="Stop"/> was called.</summary>
    internal bool Stopping => _stopping;

    /// <summary>The event that wakes this pump (loss reports, stop): another pump's wait watches it on the single
    /// datapath thread.</summary>
    internal int WakeFd => _wake.Fd;

    /// <summary>One iteration: wait up to <paramref name="timeoutMs"/> for the TUN, then move everything pending.
    /// Returns the number of packets read. (Tests drive the pump with it on their own thread.)</summary>
    public int RunOnce(int timeoutMs)
    {
        int ready = _poll.Wait(timeoutMs);
        if (_stopping)
        {
            return 0;
        }

        // Only what poll found ready is read (after a timeout or a signal, both): a wake-up for loss reports reads no
        // TUN and one for the TUN no eventfd — each read would find nothing. Empty reads (these, the receive thread's
        // eventfd and the TUN drain's last read) were a fifth of a 30 Mbit/s client's system calls (issue 15).
        if (ready <= 0 || _poll.IsReadable(0))
        {
            _wake.Reset();
        }

        Retransmit();
        if (ready > 0 && !_poll.IsReadable(1))
        {
            return 0;
        }

        // A wake-up reads until the TUN is empty, and the read that finds it empty is a system call of its own. At a few
        // packets per wake-up — a client at tens of Mbit/s, a hundred of them on a server (issue 15) — it was a quarter of
        // the thread's calls (poll, read, the empty read, send). After a wake-up that found one packet the next reads one
        // and returns to poll, which returns at once if more came; every DrainEveryWakes-th drains again, and a drain that
        // finds more than one packet ends the single reads: a rate that grew costs at most that many extra polls.
        bool single = _singleWakes != 0;
        int total = 0;
        int n;
        int batches = 0;
        do
        {
            _in.EnsureSlots(_in.Capacity);
            n = _tun.ReadBatch(_in, single ? 1 : _in.Capacity);
            if (n > 0)
            {
                BeginRound();
                if (_offload)
                {
                    DispatchOffloaded(n);
                }
                else
                {
                    Dispatch(n);
                }

                FlushAll();
                total += n;
            }
        }
        while (!single && n == _in.Capacity && ++batches < MaxBatchesPerWake && !_stopping);
        _singleWakes = total > 1 ? 0 : total == 1 ? (_singleWakes + 1) % DrainEveryWakes : _singleWakes;
        return total;
    }

    public void Stop()
    {
        _stopping = true;
        _wake.Signal();
    }

    private void Dispatch(int count)
    {
        for (int i = 0; i < count; i++)
        {
            Span<byte> packet = _in.Data(i);
            int ci = _matcher.Match(packet);
            if (ci < 0)
            {
                _dropNoConnection++;
                continue;
            }

            Touch(ci);
            SendTimes?.OnSent(packet, _nowMicros);
            ConnectionRuntime c = _connections[ci];
            uint ok = c.OkMask;
            int offset = _in.OffsetOf(i);
            int length = _in.LengthOf(i);
            CountSending(ci, length);
            int path = PacketPath(c, PathScheduler.MappedPath(packet, c.PortMap, ok), ok, length + GreCodec.MaxEncodedHeaderLength);
            if (path < 0)
            {
                c.CountNoPath();
                continue;
            }

            // MPT-SPEC §2.3: one counter per connection, advanced for every data packet whether or not S is sent.
            uint sequence = c.NextSequence;
            c.NextSequence = sequence + 1;
            PacketBatch batch = _out[ci][path];
            if (Encapsulate(c, ci, path, _in.SlotSpan(i), offset, length, sequence, batch.Count, out int start) != GreEncodeStatus.Ok)
            {
                _dropNotIp++;
                continue;
            }

            int datagram = length + (offset - start);
            batch.Attach(batch.Count, _in.Detach(i), start, datagram);
            batch.Count++;
            PathCounters counters = c.Paths[path].Counters;
            counters.Tx.Packets++;
            counters.Tx.Bytes += datagram;
            if (batch.Count == batch.Capacity)
            {
                Flush(c, path, batch);
            }
        }
    }

    /// <summary>Sends what the round's touched connections have batched (only they can have packets waiting).</summary>
    private void FlushAll()
    {
        for (int t = 0; t < _touchedCount; t++)
        {
            int ci = _touched[t];
            PacketBatch[] batches = _out[ci];
            for (int p = 0; p < batches.Length; p++)
            {
                if (batches[p].Count > 0)
                {
                    if (_offload)
                    {
                        FlushTrains(_connections[ci], p, batches[p], _runs[ci][p]);
                    }
                    else
                    {
                        Flush(_connections[ci], p, batches[p]);
                    }
                }
            }
        }
    }

    private void Flush(ConnectionRuntime c, int path, PacketBatch batch)
    {
        IPathSocket socket = c.Paths[path].Socket!;
        int count = batch.Count;
        int done = 0;
        int stalls = 0;
        while (done < count && !_stopping)
        {
            int sent = socket.SendBatch(batch, done, count - done);
            done += sent;
            if (sent == 0)
            {
                // Socket buffer full: wait briefly for room (back-pressure into the tunnel's TCP), then give up.
                if (++stalls > MaxSendStalls)
                {
                    break;
                }

                _writable.Update(0, socket.Fd, PollEvents.Writable);
                _writable.Wait(WritableWaitMs);
            }
        }

        if (done < count)
        {
            c.Paths[path].Counters.Tx.SendErrors += count - done;
        }

        ReleaseSent(c.Index, path, batch, count);
        batch.Count = 0;
    }

    public void Dispose()
    {
        if (_offload)
        {
            long gso = 0;
            foreach (ConnectionRuntime c in _connections)
            {
                foreach (PathRuntime p in c.Paths)
                {
                    gso += p.Socket?.Counters.Send.GsoSends ?? 0;
                }
            }

            Logging.Log.Info($"transmit: {_superPackets} TCP super-packets segmented, {gso} UDP GSO sends, {_dropBadOffload} offload drops");
        }

        _in.Dispose();
        foreach (PacketBatch[] batches in _out)
        {
            foreach (PacketBatch b in batches)
            {
                b.Dispose();
            }
        }

        _wake.Dispose();
        _retained?.Dispose();
        _pool.Dispose();
        if (_inPool != _pool)
        {
            _inPool.Dispose();
        }
    }
}
