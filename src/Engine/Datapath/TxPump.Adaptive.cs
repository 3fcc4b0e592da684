using System.Buffers.Binary;
using MptFast.Engine.Buffers;
using MptFast.Engine.Config;
using MptFast.Engine.Measurement;
using MptFast.Engine.Runtime;
using MptFast.Engine.Scheduling;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Datapath;

/// <summary>
/// The transmit thread's part of multipath with an MptFast peer: the adaptive scheduler fed with the receive thread's
/// estimates, the GRE key numbering of each path, and loss recovery — packets sent on a path that lost something
/// recently are kept (<see cref="RetransmitStore"/>) and sent again, on the best path, when the peer reports them
/// missing. Nothing here runs for a connection whose peer is an original MPT (no probes, no reports).
/// </summary>
public sealed partial class TxPump
{
    /// <summary>Packets kept for retransmission, all connections together (slots added to the pool for them).</summary>
    internal const int RetainCapacity = 4096;

    /// <summary>Per-path index of the store (a power of two ≥ what one path can have in flight while kept).</summary>
    internal const int RetainPerPath = 4096;

    /// <summary>After a loss report, packets are kept for this long even if the estimates show no loss.</summary>
    internal const long RetainAfterLossMicros = 10_000_000;

    /// <summary>
    /// While the paths' learnt rates add up to less than this (bytes/s: 1 Gbit/s), sent packets are kept whether or not
    /// a loss was seen: the first losses of a transfer — TCP's slow start overshooting a slow path's buffer, hundreds of
    /// packets at once — come before any report, and unkept they were all the inner TCP's to recover (DSL + LTE: a
    /// quarter of the tunnel's losses). At these rates keeping 4096 packets costs nothing measurable; above it, on fast
    /// clean paths, slots go straight back to the pool until a loss is reported.
    /// </summary>
    internal const double RetainBelowBytesPerSecond = 125_000_000;

    /// <summary>... and while the connection carries at least this much (bytes/s, 1 Mbit/s, all paths): pings and
    /// keepalive-level traffic are not kept — each kept packet holds a pool slot whose memory stays resident once touched,
    /// and a server's hundred idle connections would have touched thousands (issue 15: 170 KiB per idle connection).
    /// Counted by this thread as it sends (<see cref="SendingBulk"/>), not from the peer's estimates: those say what was
    /// delivered a probe interval and a round trip ago, and a fresh tunnel's first transfer had sent hundreds of packets
    /// unkept before they did — 100 + 100 Mbit/s with 1 % loss on path 2: in three of four first transfers the inner
    /// TCP lost one of them and left slow start at a 60–140 KB window, and took the rest of a 20-s run to grow back.</summary>
    internal const double RetainAboveBytesPerSecond = 125_000;

    private readonly LossReportQueue _lossReports = new();
    private readonly LossReportQueue _giveUps = new();
    private readonly RetransmitStore? _retained;
    private readonly int[] _pathBase;
    private readonly int[] _seenEstimates;
    private readonly long[] _lastLossReport;
    private readonly uint[][][] _pathSequences;
    private readonly bool[] _retaining;
    private readonly bool[] _retainWhileSending;
    private readonly RecentBytes[] _reading;
    private readonly int[] _touched;
    private readonly long[] _touchedRound;
    private int _touchedCount;
    private long _round;
    private long _nowMicros;

    /// <summary>Loss reports the receive thread took from the peer's probes (it then calls <see cref="Wake"/>).</summary>
    public LossReportQueue LossReports => _lossReports;

    /// <summary>Give-up notices for the receive thread to send (connection sequence numbers whose loss the transmit
    /// thread left to the inner transport), one number per entry.</summary>
    public LossReportQueue GiveUps => _giveUps;

    /// <summary>Wakes the transmit thread (a loss report waits).</summary>
    public void Wake() => _wake.Signal();

    private static bool RecoveryPossible(ConnectionRuntime c) => c.Config.LossRecovery && c.SendSequence;

