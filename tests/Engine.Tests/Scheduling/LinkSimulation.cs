using MptFast.Engine.Measurement;
using MptFast.Engine.Scheduling;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Scheduling;

/// <summary>
/// A discrete-event model of a sender and its peer joined by several paths, for the adaptive scheduler's tests: each
/// forward link is a FIFO with a rate, a one-way delay, random loss and a tail-drop queue limit; data and the sender's
/// probes share it. The peer's probes come back over each path's reverse direction (delay only) and echo what the
/// peer saw, exactly as the daemons exchange <see cref="ProbeTrailer"/>s. The peer's clock runs
/// <see cref="PeerClockOffset"/> ahead, so only what the real estimator can know is known. A source offers data at a
/// fixed rate in segments; the scheduler places them in bursts. Times in µs.
/// </summary>
internal sealed class LinkSimulation
{
    public const int Segment = 1400;
    public const int ProbeBytes = KeepaliveCodec.PacketLength + ProbeCodec.FixedLength;

    private readonly PriorityQueue<Action, (long Time, long Order)> _events = new();
    private readonly Random _random = new(12345);
    private long _order;
    private long _nextSeq;

    public LinkSimulation(params Link[] links)
    {
        Links = links;
        Scheduler = new AdaptiveScheduler(Enumerable.Repeat(1, links.Length).ToArray());
        Estimators = links.Select(_ => new PathEstimator()).ToArray();
        Peer = links.Select(_ => new PeerPathState()).ToArray();
        Sender = links.Select(_ => new SenderPathState()).ToArray();
    }

    public Link[] Links { get; }

    public AdaptiveScheduler Scheduler { get; }

    public PathEstimator[] Estimators { get; }

    public long Now { get; private set; }

    public long PeerClockOffset { get; init; } = 7_654_321;

    public long ProbeInterval { get; init; } = 20_000;

    /// <summary>Bytes per µs the source offers (may change during a run); see <see cref="WindowBytes"/>.</summary>
    public double OfferedPerMicro { get; set; }

    /// <summary>
    /// When above 0, the source is a window-limited transport instead of a fixed rate: it keeps at most this many bytes
    /// unacknowledged, and the peer acknowledges what it has in sequence (the reordering receiver's delivery) over the
    /// quickest reverse direction — the ACK clock of an inner TCP whose window is this size. A segment the links drop
    /// counts as received one path delay later (as the tunnel's repair would make it); <see cref="Link.Dropped"/> says
    /// how many were.
    /// </summary>
    public long WindowBytes { get; set; }

    /// <summary>Paths that may carry data (bit i = path i OK), as the liveness monitor would say.</summary>
    public uint OkMask { get; set; } = uint.MaxValue;

    public List<Delivery> Deliveries { get; } = [];

    internal PeerPathState[] Peer { get; }

    internal SenderPathState[] Sender { get; }

    public void Run(long untilMicros)
    {
        if (Now == 0)
        {
            for (int i = 0; i < Links.Length; i++)
            {
                int path = i;
                At(ProbeInterval / 2, () => SenderProbe(path));
                At(ProbeInterval / 3, () => PeerProbe(path));
            }

            At(0, SourceTick);
        }

        while (_events.TryPeek(out _, out (long Time, long Order) key) && key.Time <= untilMicros)
        {
            _events.TryDequeue(out Action? action, out _);
            Now = key.Time;
            action!();
        }

        Now = untilMicros;
    }

    /// <summary>Data bytes each path delivered with arrival in [from, to).</summary>
    public long[] DeliveredBytes(long from, long to)
    {
        long[] bytes = new long[Links.Length];
        foreach (Delivery d in Deliveries)
        {
            if (d.Arrival >= from && d.Arrival < to)
            {
                bytes[d.Path] += Segment;
            }
        }

        return bytes;
    }

    private void At(long time, Action action) => _events.Enqueue(action, (time, _order++));

    private const long SourceTickMicros = 100;

    private double _credit;

    private readonly HashSet<long> _outOfOrder = [];
    private long _receiveNext;
    private long _acknowledged;

    private void SourceTick()
    {
        _credit = WindowBytes > 0
            ? Math.Max(0, WindowBytes - ((_nextSeq - _acknowledged) * Segment))
            : _credit + (OfferedPerMicro * SourceTickMicros);
        while (_credit >= Segment)
        {
            uint usable = Scheduler.Usable(OkMask, Now);
            int path = Scheduler.Choose(usable, Segment, Now);
            if (path < 0)
            {
                _credit = 0;
                break;
            }

            int n = Math.Min(Scheduler.BurstSegments(path, Segment), (int)(_credit / Segment));
            Scheduler.Charge(path, n * Segment, Now);
            for (int k = 0; k < n; k++)
            {
                SendData(path);
            }

            _credit -= n * Segment;
        }

        At(Now + SourceTickMicros, SourceTick);
    }

    private void SendData(int path)
    {
        long seq = _nextSeq++;
        Sender[path].TxPackets++;
        if (Links[path].Transmit(Now, Segment, _random) is long arrival)
        {
            At(arrival, () =>
            {
                Peer[path].RxPackets++;
                Peer[path].RxBytes += Segment;
                Deliveries.Add(new Delivery(seq, path, arrival));
                Receive(seq);
            });
        }
        else if (WindowBytes > 0)
        {
            At(Now + Links[path].DelayMicros, () => Receive(seq));
        }
    }

