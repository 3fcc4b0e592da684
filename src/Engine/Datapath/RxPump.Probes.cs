using System.Diagnostics;
using MptFast.Engine.Measurement;
using MptFast.Engine.Reorder;
using MptFast.Engine.Runtime;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Datapath;

/// <summary>
/// The receive thread's part of the measurement between MptFast peers (<see cref="ProbeCodec"/>): it takes the peer's
/// probes (estimate, echo, peer features, loss reports for the transmit thread), narrows the reorder hold to the
/// measured delays, finds gaps in the peer's per-path sequence numbers, and sends the fast probes and the loss reports
/// itself — it is the thread that has the state they carry and wakes when it changes. Allocation-free.
/// </summary>
public sealed partial class RxPump
{
    private readonly byte[] _probe = new byte[ProbeCodec.MaxPacketLength];
    private readonly LossRange[] _losses = new LossRange[ProbeCodec.MaxLossRanges];
    private bool _wakeTransmit;

    // Give-up notices taken from probes during a connection's receive round, applied to its reorder buffer once the
    // round's arrivals are in it (ApplyGiveUps): a number given up while its packet waits in the merger would be passed.
    private readonly (int Connection, uint First, ushort Count)[] _giveUpsTaken = new (int, uint, ushort)[4 * ProbeCodec.MaxLossRanges];
    private int _giveUpsTakenCount;

    // Issue 15: the probe and loss-report timers are scanned when something is due or at most every ProbeScanGapTicks
    // while rounds run, not at every receive round (a hundred connections' paths per round under load). A new gap moves
    // both times forward (TrackPathSequence); a connection that starts carrying data is seen at the next scan.
    private long _nextProbeScanTicks;
    private long _nextProbeDueTicks;
    private static readonly long ProbeScanGapTicks = Stopwatch.Frequency / 100;

    /// <summary>
    /// A fast probe goes out only after this many data packets on its path (either direction) since the last one, or
    /// after <see cref="MaxProbeGapIntervals"/> probe intervals: a path carrying a few packets per interval was sent more
    /// probes than data — in the star run (100 clients at ~1 Mbit/s each) 95 probes a second per client against 45
    /// data packets, and the server received as many probes as data packets (issue 15). From 4 packets per 20 ms
    /// (2.4 Mbit/s of full-size packets) nothing changes; a path that is down (0x80, carrying nothing) is probed every
    /// interval, so that the first probe after it heals brings it back as before.
    /// </summary>
    internal const int MinPacketsPerProbe = 4;

    /// <summary>Longest gap between two fast probes of a path carrying data, in probe intervals: within the adaptive
    /// scheduler's staleness bound (<see cref="Scheduling.AdaptiveScheduler.DefaultStaleAfterMicros"/> plus the RTT).</summary>
    internal const int MaxProbeGapIntervals = 3;

    /// <summary>Reports a loss no sooner than this after the gap appeared, whatever the path's jitter.</summary>
    internal const long MinLossToleranceMicros = 300;

    /// <summary>Fast probes go on this long after a connection's last data packet (either direction): long enough to
    /// keep the estimates fresh across the pauses of a TCP flow, short enough that idle connections cost keepalives only.</summary>
    private static readonly long ActiveProbingTicks = Stopwatch.Frequency;