    /// <summary>Starts a round of the transmit thread (a TUN batch, or the loss reports' answers): its time, and no
    /// connection touched yet.</summary>
    private void BeginRound()
    {
        _nowMicros = MonotonicClock.NowMicros;
        _round++;
        _touchedCount = 0;
    }

    /// <summary>
    /// Connection <paramref name="ci"/> has a packet in this round: the first time, it joins the round's touched
    /// connections (the ones <see cref="FlushAll"/> visits) and its scheduler takes the estimates published since
    /// (issue 15: a round costs what its connections cost, not a pass over every connection of a server).
    /// </summary>
    private void Touch(int ci)
    {
        if (_touchedRound[ci] == _round)
        {
            return;
        }

        _touchedRound[ci] = _round;
        _touched[_touchedCount++] = ci;
        ObserveEstimates(ci);
    }

    /// <summary>Reads the estimates the receive thread published since the connection's last round into its adaptive
    /// scheduler, and decides whether its sent packets are kept for retransmission.</summary>
    private void ObserveEstimates(int ci)
    {
        ConnectionRuntime c = _connections[ci];
        PeerFeatures peer = c.Peer;
        if ((peer & PeerFeatures.MptFast) == 0)
        {
            _retaining[ci] = false;
            _retainWhileSending[ci] = false;
            return;
        }

        AdaptiveScheduler a = c.Adaptive;
        a.ReceiverReorders = (peer & PeerFeatures.Reorders) != 0;
        bool lossy = _nowMicros - _lastLossReport[ci] < RetainAfterLossMicros;
        double rates = 0;
        double delivered = 0;
        for (int p = 0; p < c.Paths.Length; p++)
        {
            PathMeasurement m = c.Paths[p].Measurement;
            int version = m.Estimate.Publications;
            if (version != _seenEstimates[_pathBase[ci] + p])
            {
                _seenEstimates[_pathBase[ci] + p] = version;
                PathEstimate e = m.Estimate.Read();
                a.Observe(p, e, _nowMicros);
                lossy |= e.LossPpm > 0;
            }

            rates += a.RateOf(p);
            delivered += a.DeliveredOf(p);
        }

        bool keepable = _retained is not null && c.SendsPathSequence;
        bool slow = rates < RetainBelowBytesPerSecond;
        _retaining[ci] = keepable && (lossy || (slow && delivered >= RetainAboveBytesPerSecond));
        _retainWhileSending[ci] = keepable && slow;
    }

    /// <summary>
    /// Counts <paramref name="bytes"/> read from the TUN for connection <paramref name="ci"/> now (before they are sent,
    /// so that a transfer's very first burst is kept too), for <see cref="SendingBulk"/>.
    /// </summary>
    private void CountSending(int ci, int bytes)
    {
        if (!_retainWhileSending[ci])
        {
            return;
        }

        _reading[ci].Add(_nowMicros, bytes);
    }

    /// <summary>Connection <paramref name="ci"/> read at least <see cref="RetainAboveBytesPerSecond"/> × 100 ms from the
    /// TUN in the last 100–200 ms (<see cref="CountSending"/>, <see cref="RecentBytes"/>): a
    /// transfer's first burst (an initial window of ten segments) is past it, a ping or a keepalive-level exchange
    /// never.</summary>
    private bool SendingBulk(int ci) =>
        _reading[ci].Total(_nowMicros) >= RetainAboveBytesPerSecond * RecentBytes.WindowMicros / 1e6;

    /// <summary>
    /// The path for one packet of <paramref name="bytes"/> (no offload): the port map's if it is OK (MPT-SPEC §6.4, B05),
    /// else the adaptive scheduler's earliest arrival while the paths are measured, else the weighted list (§6.2).
    /// </summary>
    private int PacketPath(ConnectionRuntime c, int mapped, uint ok, int bytes)
    {
        int path = mapped >= 0 ? mapped : AdaptivePath(c, ok, bytes);
        if (path < 0)
        {
            path = c.Scheduler.NextWeighted(ok);
        }

        if (path >= 0)
        {
            c.Adaptive.Charge(path, bytes, _nowMicros);
        }

        return path;
    }