    /// <summary>The peer has <paramref name="seq"/>: what it holds in sequence is acknowledged to the source after the
    /// quickest reverse delay (window-limited source only).</summary>
    private void Receive(long seq)
    {
        if (WindowBytes <= 0)
        {
            return;
        }

        if (seq == _receiveNext)
        {
            _receiveNext++;
            while (_outOfOrder.Remove(_receiveNext))
            {
                _receiveNext++;
            }
        }
        else if (seq > _receiveNext)
        {
            _outOfOrder.Add(seq);
        }

        long acknowledged = _receiveNext;
        At(Now + Links.Min(l => l.ReverseDelayMicros), () => _acknowledged = Math.Max(_acknowledged, acknowledged));
    }

    private void SenderProbe(int path)
    {
        SenderPathState s = Sender[path];
        var probe = new ProbeTrailer(s.HasEcho ? ProbeFlags.Echo : ProbeFlags.None, (byte)path, (ulong)Now, s.TxPackets,
            s.EchoTx, s.EchoTxPackets, s.EchoArrival, 0, 0, 0);
        if (Links[path].Transmit(Now, ProbeBytes, _random) is long arrival)
        {
            At(arrival, () =>
            {
                PeerPathState p = Peer[path];
                p.HasEcho = true;
                p.EchoTx = probe.TxMicros;
                p.EchoTxPackets = probe.TxPackets;
                p.EchoArrival = (ulong)(arrival + PeerClockOffset);
                p.EchoPackets = p.RxPackets;
                p.EchoBytes = p.RxBytes;
            });
        }

        At(Now + ProbeInterval, () => SenderProbe(path));
    }

    private void PeerProbe(int path)
    {
        PeerPathState p = Peer[path];
        var probe = new ProbeTrailer(p.HasEcho ? ProbeFlags.Echo : ProbeFlags.None, (byte)path, (ulong)(Now + PeerClockOffset), 0,
            p.EchoTx, p.EchoTxPackets, p.EchoArrival, p.EchoPackets, p.EchoBytes, 0);
        Link link = Links[path];
        if (!link.ReverseDown)
        {
            At(Now + link.ReverseDelayMicros, () =>
            {
                SenderPathState s = Sender[path];
                s.HasEcho = true;
                s.EchoTx = probe.TxMicros;
                s.EchoTxPackets = probe.TxPackets;
                s.EchoArrival = (ulong)Now;
                Estimators[path].OnProbe(Now, probe);
                Scheduler.Observe(path, Estimators[path].Estimate, Now);
            });
        }

        At(Now + ProbeInterval, () => PeerProbe(path));
    }

    /// <summary>One datagram that reached the peer.</summary>
    public readonly record struct Delivery(long Sequence, int Path, long Arrival);

    /// <summary>One direction of a path: FIFO with a rate and a tail-drop limit, then a delay; loss after the queue.</summary>
    public sealed class Link(double mbit, long delayMicros, double loss = 0, long? queueLimitBytes = null)
    {
        private long _busyUntil;

        public double RateBytesPerMicro { get; set; } = mbit / 8;

        public long DelayMicros { get; set; } = delayMicros;

        public long ReverseDelayMicros { get; set; } = delayMicros;

        public double Loss { get; set; } = loss;

        /// <summary>Everything sent is lost (both directions): a silent failure.</summary>
        public bool Down { get; set; }

        public bool ReverseDown => Down;

        /// <summary>Default: 50 ms of the rate, at least 64 KiB.</summary>
        public long QueueLimitBytes { get; set; } = queueLimitBytes ?? Math.Max(65536, (long)(mbit / 8 * 50_000));

        public long Dropped { get; private set; }

        /// <summary>Time a datagram sent at <paramref name="now"/> would wait in the queue (µs).</summary>
        public long QueueMicros(long now) => Math.Max(0, _busyUntil - now);

        /// <summary>Arrival time at the far end, or null when dropped.</summary>
        public long? Transmit(long now, int bytes, Random random)
        {
            long start = Math.Max(now, _busyUntil);
            if ((start - now) * RateBytesPerMicro > QueueLimitBytes)
            {
                Dropped++;
                return null;
            }

            _busyUntil = start + (long)Math.Ceiling(bytes / RateBytesPerMicro);
            if (Down || random.NextDouble() < Loss)
            {
                Dropped++;
                return null;
            }

            return _busyUntil + DelayMicros;
        }
    }

    internal sealed class SenderPathState
    {
        public ulong TxPackets;
        public bool HasEcho;
        public ulong EchoTx;
        public ulong EchoTxPackets;
        public ulong EchoArrival;
    }

    internal sealed class PeerPathState
    {
        public ulong RxPackets;
        public ulong RxBytes;
        public bool HasEcho;
        public ulong EchoTx;
        public ulong EchoTxPackets;
        public ulong EchoArrival;
        public ulong EchoPackets;
        public ulong EchoBytes;
    }
}
