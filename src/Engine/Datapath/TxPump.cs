using MptFast.Engine.Buffers;
using MptFast.Engine.Classify;
using MptFast.Engine.Interop;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Datapath;

/// <summary>
/// The transmit thread: TUN → connection lookup → path choice → GRE header written into the headroom → one
/// sendmmsg per path and batch (MPT-SPEC §2.5 with the fixes of §10.1: no lock, no sleep, no per-packet ioctl, no
/// blocking handshake). Owns its pool, batches, the connections' schedulers and sequence counters. Allocates nothing
/// per packet.
/// </summary>
public sealed class TxPump : IDisposable
{
    private const int WritableWaitMs = 20;
    private const int MaxSendStalls = 10;

    /// <summary>Batches moved per wake-up before polling again (bounds the loop; poll returns at once while data waits).</summary>
    internal const int MaxBatchesPerWake = 16;

    private readonly ITunDevice _tun;
    private readonly ConnectionRuntime[] _connections;
    private readonly ConnectionMatcher _matcher;
    private readonly PacketPool _pool;
    private readonly PacketBatch _in;
    private readonly PacketBatch[][] _out;
    private readonly WakeEvent _wake;
    private readonly PollSet _poll = new(2);
    private readonly PollSet _writable = new(1);
    private volatile bool _stopping;

    private long _dropNoConnection;
    private long _dropNotIp;

    public TxPump(ITunDevice tun, ConnectionRuntime[] connections, ConnectionMatcher matcher, int slotSize)
    {
        _tun = tun;
        _connections = connections;
        _matcher = matcher;
        int paths = 0;
        foreach (ConnectionRuntime c in connections)
        {
            paths += c.Paths.Length;
        }

        _pool = new PacketPool(PacketBatch.MaxPackets * (paths + 2), slotSize);
        _in = new PacketBatch(_pool);
        _out = new PacketBatch[connections.Length][];
        for (int i = 0; i < connections.Length; i++)
        {
            _out[i] = new PacketBatch[connections[i].Paths.Length];
            for (int p = 0; p < _out[i].Length; p++)
            {
                _out[i][p] = new PacketBatch(_pool);
            }
        }

        _wake = new WakeEvent();
        _poll.Add(_wake.Fd);
        _poll.Add(tun.Fd);
        _writable.Add(-1, PollEvents.Writable);
    }

    /// <summary>Packets read from the TUN that belong to no connection (MPT-SPEC §2.7: dropped).</summary>
    public long DropNoConnection => Volatile.Read(ref _dropNoConnection);

    /// <summary>Packets whose version nibble is neither 4 nor 6 (B18).</summary>
    public long DropNotIp => Volatile.Read(ref _dropNotIp);

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
            Volatile.Write(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread() - start);
        }
    }

    /// <summary>One iteration: wait up to <paramref name="timeoutMs"/> for the TUN, then move everything pending.
    /// Returns the number of packets read. (Tests drive the pump with it on their own thread.)</summary>
    public int RunOnce(int timeoutMs)
    {
        _poll.Wait(timeoutMs);
        if (_stopping)
        {
            return 0;
        }

        _wake.Reset();
        int total = 0;
        int n;
        int batches = 0;
        do
        {
            _in.EnsureSlots(_in.Capacity);
            n = _tun.ReadBatch(_in);
            if (n > 0)
            {
                Dispatch(n);
                FlushAll();
                total += n;
            }
        }
        while (n == _in.Capacity && ++batches < MaxBatchesPerWake && !_stopping);
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

            ConnectionRuntime c = _connections[ci];
            uint ok = c.OkMask;
            int path = c.PortMap.IsEmpty
                ? c.Scheduler.NextWeighted(ok)
                : c.Scheduler.Select(PacketClassifier.Classify(packet), c.PortMap, ok);
            if (path < 0)
            {
                c.CountNoPath();
                continue;
            }

            // MPT-SPEC §2.3: one counter per connection, advanced for every data packet whether or not S is sent.
            uint sequence = c.NextSequence;
            c.NextSequence = sequence + 1;
            int offset = _in.OffsetOf(i);
            int length = _in.LengthOf(i);
            if (GreCodec.Encapsulate(_in.SlotSpan(i), offset, length, c.SendSequence, sequence, out int start) != GreEncodeStatus.Ok)
            {
                _dropNotIp++;
                continue;
            }

            PacketBatch batch = _out[ci][path];
            int datagram = length + (offset - start);
            batch.Attach(batch.Count, _in.Detach(i), start, datagram);
            batch.Count++;
            PathCounters counters = c.Paths[path].Counters;
            counters.TxPackets++;
            counters.TxBytes += datagram;
            if (batch.Count == batch.Capacity)
            {
                Flush(c, path, batch);
            }
        }
    }

    private void FlushAll()
    {
        for (int ci = 0; ci < _out.Length; ci++)
        {
            PacketBatch[] batches = _out[ci];
            for (int p = 0; p < batches.Length; p++)
            {
                if (batches[p].Count > 0)
                {
                    Flush(_connections[ci], p, batches[p]);
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
            c.Paths[path].Counters.TxSendErrors += count - done;
        }

        for (int k = 0; k < count; k++)
        {
            _pool.Return(batch.Detach(k));
        }

        batch.Count = 0;
    }

    public void Dispose()
    {
        _in.Dispose();
        foreach (PacketBatch[] batches in _out)
        {
            foreach (PacketBatch b in batches)
            {
                b.Dispose();
            }
        }

        _wake.Dispose();
        _pool.Dispose();
    }
}