    /// <summary>The adaptive scheduler's choice for a segment of <paramref name="segmentBytes"/>, or -1 when the
    /// connection is weighted or no usable path is measured.</summary>
    private int AdaptivePath(ConnectionRuntime c, uint ok, int segmentBytes, bool earliestArrival = false)
    {
        if (c.Config.Scheduler != SchedulerMode.Adaptive)
        {
            return -1;
        }

        uint usable = c.Adaptive.Usable(ok, _nowMicros);
        return usable == 0 ? -1 : c.Adaptive.Choose(usable, segmentBytes, _nowMicros, earliestArrival);
    }

    /// <summary>Segments of one burst on <paramref name="path"/>: the adaptive scheduler's time quantum once the path is
    /// measured, within the weighted quantum (<paramref name="weighted"/>: the reorder window's share, or a GSO train).</summary>
    private int BurstSegments(ConnectionRuntime c, int path, int segmentBytes, int weighted)
    {
        AdaptiveScheduler a = c.Adaptive;
        return (a.Usable(1u << path, _nowMicros) & (1u << path)) != 0 ? a.BurstSegments(path, segmentBytes, weighted) : weighted;
    }

    /// <summary>GRE-encapsulates the packet at <paramref name="offset"/> for <paramref name="path"/>, with the path's next
    /// per-path sequence number in the key when the peer asked for them; the number is noted for the batch entry.</summary>
    private GreEncodeStatus Encapsulate(ConnectionRuntime c, int ci, int path, Span<byte> buffer, int offset, int length, uint sequence,
        int entry, out int start)
    {
        if (!c.SendsPathSequence)
        {
            return GreCodec.Encapsulate(buffer, offset, length, c.SendSequence, sequence, out start);
        }

        ref MeasurementTxCounters tx = ref c.Paths[path].Measurement.Counters.Tx;
        uint pathSequence = tx.NextPathSequence;
        GreEncodeStatus status = GreCodec.Encapsulate(buffer, offset, length, c.SendSequence, sequence, withKey: true, pathSequence, out start);
        if (status == GreEncodeStatus.Ok)
        {
            tx.NextPathSequence = pathSequence + 1;
            _pathSequences[ci][path][entry] = pathSequence;
        }

        return status;
    }

    /// <summary>Gives the slots of a sent batch back — or, while the connection recovers losses, keeps them by path and
    /// per-path sequence number (the oldest kept ones go back instead).</summary>
    private void ReleaseSent(int ci, int path, PacketBatch batch, int count)
    {
        if (!_retaining[ci] && !(_retainWhileSending[ci] && SendingBulk(ci)))
        {
            for (int k = 0; k < count; k++)
            {
                _pool.Return(batch.Detach(k));
            }

            return;
        }

        Span<int> evicted = stackalloc int[2];
        uint[] sequences = _pathSequences[ci][path];
        int flat = _pathBase[ci] + path;
        for (int k = 0; k < count; k++)
        {
            int offset = batch.OffsetOf(k);
            int length = batch.LengthOf(k);
            int n = _retained!.Retain(flat, sequences[k], batch.Detach(k), offset, length, evicted);
            for (int e = 0; e < n; e++)
            {
                _pool.Return(evicted[e]);
            }
        }
    }