    private void TakeProbe(ConnectionRuntime c, PathRuntime p, in ProbeTrailer probe, ReadOnlySpan<byte> trailer, long now)
    {
        PathMeasurement m = p.Measurement;
        m.Counters.Rx.ProbesReceived++;
        long nowMicros = MonotonicClock.ToMicros(now);
        m.Estimator.OnProbe(nowMicros, probe);
        m.Estimate.Write(m.Estimator.Estimate);
        m.Echo.Write(new ProbeEcho(probe.TxMicros, probe.TxPackets, (ulong)nowMicros, (ulong)p.Counters.Rx.Packets, (ulong)p.Counters.Rx.Bytes));
        m.PeerPathIndex = probe.PathIndex;
        PeerFeatures features = PeerFeatures.MptFast
            | ((probe.Flags & ProbeFlags.PathSequence) != 0 ? PeerFeatures.PathSequence : PeerFeatures.None)
            | ((probe.Flags & ProbeFlags.Reorders) != 0 ? PeerFeatures.Reorders : PeerFeatures.None)
            | ((probe.Flags & ProbeFlags.GiveUps) != 0 ? PeerFeatures.GiveUps : PeerFeatures.None);
        if (c.Peer != features)
        {
            c.Peer = features;
        }

        for (int i = 0; i < probe.LossRanges; i++)
        {
            LossRange range = ProbeCodec.ReadLossRange(trailer, i);
            if (range.Kind == LossRangeKind.GiveUp)
            {
                m.Counters.Rx.GiveUpsReceived += range.Count;
                if (c.Reorder is not null && _giveUpsTakenCount < _giveUpsTaken.Length)
                {
                    _giveUpsTaken[_giveUpsTakenCount++] = (c.Index, range.First, range.Count);
                }

                continue;
            }

            if (range.PathIndex < c.Paths.Length)
            {
                c.Paths[range.PathIndex].Measurement.Counters.Rx.LossRangesReceived++;
                _wakeTransmit |= _transmit?.LossReports.TryEnqueue(c.Index, range) == true;
            }
        }

        UpdateHold(c, p);
        UpdateEqualization(c, p, nowMicros);
    }

    /// <summary>
    /// equalize_delay: each usable path's hold is the mean of the usable paths' base delays (peer to here) minus its own
    /// base delay and current queue, at most max_buffdelay (<see cref="DelayLine.HoldMicros"/>); with acks, the fastest
    /// path's delay plus what a delay-based sender's window needs, less its own. A path without an estimate yet, or not
    /// usable, is not held. auto: no path hold, but the connection's <see cref="ConnectionRuntime.AckFloorMicros"/>.
    /// </summary>
    private void UpdateEqualization(ConnectionRuntime c, PathRuntime updated, long nowMicros)
    {
        bool acks = c.Config.EqualizeAcks;
        bool auto = c.Config.HoldsDelayBasedAcks && _ackFlows is not null;
        if (_lines[c.Index] is null && !acks && !auto)
        {
            return;
        }

        // One reading of each path (at most 20 per connection) for the mean and the holds alike.
        Span<PathEstimate> estimates = stackalloc PathEstimate[c.Paths.Length];
        long sum = 0;
        long slowest = long.MinValue;
        long fastest = long.MaxValue;
        long minRtt = long.MaxValue;
        long forwardSlowest = long.MinValue, forwardFastest = long.MaxValue;
        double rates = 0, rateRtt = 0;
        int usable = 0;
        for (int i = 0; i < estimates.Length; i++)
        {
            PathRuntime p = c.Paths[i];
            estimates[i] = p.Status == Config.PathStatus.Ok ? CurrentEstimate(p, updated) : default; // default: not valid
            if (estimates[i].IsValid)
            {
                PathEstimate e = estimates[i];
                sum += e.ReverseBaseMicros;
                slowest = Math.Max(slowest, e.ReverseBaseMicros);
                fastest = Math.Min(fastest, e.ReverseBaseMicros);
                minRtt = Math.Min(minRtt, e.MinRttMicros);
                forwardSlowest = Math.Max(forwardSlowest, e.ForwardBaseMicros);
                forwardFastest = Math.Min(forwardFastest, e.ForwardBaseMicros);
                // The learnt forward rate (transmit thread's; an aligned double, read whole — a stale one only moves
                // the hold a little), the highest of the last 10 s (PathRuntime.RatePeak). It keeps what a path carried
                // when idle, so a short transfer after a bulk one finds the hold the bulk one needed, not the whole
                // spread.
                double rate = p.RatePeak.Update(nowMicros, (long)c.Adaptive.RateOf(i));
                rates += rate;
                rateRtt += rate * e.MinRttMicros;
                usable++;
            }
        }

        // Acknowledgements wait beyond the fastest path for what a delay-based sender's window needs to fill every
        // path (DelayLine.AckExtraMicros: the whole spread where the fast path is short, less where it carries most
        // and its own round trip nearly suffices); the data's own round trip stays as it is.
        long target = acks
            ? (usable > 1 && minRtt > 0 && rates > 0 ? fastest + DelayLine.AckExtraMicros(rateRtt / rates, minRtt, slowest - fastest) : slowest)
            : usable > 0 ? sum / usable : 0;
        long max = c.Config.MaxBuffDelayMs * 1000L;
        // equalize_delay = auto: how much longer than its shortest a BBR sender's round trip should measure — what its
        // window needs (DelayLine.AckExtraMicros), at most the forward delay spread (the wait of the fast path's segments
        // at the peer's reorder buffer); nothing when the delays are about equal (PathEstimate.EqualDelayMicros).
        long forwardSpread = usable > 1 ? forwardSlowest - forwardFastest : 0;
        c.AckFloorMicros = auto && forwardSpread > PathEstimate.EqualDelayMicros && minRtt > 0 && rates > 0
            ? Math.Min(DelayLine.AckExtraMicros(rateRtt / rates, minRtt, forwardSpread), max)
            : 0;
        for (int i = 0; i < estimates.Length; i++)
        {
            PathEstimate e = estimates[i];
            c.Paths[i].EqualizeTicks = !auto && e.IsValid && usable > 1
                ? MonotonicClock.FromMicros(DelayLine.HoldMicros(target, e.ReverseBaseMicros, e.ReverseQueueMicros, max))
                : 0;
        }
    }

