using MptFast.Engine.Measurement;

namespace MptFast.Engine.Scheduling;

/// <summary>
/// Earliest-arrival path choice for one connection (PERFORMANCE-NOTES "Unequal links": BLEST/ECF style), used while
/// the peer is MptFast and its probes measure the paths (<see cref="PathEstimate"/>). Each burst goes to the usable
/// path on which its first segment is expected to arrive first:
/// <code>
///   arrival(i) = wait(i) + base(i) + segment / rate(i) + loss(i) · lossCost(i)
///   wait(i)    = backlog(i) / rate(i)
/// </code>
/// where backlog(i) is a virtual queue (bytes sent on the path, drained at rate(i)) and base(i) the path's base
/// one-way delay (the common clock offset cancels out in the comparison). The measured forward queueing delay is not a
/// wait (see <see cref="ExpectedWait"/>): it says whether the path is saturated, which sets rate(i), and it bounds the
/// virtual queue. rate(i) is learnt, no weights needed: it grows by <see cref="ProbeGain"/> per measurement while the
/// path is kept busy without its queue growing, and falls to the rate the peer received when the path's queueing delay
/// says it is saturated — so it follows capacity changes within a few probe intervals. A path whose probes stopped
/// coming back (<see cref="StaleAfterMicros"/>) is left alone until they return: a silent failure costs well under a
/// second instead of the dead timer. Transmit thread only; no allocation.
/// </summary>
public sealed class AdaptiveScheduler
{
    /// <summary>Rate a path starts from before any measurement (bytes/s; 10 Mbit/s).</summary>
    public const double InitialRate = 1_250_000;

    /// <summary>Lowest learnt rate (bytes/s; 200 kbit/s).</summary>
    public const double MinRate = 25_000;

    /// <summary>Highest learnt rate (bytes/s; 100 Gbit/s).</summary>
    public const double MaxRate = 12_500_000_000;

    /// <summary>Growth per measurement of a busy path without a queue.</summary>
    public const double ProbeGain = 1.25;

    /// <summary>A path's rate may grow to this multiple of the most it delivered in the last second.</summary>
    public const double ProbeHeadroom = 1.25;

    /// <summary>Offered ÷ received from which a queued path counts as saturated: fed about as much as it delivered
    /// (not necessarily more), its delivered rate is its capacity. 1.1 left the rate up to a quarter above capacity —
    /// where the growth step had put it — and the fast path's virtual queue drained faster than the real one.</summary>
    public const double SaturatedOffer = 0.9;

    /// <summary>Shortest interval a rate adjustment looks at (offered bytes are counted over it).</summary>
    public const long MinAdjustMicros = 20_000;

    /// <summary>Share of its rate a path must have been offered to count as busy (and to grow).</summary>
    public const double BusyShare = 0.6;

    /// <summary>Forward queueing delay above which a path counts as saturated, beyond twice its jitter.</summary>
    public const long QueueThresholdMicros = 2_000;

    /// <summary>Time a burst may occupy a path: bursts are sized in time so a slow path gets short ones.</summary>
    public const long BurstMicros = 250;

    /// <summary>Most segments in one burst (one UDP GSO train).</summary>
    public const int MaxBurstSegments = 64;

    /// <summary>Marks of the bytes charged so far kept per path (<see cref="Charge"/>, <see cref="ChargedSince"/>).</summary>
    public const int ChargeMarks = 128;

    private readonly PathState[] _paths;
    private readonly ChargeMark[] _marks;
    private readonly uint _weighted;

    /// <summary>A scheduler for paths whose <c>weight_out</c> is <paramref name="weights"/>: weight 0 keeps a path
    /// out of the data schedule, as in the weighted list (MPT-SPEC §6.1).</summary>
    public AdaptiveScheduler(ReadOnlySpan<int> weights)
    {
        _paths = new PathState[weights.Length];
        _marks = new ChargeMark[weights.Length * ChargeMarks];
        for (int i = 0; i < weights.Length; i++)
        {
            _paths[i].Rate = InitialRate;
            _paths[i].MarkMicros = MinMarkMicros;
            if (weights[i] > 0)
            {
                _weighted |= 1u << i;
            }
        }
    }