    /// <summary>
    /// Answers the loss reports the receive thread queued: each reported packet still kept is sent again — same
    /// connection sequence number, a new per-path number in its key — on the path where it now arrives first among
    /// those <see cref="AdaptiveScheduler.RepairPaths"/> allows: a tail drop on a congested path is repaired only on a
    /// path that is not congested, and left to the inner transport when every path is.
    /// </summary>
    private void Retransmit()
    {
        if (_lossReports.IsEmpty)
        {
            return;
        }

        BeginRound();
        while (_lossReports.TryDequeue(out int ci, out LossRange range))
        {
            if ((uint)ci >= (uint)_connections.Length || range.PathIndex >= _connections[ci].Paths.Length)
            {
                continue;
            }

            Touch(ci);

            ConnectionRuntime c = _connections[ci];
            _lastLossReport[ci] = _nowMicros;
            if (_retained is null || !c.SendsPathSequence)
            {
                continue;
            }

            uint ok = 0;
            bool congested = false;
            bool first = true;
            for (int j = 0; j < range.Count; j++)
            {
                if (!_retained.TryTake(_pathBase[ci] + range.PathIndex, range.First + (uint)j, out int slot, out int offset, out int length))
                {
                    c.Paths[range.PathIndex].Measurement.Counters.Tx.RetransmitMissed++;
                    continue;
                }

                if (first)
                {
                    // A range is reported twice (the report may be lost); only the first report finds its packets kept,
                    // so only it is a loss episode for the scheduler.
                    first = false;
                    c.Adaptive.OnLossReported(range.PathIndex, _nowMicros);
                    ok = c.Adaptive.RepairPaths(range.PathIndex, c.OkMask, _nowMicros);
                    congested = ok == 0 && c.Adaptive.IsCongested(range.PathIndex);
                }

                if (congested)
                {
                    // A tail drop of a full queue while every other path is full too: the inner TCP must see it and
                    // slow down (RFC 8084's concern with tunnels that hide congestion) — at once: the peer's reorder
                    // buffer is told not to wait for the number (a hold of up to max_buffdelay would stall the inner
                    // TCP's ACK clock before it even learnt of the loss).
                    if ((c.Peer & PeerFeatures.GiveUps) != 0)
                    {
                        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(_pool.Slot(slot).Slice(offset + GreCodec.SequenceOffsetAfterKey, 4));
                        _giveUps.TryEnqueue(ci, new LossRange(0, 1, sequence, LossRangeKind.GiveUp));
                    }

                    _pool.Return(slot);
                    c.Paths[range.PathIndex].Measurement.Counters.Tx.RetransmitSkippedCongested++;
                    continue;
                }

                int target = AdaptivePath(c, ok, length, earliestArrival: true);
                if (target < 0)
                {
                    target = c.Scheduler.NextWeighted(ok);
                }

                if (target < 0)
                {
                    _pool.Return(slot);
                    continue;
                }

                Resend(c, ci, target, slot, offset, length);
            }
        }

        FlushAll();
    }

    private void Resend(ConnectionRuntime c, int ci, int path, int slot, int offset, int length)
    {
        PacketBatch batch = _out[ci][path];
        if (batch.Count == batch.Capacity)
        {
            FlushBatch(ci, path);
        }

        ref MeasurementTxCounters tx = ref c.Paths[path].Measurement.Counters.Tx;
        uint pathSequence = tx.NextPathSequence++;
        BinaryPrimitives.WriteUInt32BigEndian(_pool.Slot(slot).Slice(offset + GreCodec.KeyOffset, 4), pathSequence);
        int entry = batch.Count;
        batch.Attach(entry, slot, offset, length);
        batch.Count = entry + 1;
        _pathSequences[ci][path][entry] = pathSequence;
        if (_offload)
        {
            _runs[ci][path].Add(entry, length, c.Paths[path].Socket!.Capabilities.GsoSegments);
        }

        tx.Retransmitted++;
        PathCounters counters = c.Paths[path].Counters;
        counters.Tx.Packets++;
        counters.Tx.Bytes += length;
        c.Adaptive.Charge(path, length, _nowMicros);
    }

    private void FlushBatch(int ci, int path)
    {
        if (_offload)
        {
            FlushTrains(_connections[ci], path, _out[ci][path], _runs[ci][path]);
        }
        else
        {
            Flush(_connections[ci], path, _out[ci][path]);
        }
    }
}
