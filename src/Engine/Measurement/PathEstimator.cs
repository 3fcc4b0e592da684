using MptFast.Engine.Wire;

namespace MptFast.Engine.Measurement;

/// <summary>
/// What is known about one path from the probes its peer sent on it (see <see cref="ProbeCodec"/>). Times in µs.
/// Forward = this end → peer, reverse = peer → this end. The one-way figures include the unknown offset between the
/// two ends' clocks, which is the same for every path of a connection: their DIFFERENCES between paths are exact,
/// and so is each path's queueing delay (current minus base). <c>ProbeSentMicros</c>: when the probe whose echo gave the
/// forward figures left this end (this end's monotonic clock; 0 when unknown) — <c>ForwardQueueMicros</c> is the queue
/// that probe found, a round trip before its echo came back.
/// </summary>
public readonly record struct PathEstimate(
    int Version,
    long SmoothedRttMicros,
    long MinRttMicros,
    long ForwardBaseMicros,
    long ForwardQueueMicros,
    long ReverseBaseMicros,
    long ReverseQueueMicros,
    long ReverseJitterMicros,
    long DeliveredBytesPerSecond,
    long MaxDeliveredBytesPerSecond,
    int LossPpm,
    long LatestRttMicros = 0,
    long ReverseQueueMaxMicros = 0,
    long ProbeSentMicros = 0)
{
    /// <summary>At least one echo arrived: round-trip time and forward delay are known.</summary>
    public bool IsValid => Version > 0;

    /// <summary>Base one-way delays this close count as equal: the scheduler then has no fastest path to fill first
    /// (<c>AdaptiveScheduler.FastestPath</c>) and the reorder hold no delay difference to bridge (<c>HoldBounds</c>).</summary>
    public const long EqualDelayMicros = 2_000;

    /// <summary>Loss as a fraction.</summary>
    public double Loss => LossPpm / 1e6;

}

/// <summary>
/// Turns the probes received on one path into a <see cref="PathEstimate"/>: round-trip time (smoothed as TCP does,
/// RFC 6298, and its windowed minimum), forward and reverse one-way delay (windowed minimum = base, smoothed − base =
/// queueing; the forward queueing delay is the latest probe's, not smoothed), reverse jitter, the rate the peer
/// received data at (per interval of at least <see cref="RateIntervalMicros"/>, and its maximum over
/// <see cref="CapacityWindowMicros"/>: what the path has shown it can carry) and the loss rate
/// (packets sent before a probe versus packets received before it, exponentially weighted over
/// <see cref="LossTimeConstantMicros"/>). One thread (the receive thread) owns it; no allocation.
/// </summary>
public sealed class PathEstimator
{
    /// <summary>Window of the minimum filters (base delays, minimum RTT): long enough to see an idle moment,
    /// short enough to follow a route change.</summary>
    public const long BaseWindowMicros = 10_000_000;

    /// <summary>Shortest interval a delivered-rate sample spans.</summary>
    public const long RateIntervalMicros = 40_000;

    /// <summary>Window of the delivered-rate maximum.</summary>
    public const long CapacityWindowMicros = 1_000_000;

    /// <summary>Time constant of the loss average.</summary>
    public const long LossTimeConstantMicros = 2_000_000;

    /// <summary>Packets the loss average must have seen before it reports anything.</summary>
    public const double MinLossPackets = 200;


    private WindowedExtremum _minRtt = new(BaseWindowMicros, max: false);
    private WindowedExtremum _forwardBase = new(BaseWindowMicros, max: false);
    private WindowedExtremum _reverseBase = new(BaseWindowMicros, max: false);
    private WindowedExtremum _maxDelivered = new(CapacityWindowMicros, max: true);
    private WindowedExtremum _maxReverseQueue = new(CapacityWindowMicros, max: true);
    private long _srtt;
    private long _forwardSmoothed;
    private long _reverseSmoothed;
    private long _reverseJitter;
    private bool _hasReverse;
    private long _delivered;
    private ulong _lastEchoTx;
    private Anchor _anchor;
    private bool _hasAnchor;
    private double _lostWeighted;
    private double _sentWeighted;
    private int _version;

    /// <summary>The current estimate.</summary>
    public PathEstimate Estimate { get; private set; }

    /// <summary>Probes taken (with or without echo).</summary>
    public long Probes { get; private set; }