    /// <summary>Shortest <see cref="StaleAfterMicros"/>.</summary>
    public const long DefaultStaleAfterMicros = 100_000;

    /// <summary>Echoes older than this (plus the path's RTT) make a path stale: its probes stopped coming back.</summary>
    public long StaleAfterMicros { get; set; } = DefaultStaleAfterMicros;

    /// <summary>Extra delay a lost packet costs on average (retransmission by the tunnel, or the inner TCP's
    /// recovery when the tunnel does not retransmit), in µs.</summary>
    public long LossCostMicros { get; set; } = 20_000;

    public int PathCount => _paths.Length;

    /// <summary>The peer puts received packets back in sequence order (it said so in its probes): paths need not
    /// queue to keep arrivals in order, see <see cref="Choose"/>.</summary>
    public bool ReceiverReorders { get; set; }

    /// <summary>Queueing delay up to which a path counts as open for more with a reordering receiver.</summary>
    public const long QueueTargetMicros = 2_000;

    /// <summary>Forward queueing delay (beyond twice the jitter) from which a path counts as congested: a loss there
    /// is the bottleneck's tail drop, the inner transport's signal to slow down — not one for the tunnel to repair.</summary>
    public const long CongestedQueueMicros = 10_000;

    /// <summary>How long the longest queue a path showed is remembered (<see cref="IsCongested"/>).</summary>
    public const long QueueMemoryMicros = 10_000_000;

    /// <summary>Loss episodes at a short queue (<see cref="OnLossReported"/>) within <see cref="QueueMemoryMicros"/> that
    /// make a path's losses random rather than tail drops.</summary>
    public const int RandomLossEpisodes = 3;

    /// <summary>
    /// The last measurement found <paramref name="path"/>'s queue long (see <see cref="CongestedQueueMicros"/>): a loss
    /// there is the bottleneck's tail drop. On a path that has lost packets at short queues lately
    /// (<see cref="IsRandomLossy"/>: a lossy radio link, 1 % on one path) only a queue near the longest it showed in the
    /// last <see cref="QueueMemoryMicros"/> (four fifths of it or more) counts: its other losses are random and the
    /// tunnel repairs them even while every queue is long. (A long queue alone called every loss of a lossy path
    /// congestion once the inner TCP had built a queue, and left it to TCP: a third of its window each time.)
    /// </summary>
    public bool IsCongested(int path) => Congested(ref _paths[path], _paths[path].Queue);

    private static bool Congested(ref PathState p, double queue) =>
        queue > CongestedQueueMicros + (2 * p.Jitter) && (!p.RandomLossy || queue * 5 >= p.MaxQueue * 4);

    /// <summary>
    /// <paramref name="path"/> is congested (<see cref="IsCongested"/>) and a loss was reported on it within
    /// <see cref="QueueMemoryMicros"/>: its buffer overflowed lately, so its long queue is a full one, not a large buffer
    /// with room left.
    /// </summary>
    public bool IsFull(int path, long nowMicros)
    {
        ref PathState p = ref _paths[path];
        return IsCongested(path) && p.LossAt != 0 && nowMicros - p.LossAt <= QueueMemoryMicros;
    }

    /// <summary>
    /// <paramref name="path"/> has room for a repair: not congested (<see cref="IsCongested"/>) by its measured queue nor
    /// by the wait the scheduler expects in front of a packet sent there now (<see cref="Choose(uint, int, long, bool)"/>:
    /// its virtual queue at the learnt rate). The measured queue alone called a path with room
    /// that the scheduler itself fed less than its share because its learnt rate said it was full (DSL + LTE: the LTE
    /// path's measured queue stayed short, the DSL path's tail drops were repaired there — 2 % of the packets, run
    /// after run — and the inner TCP never learnt that the tunnel was full).
    /// </summary>
    public bool HasRoom(int path, long nowMicros)
    {
        ref PathState p = ref _paths[path];
        return !Congested(ref p, Math.Max(p.Queue, ExpectedWait(ref p, nowMicros)));
    }

    /// <summary><paramref name="path"/> lost packets at a short queue in <see cref="RandomLossEpisodes"/> episodes (at
    /// least a round trip apart) within <see cref="QueueMemoryMicros"/>.</summary>
    public bool IsRandomLossy(int path) => _paths[path].RandomLossy;