    /// <summary>The path's estimate as of now: the one just updated is read from its estimator (receive thread), the
    /// others from what they published.</summary>
    private static PathEstimate CurrentEstimate(PathRuntime p, PathRuntime updated) =>
        p == updated ? p.Measurement.Estimator.Estimate : p.Measurement.Estimate.Read();

    /// <summary>The reorder hold from the measured paths (<see cref="HoldBounds"/>: their delay spread, a repair's round
    /// trip while losses are recovered, capped at the base delay spread plus a queue allowance).</summary>
    private static void UpdateHold(ConnectionRuntime c, PathRuntime updated)
    {
        if (c.Reorder?.Adaptive is not { } hold)
        {
            return;
        }

        var bounds = new HoldBounds();
        long tolerance = 0;
        bool losses = false;
        foreach (PathRuntime p in c.Paths)
        {
            if (p.Status != Config.PathStatus.Ok)
            {
                continue;
            }

            bounds.Add(CurrentEstimate(p, updated));
            losses |= p.Measurement.Losses.Missing > 0;
            tolerance = Math.Max(tolerance, p.Measurement.Losses.ToleranceMicros);
        }

        if (!bounds.HasPaths)
        {
            return;
        }

        (long floor, long max) = bounds.Compute(tolerance, losses && c.WantsPathSequence);
        hold.SetBounds(MonotonicClock.FromMicros(floor), MonotonicClock.FromMicros(max), measured: true);
    }

    /// <summary>Applies the give-up notices taken since the last call (after a connection's receive round).</summary>
    private void ApplyGiveUps()
    {
        if (_giveUpsTakenCount == 0)
        {
            return;
        }

        var sink = new TunSink(this);
        for (int i = 0; i < _giveUpsTakenCount; i++)
        {
            (int connection, uint first, ushort count) = _giveUpsTaken[i];
            _connections[connection].Reorder?.GiveUp(first, count, ref sink);
        }

        _giveUpsTakenCount = 0;
    }