    /// <summary>Takes the probe <paramref name="probe"/> that arrived at <paramref name="nowMicros"/> (this end's
    /// monotonic clock); returns true when the forward figures (RTT, forward delay, rate, loss) changed.</summary>
    public bool OnProbe(long nowMicros, in ProbeTrailer probe)
    {
        Probes++;
        long reverse = nowMicros - (long)probe.TxMicros;
        long reverseBase = _reverseBase.Update(nowMicros, reverse);
        if (!_hasReverse)
        {
            _hasReverse = true;
            _reverseSmoothed = reverse;
        }
        else
        {
            long error = reverse - _reverseSmoothed;
            _reverseSmoothed += error / 8;
            _reverseJitter += (Math.Abs(error) - _reverseJitter) / 4;
        }

        bool forward = probe.HasEcho && (_version == 0 || probe.EchoTxMicros != _lastEchoTx) && TakeEcho(nowMicros, probe);
        Estimate = Estimate with
        {
            Version = _version,
            ReverseBaseMicros = reverseBase,
            ReverseQueueMicros = Math.Max(0, _reverseSmoothed - reverseBase),
            ReverseJitterMicros = _reverseJitter,
            ReverseQueueMaxMicros = _maxReverseQueue.Update(nowMicros, Math.Max(0, reverse - reverseBase)),
        };
        return forward;
    }

    private bool TakeEcho(long nowMicros, in ProbeTrailer probe)
    {
        // RTT = time since our probe left, minus the time it waited at the peer (both of the peer's times are its own).
        long held = (long)(probe.TxMicros - probe.EchoArrivalMicros);
        long rtt = nowMicros - (long)probe.EchoTxMicros - held;
        if (held < 0 || rtt <= 0 || rtt > 60_000_000)
        {
            return false; // not from this run of ours (a restart), or nonsense
        }

        _lastEchoTx = probe.EchoTxMicros;
        long minRtt = _minRtt.Update(nowMicros, rtt);
        _srtt = _version == 0 ? rtt : _srtt + ((rtt - _srtt) / 8);
        long forward = (long)(probe.EchoArrivalMicros - probe.EchoTxMicros);
        long forwardBase = _forwardBase.Update(nowMicros, forward);
        _forwardSmoothed = _version == 0 ? forward : _forwardSmoothed + ((forward - _forwardSmoothed) / 8);
        long queue = Math.Max(0, forward - forwardBase);
        TakeDelivery(nowMicros, probe);
        _version++;
        Estimate = Estimate with
        {
            SmoothedRttMicros = _srtt,
            MinRttMicros = minRtt,
            ForwardBaseMicros = forwardBase,
            ForwardQueueMicros = queue,
            DeliveredBytesPerSecond = _delivered,
            MaxDeliveredBytesPerSecond = _maxDelivered.HasValue ? _maxDelivered.Value : 0,
            LatestRttMicros = rtt,
            LossPpm = LossPpm(),
            ProbeSentMicros = (long)probe.EchoTxMicros,
        };
        return true;
    }

    private void TakeDelivery(long nowMicros, in ProbeTrailer probe)
    {
        var record = new Anchor(probe.EchoArrivalMicros, probe.EchoTxPackets, probe.EchoPackets, probe.EchoBytes);
        if (!_hasAnchor || record.Arrival < _anchor.Arrival || record.TxPackets < _anchor.TxPackets
            || record.RxPackets < _anchor.RxPackets || record.RxBytes < _anchor.RxBytes)
        {
            // First record, or the peer's counters restarted: start over from here.
            _anchor = record;
            _hasAnchor = true;
            return;
        }

        long span = (long)(record.Arrival - _anchor.Arrival);
        if (span < RateIntervalMicros)
        {
            return;
        }

        _delivered = (long)((record.RxBytes - _anchor.RxBytes) * 1_000_000 / (ulong)span);
        _maxDelivered.Update(nowMicros, _delivered);

        // Signed: a packet that overtook its probe on a reordering path counts as lost now and as extra next time.
        double sent = record.TxPackets - _anchor.TxPackets;
        double lost = sent - (record.RxPackets - _anchor.RxPackets);
        double keep = Math.Exp(-(double)span / LossTimeConstantMicros);
        _sentWeighted = (_sentWeighted * keep) + sent;
        _lostWeighted = (_lostWeighted * keep) + lost;
        _anchor = record;
    }

    private int LossPpm() => _sentWeighted < MinLossPackets
        ? 0
        : (int)Math.Clamp(_lostWeighted / _sentWeighted * 1e6, 0, 1e6);

    private readonly record struct Anchor(ulong Arrival, ulong TxPackets, ulong RxPackets, ulong RxBytes);
}