    /// <summary>
    /// The peer reported a loss on <paramref name="path"/>: when the path's queue was short then (under
    /// <see cref="CongestedQueueMicros"/>, or under half the longest it showed lately), the loss cannot have been a
    /// full buffer's — one more episode of random loss (episodes closer than a round trip count once: a slow start's
    /// overshoot loses many packets before the queue estimate catches up, in one episode).
    /// </summary>
    public void OnLossReported(int path, long nowMicros)
    {
        ref PathState p = ref _paths[path];
        p.LossAt = nowMicros;
        bool shortQueue = p.Queue <= CongestedQueueMicros + (2 * p.Jitter) || p.Queue * 2 < p.MaxQueue;
        if (!shortQueue || nowMicros - p.RandomLossAt < Math.Max(p.Srtt, MinAdjustMicros))
        {
            return;
        }

        p.RandomLossEpisodes = nowMicros - p.RandomLossAt > QueueMemoryMicros ? 1 : p.RandomLossEpisodes + 1;
        p.RandomLossAt = nowMicros;
        p.RandomLossy = p.RandomLossEpisodes >= RandomLossEpisodes;
    }

    /// <summary>
    /// The paths among <paramref name="okMask"/> a packet lost on <paramref name="lostPath"/> may be sent again on: all
    /// of them when the lost path is not congested (random loss, a failure); when it is (a tail drop of a long queue),
    /// only the other paths with room (<see cref="HasRoom"/>); none — 0, leave the loss to the inner transport — when every other
    /// path is congested too: then the tunnel as a whole is full and the loss is the transport's signal to slow down
    /// (RFC 8084). While another path has room, the loss says only that the fast path's buffer filled first, and the
    /// inner TCP would cut a window the other paths still had room for. When the lost path is a random-lossy one
    /// (<see cref="IsRandomLossy"/>), another path counts as having no room only if it is full (<see cref="IsFull"/>:
    /// it dropped lately too) — the lossy path's loss near its longest queue is as likely random as a tail drop, and
    /// another path with a long queue that never overflowed says the buffers are not full (100 + 100 Mbit/s, 1 % loss
    /// on path 2: such losses were left to the inner TCP, whose window then never grew to the buffers' size).
    /// <paramref name="nowMicros"/>: now, after <see cref="OnLossReported"/> for this loss.
    /// </summary>
    public uint RepairPaths(int lostPath, uint okMask, long nowMicros)
    {
        if (!IsCongested(lostPath))
        {
            return okMask;
        }

        bool randomLossy = _paths[lostPath].RandomLossy;
        uint spare = 0;
        for (int i = 0; i < _paths.Length; i++)
        {
            if (i != lostPath && ((okMask >> i) & 1) != 0 && (randomLossy ? !IsFull(i, nowMicros) : HasRoom(i, nowMicros)))
            {
                spare |= 1u << i;
            }
        }

        return spare;
    }

    /// <summary>Learnt rate of <paramref name="path"/>, bytes/s.</summary>
    public double RateOf(int path) => _paths[path].Rate;

    /// <summary>What the peer received on <paramref name="path"/> in the last measured interval (bytes/s).</summary>
    public double DeliveredOf(int path) => _paths[path].Delivered;

    /// <summary>Virtual backlog of <paramref name="path"/>, bytes.</summary>
    public double BacklogOf(int path) => _paths[path].Backlog;

    /// <summary>Paths among <paramref name="okMask"/> this scheduler can choose now (measured, not stale, weighted).</summary>
    public uint Usable(uint okMask, long nowMicros)
    {
        uint usable = 0;
        uint candidates = okMask & _weighted;
        for (int i = 0; i < _paths.Length; i++)
        {
            ref PathState p = ref _paths[i];
            if (((candidates >> i) & 1) != 0 && p.Valid && nowMicros - p.SeenAt <= StaleAfterMicros + p.Srtt)
            {
                usable |= 1u << i;
            }
        }

        return usable;
    }