    /// <summary>
    /// Sends the transmit thread's give-up notices: consecutive numbers of a connection become one range, up to a
    /// probe's worth of ranges per probe, on the connection's path with the shortest round trip (the notice races the
    /// packets behind the gap, which are already on their way).
    /// </summary>
    private void SendGiveUps(long nowMicros)
    {
        LossReportQueue? queue = _transmit?.GiveUps;
        if (queue is null || queue.IsEmpty)
        {
            return;
        }

        int pending = -1;
        int ranges = 0;
        while (queue.TryDequeue(out int ci, out LossRange range))
        {
            if ((uint)ci >= (uint)_connections.Length)
            {
                continue;
            }

            if (ranges > 0 && ci == pending && TryExtend(ref _losses[ranges - 1], range))
            {
                continue;
            }

            if (ranges > 0 && (ci != pending || ranges == _losses.Length))
            {
                SendGiveUps(_connections[pending], ranges, nowMicros);
                ranges = 0;
            }

            pending = ci;
            _losses[ranges++] = range;
        }

        if (ranges > 0)
        {
            SendGiveUps(_connections[pending], ranges, nowMicros);
        }

        static bool TryExtend(ref LossRange last, in LossRange next)
        {
            if (next.First != last.First + last.Count || last.Count + next.Count > ushort.MaxValue)
            {
                return false;
            }

            last = last with { Count = (ushort)(last.Count + next.Count) };
            return true;
        }
    }

    private void SendGiveUps(ConnectionRuntime c, int ranges, long nowMicros)
    {
        if (FastestPath(c) is { } via)
        {
            Send(c, via, nowMicros, _losses.AsSpan(0, ranges));
            for (int i = 0; i < ranges; i++)
            {
                via.Measurement.Counters.Rx.GiveUpsSent += _losses[i].Count;
            }
        }
    }

    /// <summary>The OK path with the shortest smoothed round trip (null when none is measured).</summary>
    private static PathRuntime? FastestPath(ConnectionRuntime c)
    {
        PathRuntime? best = null;
        long bestRtt = long.MaxValue;
        foreach (PathRuntime p in c.Paths)
        {
            long rtt = p.Measurement.Estimate.Read().SmoothedRttMicros;
            if (p.Status == Config.PathStatus.Ok && rtt > 0 && rtt < bestRtt)
            {
                (best, bestRtt) = (p, rtt);
            }
        }

        return best;
    }

    /// <summary>Per-path sequence number <paramref name="sequence"/> (GRE key) of a data packet on <paramref name="p"/>.</summary>
    private void TrackPathSequence(PathRuntime p, uint sequence)
    {
        PathLossDetector losses = p.Measurement.Losses;
        long missing = losses.Missing;
        long reordered = losses.Reordered;
        losses.OnReceive(sequence, MonotonicClock.ToMicros(_wakeTicks));
        if (losses.HasPending)
        {
            long due = MonotonicClock.FromMicros(losses.NextDueMicros);
            _nextProbeScanTicks = Math.Min(_nextProbeScanTicks, due);
            _nextProbeDueTicks = Math.Min(_nextProbeDueTicks, due);
        }

        p.Measurement.Counters.Rx.PathSequenceMissing += losses.Missing - missing;
        p.Measurement.Counters.Rx.PathSequenceReordered += losses.Reordered - reordered;
    }