    /// <summary>
    /// Takes a new estimate of <paramref name="path"/> (ignored unless its version changed) and adapts the path's
    /// rate to what the interval since the last one showed:
    /// <list type="bullet">
    /// <item>the peer received more than the rate: the rate rises to that;</item>
    /// <item>saturated — its queue grew beyond the threshold while this end offered it more than the peer received —:
    /// the rate falls to what was received (at most halved per step: one sample may be noisy);</item>
    /// <item>kept busy (offered ≥ <see cref="BusyShare"/> of the rate) without a queue: the rate grows by
    /// <see cref="ProbeGain"/>, but never beyond <see cref="ProbeHeadroom"/> × the most the path delivered in the last
    /// second (or <see cref="InitialRate"/>, so that an unused path can be tried) — growth needs evidence.</item>
    /// </list>
    /// </summary>
    public void Observe(int path, in PathEstimate estimate, long nowMicros)
    {
        ref PathState p = ref _paths[path];
        if (!estimate.IsValid || estimate.Version == p.Version)
        {
            return;
        }

        p.Version = estimate.Version;
        p.SeenAt = nowMicros;
        p.Base = estimate.ForwardBaseMicros;
        p.Queue = estimate.ForwardQueueMicros;
        if (p.Queue >= p.MaxQueue || nowMicros - p.MaxQueueAt > QueueMemoryMicros)
        {
            p.MaxQueue = p.Queue;
            p.MaxQueueAt = nowMicros;
        }

        if (p.RandomLossy && nowMicros - p.RandomLossAt > QueueMemoryMicros)
        {
            p.RandomLossy = false;
            p.RandomLossEpisodes = 0;
        }

        p.Srtt = estimate.SmoothedRttMicros;
        p.MarkMicros = Math.Clamp(p.Srtt / (ChargeMarks / 2), MinMarkMicros, MaxMarkMicros);
        p.Loss = estimate.Loss;
        p.Jitter = estimate.ReverseJitterMicros;
        p.Delivered = estimate.DeliveredBytesPerSecond;

        // The virtual queue cannot be longer than the measured one plus what was sent since that probe left (about a
        // round trip): a real queue tail-drops at its limit, a virtual one would grow without end.
        Drain(ref p, nowMicros);
        p.Backlog = Math.Min(p.Backlog, (estimate.ForwardQueueMicros + Math.Max(estimate.SmoothedRttMicros, MinAdjustMicros)) * p.Rate / 1e6);
        double ceiling = Math.Max(InitialRate, ProbeHeadroom * estimate.MaxDeliveredBytesPerSecond);
        if (!p.Valid)
        {
            // Start from what the path already carried (the weighted list ran until now), not from scratch.
            p.Valid = true;
            p.Rate = Math.Clamp(Math.Max(InitialRate, estimate.MaxDeliveredBytesPerSecond), MinRate, MaxRate);
            p.AdjustedAt = nowMicros;
            p.Offered = 0;
            return;
        }

        long interval = nowMicros - p.AdjustedAt;
        if (interval < MinAdjustMicros)
        {
            return;
        }

        double offered = p.Offered * 1e6 / interval;
        bool queued = estimate.ForwardQueueMicros > QueueThresholdMicros + (2 * estimate.ReverseJitterMicros);
        if (estimate.DeliveredBytesPerSecond > p.Rate)
        {
            // The path carried more than the rate says: it can.
            p.Rate = Math.Min(estimate.DeliveredBytesPerSecond, MaxRate);
        }
        else if (queued && estimate.DeliveredBytesPerSecond > 0 && offered >= SaturatedOffer * estimate.DeliveredBytesPerSecond)
        {
            bool proven = IsSaturated(path, nowMicros);
            p.Rate = Math.Clamp(Math.Max(estimate.DeliveredBytesPerSecond, p.Rate / 2), MinRate, p.Rate);
            p.Saturated = true;
            p.SaturatedAt = nowMicros;
            if (!proven)
            {
                // Until now the path was fed as though empty (FastestPath) or at a rate above its capacity, and its real
                // queue ran ahead of the virtual one: start from what the probe found (MeasuredBacklog).
                p.Backlog = Math.Max(p.Backlog, MeasuredBacklog(path, estimate, nowMicros));
            }
        }
        else if (!queued && offered >= BusyShare * p.Rate)
        {
            p.Rate = Math.Clamp(Math.Min(p.Rate * ProbeGain, ceiling), MinRate, MaxRate);
        }

        p.Offered = 0;
        p.AdjustedAt = nowMicros;
    }

    /// <summary>
    /// The path among <paramref name="usable"/> (see <see cref="Usable"/>) on which a segment of
    /// <paramref name="segmentBytes"/> sent now arrives first; -1 when none is usable. With a reordering receiver
    /// (<see cref="ReceiverReorders"/>) the earliest-arriving path with a short queue, and when every path's queue is
    /// past that, the path with the least queueing delay (plus expected loss cost) in front of the segment.
    /// </summary>
    public int Choose(uint usable, int segmentBytes, long nowMicros) => Choose(usable, segmentBytes, nowMicros, earliestArrival: false);

    /// <summary>
    /// As <see cref="Choose(uint, int, long)"/>; with <paramref name="earliestArrival"/> always the path on which the segment
    /// arrives first, whatever the receiver does — for a retransmission, which the receiver's reorder buffer is waiting
    /// for: sent on the least-queued path it could arrive a slow path's delay later, after the hold gave it up.
    /// </summary>
    public int Choose(uint usable, int segmentBytes, long nowMicros, bool earliestArrival)
    {
        int best = -1;
        int bestOpen = -1;
        int leastQueued = -1;
        double bestArrival = double.MaxValue;
        double bestOpenArrival = double.MaxValue;
        double leastWait = double.MaxValue;
        int fastest = FastestPath(usable, out long spread);
        int unproven = fastest >= 0 && !IsSaturated(fastest, nowMicros) ? fastest : -1;
        int briefly = fastest >= 0 && unproven < 0 && NewTransfer(fastest, spread, nowMicros) ? fastest : -1;
        for (int i = 0; i < _paths.Length; i++)
        {
            if (((usable >> i) & 1) == 0)
            {
                continue;
            }

            ref PathState p = ref _paths[i];
            double perMicro = p.Rate / 1e6;
            double serialisation = segmentBytes / perMicro;
            double wait = i == unproven ? 0 : ExpectedWait(ref p, nowMicros);
            double arrival = wait + p.Base + serialisation + (p.Loss * LossCostMicros);
            if (arrival < bestArrival)
            {
                bestArrival = arrival;
                best = i;
            }

            // With a reordering receiver a path is filled only up to a short queue; what does not fit goes to the
            // next path even if it arrives later there (the receiver's hold absorbs the delay difference, the
            // network's buffers do not have to). At a transfer's start the fastest path may queue up to the delay
            // difference (see NewTransfer).
            double open = Math.Max(QueueTargetMicros, Math.Max(4 * serialisation, 2.0 * p.Jitter));
            if (ReceiverReorders && arrival < bestOpenArrival && wait + serialisation <= (i == briefly ? Math.Max(open, spread) : open))
            {
                bestOpenArrival = arrival;
                bestOpen = i;
            }

            double queued = wait + serialisation + (p.Loss * LossCostMicros);
            if (queued < leastWait)
            {
                leastWait = queued;
                leastQueued = i;
            }
        }

        if (earliestArrival)
        {
            return best;
        }

        if (bestOpen >= 0)
        {
            return bestOpen;
        }

        // Every path is past its short queue: the inner transport sends more than the paths carry. With a reordering
        // receiver the queues grow evenly in time (each path gets the next segment when it has the least waiting in
        // front of it), so that all paths fill their bottleneck buffers together and the transport's loss comes when
        // the sum of them is full. Earliest arrival would keep the fast path's queue longer by the delay difference
        // — it overflows first and the slow path stays under-used (DSL + LTE: 35 ms of a 50 ms buffer).
        return ReceiverReorders ? leastQueued : best;
    }

    /// <summary>Segments of <paramref name="segmentBytes"/> one burst on <paramref name="path"/> may carry:
    /// <see cref="BurstMicros"/> of its rate, between 1 and <paramref name="limit"/>.</summary>
    public int BurstSegments(int path, int segmentBytes, int limit = MaxBurstSegments)
    {
        double bytes = _paths[path].Rate * BurstMicros / 1e6;
        return (int)Math.Clamp(bytes / Math.Max(segmentBytes, 1), 1, Math.Max(limit, 1));
    }