    /// <summary>
    /// After a round: fast probes that are due (paths in 0x00/0x80 with keepalives, peer MptFast) and the loss reports
    /// that are due (on the path with the shortest round trip). Wakes the transmit thread for reports taken from probes.
    /// </summary>
    private void SendProbes(long now)
    {
        SendGiveUps(MonotonicClock.ToMicros(now));
        if (now < _nextProbeScanTicks)
        {
            WakeTransmitForReports();
            return;
        }

        long nowMicros = MonotonicClock.ToMicros(now);
        long next = long.MaxValue; // when the thread must wake for a probe or a loss report
        long eligible = long.MaxValue; // from when a wake for anything else should look: the earliest probe or report time
        foreach (ConnectionRuntime c in _connections)
        {
            if ((c.Peer & PeerFeatures.MptFast) == 0)
            {
                continue;
            }

            long interval = c.Config.ProbeIntervalMs * (Stopwatch.Frequency / 1000);
            if (!c.CarriedDataLately(now, ActiveProbingTicks))
            {
                interval = 0; // idle: the keepalives measure it; loss reports still go out
            }

            int reports = 0;
            foreach (PathRuntime p in c.Paths)
            {
                PathMeasurement m = p.Measurement;
                bool alive = p.Status is Config.PathStatus.Ok or Config.PathStatus.Down;
                if (interval > 0 && alive && p.Config.KeepaliveMs > 0)
                {
                    // A probe is due by the path's traffic when it is down or carried MinPacketsPerProbe since the
                    // last one, otherwise at the longest gap.
                    long packets = Volatile.Read(ref p.Counters.Tx.Packets) + p.Counters.Rx.Packets;
                    bool due = p.Status == Config.PathStatus.Down || packets - m.PacketsAtProbe >= MinPacketsPerProbe;
                    if (now >= m.NextProbeTicks)
                    {
                        if (due || now - m.LastProbeTicks >= MaxProbeGapIntervals * interval)
                        {
                            Send(c, p, nowMicros, []);
                            m.LastProbeTicks = now;
                            m.PacketsAtProbe = packets;
                            due = p.Status == Config.PathStatus.Down; // the packets are counted from here again
                        }

                        m.NextProbeTicks = now + interval;
                    }

                    // Issue 15: the timer wakes the thread for a path only when its probe will go out then (due, or at
                    // the longest gap). A path with fewer packets is looked at again when the thread wakes for traffic
                    // anyway (a busy path's ACKs or data wake it every few packets): before, a client at ~1 Mbit/s woke
                    // 50 times a second per path to find that no probe was due.
                    eligible = Math.Min(eligible, m.NextProbeTicks);
                    next = Math.Min(next, due ? m.NextProbeTicks : Math.Max(m.NextProbeTicks, m.LastProbeTicks + (MaxProbeGapIntervals * interval)));
                }

                if (m.PeerPathIndex >= 0 && m.Losses.HasPending && m.Losses.NextDueMicros <= nowMicros && reports < _losses.Length)
                {
                    // A gap waits for what reordering inside the path has been seen to take (a FIFO path: nothing).
                    PathEstimate e = m.Estimate.Read();
                    m.Losses.ToleranceMicros = Math.Max(MinLossToleranceMicros, m.Losses.MaxReorderMicros * 5 / 4);
                    m.Losses.RepeatAfterMicros = Math.Max(5_000, Math.Max(e.SmoothedRttMicros, e.LatestRttMicros) * 2);
                    reports += m.Losses.TakeReports(nowMicros, (byte)m.PeerPathIndex, _losses.AsSpan(reports));
                }

                if (m.Losses.HasPending)
                {
                    long reportDue = MonotonicClock.FromMicros(m.Losses.NextDueMicros);
                    next = Math.Min(next, reportDue);
                    eligible = Math.Min(eligible, reportDue);
                }
            }

            if (reports > 0 && (FastestPath(c) ?? c.Paths[0]) is { } via)
            {
                Send(c, via, nowMicros, _losses.AsSpan(0, reports));
                via.Measurement.Counters.Rx.LossReportsSent++;
            }
        }

        _nextProbeDueTicks = next;
        _nextProbeScanTicks = Math.Min(eligible, now + ProbeScanGapTicks); // eligible ≤ next: each wake time comes at or after one of its
        WakeTransmitForReports();
    }

    private void WakeTransmitForReports()
    {
        if (_wakeTransmit)
        {
            _wakeTransmit = false;
            _transmit?.Wake();
        }
    }

    private void Send(ConnectionRuntime c, PathRuntime p, long nowMicros, ReadOnlySpan<LossRange> losses)
    {
        int n = ProbeWriter.Write(c, p, nowMicros, losses, _probe);
        if (n > 0 && p.Socket!.Send(_probe.AsSpan(0, n)) == PathSendResult.Sent)
        {
            p.Measurement.Counters.Rx.ProbesSent++;
        }
    }

    /// <summary>When the next probe or loss report is due (Stopwatch ticks; long.MaxValue when none), as the last scan
    /// found it and new gaps moved it.</summary>
    private long NextProbeDue() => _nextProbeDueTicks;
}