    /// <summary>Charges <paramref name="bytes"/> sent on <paramref name="path"/> at <paramref name="nowMicros"/> to its virtual
    /// queue, its recent bytes (<see cref="NewTransfer"/>) and its marks (<see cref="MeasuredBacklog"/>).</summary>
    public void Charge(int path, int bytes, long nowMicros)
    {
        ref PathState p = ref _paths[path];
        if (nowMicros - p.MarkedAt >= p.MarkMicros)
        {
            // Cumulative bytes charged before now: one mark per interval, so the marks span about two round trips.
            p.MarkedAt = nowMicros;
            p.MarkHead = (p.MarkHead + 1) % ChargeMarks;
            _marks[(path * ChargeMarks) + p.MarkHead] = new ChargeMark(nowMicros, p.Charged);
        }

        p.Charged += bytes;
        p.Recent.Add(nowMicros, bytes);
        p.Backlog += bytes;
        p.Offered += bytes;
    }

    /// <summary>
    /// The usable path with the shortest base delay when every other usable path's base delay is longer by more than
    /// <see cref="PathEstimate.EqualDelayMicros"/> (<paramref name="spread"/>: by how much the next one is), else -1.
    /// <para>While it has not been saturated (<see cref="IsSaturated"/>) its learnt rate is only a lower bound — it
    /// starts at <see cref="InitialRate"/>, grows by <see cref="ProbeGain"/> per measurement while busy, at most to
    /// <see cref="ProbeHeadroom"/> × what it delivered, slower than a TCP slow start — and
    /// <see cref="Choose(uint, int, long, bool)"/> expects no wait on it (not its virtual queue at that rate): the fastest path takes every burst
    /// until it is saturated (shows a queue while fed about what it delivers). With the virtual queue a 64 KB burst at
    /// the 10 Mbit/s starting rate was 50 ms "queued": on DSL + LTE (100 + 20 Mbit/s, 5/40 ms) a 256 KiB upload sent
    /// part of each round on the 40 ms path and took 217 ms instead of 70 (kernel MPTCP: 75), and on a fresh tunnel the
    /// inner CUBIC, its round trip jumping from 11 to 45 ms, left slow start (HyStart) at a 60–100 KB window and needed
    /// 2 s to reach the links' rate. Only the fastest path: a slower one filled by its measured queue is overfilled
    /// during its longer feedback delay (the 40 ms path's buffer overflowed, and the inner CUBIC's window stayed at
    /// that loss for seconds). Only when the delays differ: on paths of about equal delay a burst on the other path
    /// costs no wait at the receiver, and with the nearest delays' order flipping on measurement noise the unshaped
    /// two-path tunnel measured a tenth lower.</para>
    /// </summary>
    private int FastestPath(uint usable, out long spread)
    {
        int fastest = -1;
        long next = long.MaxValue;
        for (int i = 0; i < _paths.Length; i++)
        {
            if (((usable >> i) & 1) == 0)
            {
                continue;
            }

            if (fastest < 0 || _paths[i].Base < _paths[fastest].Base)
            {
                next = fastest < 0 ? next : _paths[fastest].Base;
                fastest = i;
            }
            else
            {
                next = Math.Min(next, _paths[i].Base);
            }
        }

        spread = fastest >= 0 && next != long.MaxValue ? next - _paths[fastest].Base : 0;
        return spread > PathEstimate.EqualDelayMicros ? fastest : -1;
    }

    /// <summary>
    /// <paramref name="path"/>, the fastest, was charged less than <paramref name="spread"/> (the delay difference to
    /// the next path, <see cref="FastestPath"/>) × its rate in the last 100–200 ms (<see cref="RecentBytes"/>):
    /// the start of a transfer, or a short one. Once the fastest path was saturated its learnt rate is its capacity and
    /// <see cref="Choose(uint, int, long, bool)"/> fills it by its virtual queue; a burst that did not fit the short
    /// queue then went to the slower path, and each round of a short transfer waited for it at the receiver — DSL + LTE,
    /// a 256 KiB upload 0.3 s after a bulk transfer: 135 ms instead of 70. So until a transfer has sent that much, the
    /// fastest path may queue up to the delay difference (a packet there still arrives no later than on the next
    /// path); a bulk transfer passes it within a round trip and fills the paths as before. (The fastest path's busy
    /// period as the test broke bulk transfers — their queue on it empties often — and its idle gap missed short ones,
    /// whose handshake ends the gap before the data comes.)
    /// </summary>
    private bool NewTransfer(int path, long spread, long nowMicros) =>
        _paths[path].Recent.Total(nowMicros) < _paths[path].Rate * spread / 1e6;

    /// <summary><paramref name="path"/> was saturated within <see cref="QueueMemoryMicros"/> before
    /// <paramref name="nowMicros"/>: its queue grew while it was fed about what it delivered, so its learnt rate is its
    /// capacity, not a lower bound (<see cref="Observe"/>).</summary>
    public bool IsSaturated(int path, long nowMicros)
    {
        ref PathState p = ref _paths[path];
        return p.Saturated && nowMicros - p.SaturatedAt <= QueueMemoryMicros;
    }

    /// <summary>Shortest interval between two marks of <see cref="Charge"/>.</summary>
    public const long MinMarkMicros = 1_000;

    /// <summary>Longest interval between two marks of <see cref="Charge"/>.</summary>
    public const long MaxMarkMicros = 100_000;

    /// <summary>
    /// The least backlog (bytes) the probe behind <paramref name="estimate"/> says <paramref name="path"/> has now, at
    /// its learnt rate: the queue the probe found when it left (<see cref="PathEstimate.ProbeSentMicros"/>), less a
    /// margin of <see cref="QueueThresholdMicros"/> and twice the jitter, plus the bytes charged to the path since (those
    /// from the first mark at or after it on, at the most the path delivered lately), less the time since — and less
    /// the path's lead (<see cref="Lead"/>). On a path that lost packets lately (<see cref="OnLossReported"/>) never more
    /// than the longest queue a probe found on it lately, less the same: its buffer dropped what it could not hold, and
    /// the bytes charged count those too (counted, a 5 Mbit/s path that lost a fifth of a slow start's packets was left
    /// idle for seconds). 0 when the probe's time is unknown.
    /// <para>Taken once, when a path first shows its capacity (<see cref="Observe"/>). Until then the virtual queue
    /// drained at a learnt rate that was only a lower bound — above the capacity once it had grown, and the fastest path
    /// was fed as though empty (<see cref="FastestPath"/>) — so the real queue ran ahead of it, and past every short
    /// queue the paths are filled by their virtual queues (<see cref="Choose(uint, int, long, bool)"/>): the difference
    /// stood for as long as the transfer. 15 + 5 Mbit/s at 25/1 ms, a fresh tunnel: the 5 Mbit/s path 55–65 ms queued
    /// and the other 5–25 for the first ten seconds — packets on the faster path arriving 10–30 ms after those on the
    /// slower one, the inner round trip 60–67 ms, the 15 Mbit/s path under-used — until an inner BBR's ProbeRTT emptied
    /// both; an inner CUBIC's first transfer 0.82–0.88 of the links' rate, 0.92 after. The lead stays: on the fastest
    /// path a queue up to the delay difference costs no arrival time, and on DSL + LTE (100 + 20 Mbit/s, 5/40 ms) the
    /// 30–40 ms that the DSL path queues beyond its virtual queue at a new tunnel's first slow start keep the inner
    /// round trip at the DSL path's until the window has grown (counted, the LTE path took bursts early and HyStart
    /// ended CUBIC's slow start at 250 KB: 0.79 of the links' rate instead of 0.92). Only at that moment: probes
    /// counted all along (raising the virtual queue to their lower bound and capping it at their upper one) made
    /// DSL + LTE's paths take turns again, both queues swinging between 0 and 50 ms.</para>
    /// </summary>
    private double MeasuredBacklog(int path, in PathEstimate estimate, long nowMicros)
    {
        ref PathState p = ref _paths[path];
        long sent = estimate.ProbeSentMicros;
        if (sent <= 0 || sent > nowMicros)
        {
            return 0;
        }

        double fastest = Math.Max(p.Rate, estimate.MaxDeliveredBytesPerSecond) / 1e6;
        long margin = QueueThresholdMicros + (2 * estimate.ReverseJitterMicros) + Lead(path);
        double wait = estimate.ForwardQueueMicros + (ChargedSince(path, sent) / fastest) - (nowMicros - sent);
        if (p.LossAt != 0 && nowMicros - p.LossAt <= QueueMemoryMicros)
        {
            wait = Math.Min(wait, p.MaxQueue);
        }

        return Math.Max(0, wait - margin) * p.Rate / 1e6;
    }

    /// <summary>By how much <paramref name="path"/>'s base delay is shorter than every other measured, weighted path's
    /// (0 when not by more than <see cref="PathEstimate.EqualDelayMicros"/>; <see cref="FastestPath"/> among them): a
    /// packet queued on it that long still arrives no later than on the next path.</summary>
    private long Lead(int path)
    {
        uint measured = 1u << path;
        for (int i = 0; i < _paths.Length; i++)
        {
            measured |= _paths[i].Valid ? _weighted & (1u << i) : 0;
        }

        return FastestPath(measured, out long spread) == path ? spread : 0;
    }

    /// <summary>Bytes charged to <paramref name="path"/> from its first mark at or after <paramref name="sinceMicros"/>
    /// on: at most what was charged since then (0 when no mark is that recent).</summary>
    private double ChargedSince(int path, long sinceMicros)
    {
        ref PathState p = ref _paths[path];
        int row = path * ChargeMarks;
        double since = p.Charged;
        for (int k = 0; k < ChargeMarks; k++)
        {
            ref ChargeMark m = ref _marks[row + ((p.MarkHead - k + ChargeMarks) % ChargeMarks)];
            if (m.At == 0 || m.At < sinceMicros)
            {
                break;
            }

            since = m.Charged;
        }

        return p.Charged - since;
    }

    /// <summary>
    /// The wait in front of a packet sent on the path now (µs): its virtual queue at the learnt rate. Not the measured
    /// queue: a probe's forward queueing delay is the queue it found when it was sent, and by the time its echo comes
    /// back — a round trip later, the probe's own wait included — all of that queue has left the link; what was sent
    /// since is in the virtual queue. Taken as a wait (the larger of it and the virtual queue, less the time since the
    /// echo came), a sample a round trip old made the paths take turns: on DSL + LTE the 40-ms path, 30 ms queued a
    /// round trip earlier, was skipped until it ran dry while the DSL path overfilled, and the next sample turned it
    /// around — both queues swinging between 0 and 35 ms every few hundred ms, one TCP stream at 0.89 of the links'
    /// capacity, 0.93 without the sample (ab-2026-12-06-age). The measurement still sets the learnt rate
    /// (<see cref="Observe"/>: a saturated path's rate falls to what it delivered) and bounds the virtual queue.
    /// </summary>
    private double ExpectedWait(ref PathState p, long nowMicros)
    {
        Drain(ref p, nowMicros);
        return p.Backlog / (p.Rate / 1e6);
    }

    private static void Drain(ref PathState p, long nowMicros)
    {
        long elapsed = nowMicros - p.DrainedAt;
        p.DrainedAt = nowMicros;
        if (elapsed > 0 && p.Backlog > 0)
        {
            p.Backlog = Math.Max(0, p.Backlog - (p.Rate * elapsed / 1e6));
        }
    }

    private struct PathState
    {
        public bool Valid;
        public bool Saturated;
        public long SaturatedAt;
        public int Version;
        public long SeenAt;
        public long Base;
        public long Queue;
        public long MaxQueue;
        public long MaxQueueAt;
        public bool RandomLossy;
        public int RandomLossEpisodes;
        public long RandomLossAt;
        public long LossAt;
        public long Srtt;
        public double Loss;
        public long Jitter;
        public double Rate;
        public double Delivered;
        public double Backlog;
        public long DrainedAt;
        public RecentBytes Recent;
        public double Offered;
        public long AdjustedAt;
        public double Charged;
        public long MarkedAt;
        public long MarkMicros; // between two marks: 1/64 of the round trip, within MinMarkMicros..MaxMarkMicros
        public int MarkHead;
    }

    /// <summary>Bytes charged to a path before <see cref="At"/>.</summary>
    private readonly record struct ChargeMark(long At, double Charged);
}
