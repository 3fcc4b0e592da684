namespace MptFast.Perf.LinkEmu;

/// <summary>Where released frames go (the send batch; a list in tests).</summary>
internal interface IFrameSink
{
    void Add(int frame);
}

/// <summary>
/// One direction of the emulated link, independent of any I/O, driven by the caller's clock (so tests run it on
/// virtual time). A frame entering at time t goes through:
/// <list type="number">
/// <item>loss (IP frames only — ARP and other protocols are never lost, like the testbed's nftables loss): independent
///   with <see cref="LinkParams.Loss"/>, and Gilbert–Elliott with <see cref="LinkParams.BurstLoss"/> (netem's
///   <c>loss_gilb_ell</c>: the state moves first, the frame is lost with the old state's probability);</item>
/// <item>duplication (IP frames): a copy follows the frame;</item>
/// <item>the queue in front of the serializer: tail drop when queued bytes + this frame exceed the limit;</item>
/// <item>the serializer: frames leave one after the other, each taking (length + overhead) × 8 / rate; a rate change
///   applies from the next frame served (what a token bucket one frame deep does);</item>
/// <item>propagation: arrival = serialization end + delay + uniform jitter in [−jitter, +jitter] (clamped at 0), never
///   before the previous frame's arrival unless reordering is allowed.</item>
/// </list>
/// Loss and duplication act where netem acts (on entry); the delay comes after the serializer like a real link's
/// propagation, so delay and rate compose (a 1500-byte frame at 10 Mbit/s with 5 ms delay arrives 6.2 ms after entry).
/// </summary>
internal sealed unsafe class LinkModel
{
    private readonly FramePool _pool;
    private readonly Counters _counters;
    private readonly DelayLine _line;
    private readonly int[] _queue;
    private Rng _rng;
    private int _queueHead;
    private int _queueCount;
    private long _queuedBytes;
    private long _linkFreeAt;
    private long _nextFinish = long.MaxValue;
    private long _lastArrival;
    private bool _burstBad;

    public LinkModel(FramePool pool, Counters counters, LinkParams parameters, ulong seed)
    {
        _pool = pool;
        _counters = counters;
        _line = new DelayLine(pool.Count);
        _queue = new int[pool.Count];
        _rng = new Rng(seed);
        Params = parameters;
    }

    public LinkParams Params { get; set; }

    /// <summary>Frames held: queued for the serializer plus on the delay line.</summary>
    public int InFlight => _queueCount + _line.Count;

    public long QueuedBytes => _queuedBytes;

    /// <summary>When the next frame leaves the serializer or arrives at the far end; long.MaxValue when idle.</summary>
    public long NextEventAt => Math.Min(_line.NextAt, _queueCount > 0 ? _nextFinish : long.MaxValue);

    /// <summary>A frame entered at <paramref name="now"/> (its bytes are in <paramref name="frame"/>'s slot, its length set).
    /// The model owns the slot from here on: it is returned to the pool when dropped, or handed to the sink on release.</summary>
    public void Offer(int frame, long now)
    {
        int length = _pool.Length[frame];
        if (IsIp(frame))
        {
            // Both generators draw for every IP frame, so the Gilbert–Elliott state walks one step per frame.
            bool burst = BurstLost();
            bool random = Params.Loss > 0 && _rng.NextDouble() < Params.Loss;
            if (random || burst)
            {
                if (random)
                {
                    _counters.DropLoss++;
                }
                else
                {
                    _counters.DropBurstLoss++;
                }

                _pool.Return(frame);
                return;
            }

            if (Params.Duplicate > 0 && _rng.NextDouble() < Params.Duplicate)
            {
                Enqueue(frame, length, now);
                int copy = _pool.Rent();
                if (copy < 0)
                {
                    _counters.DropPoolEmpty++;
                    return;
                }

                Buffer.MemoryCopy(_pool.Data(frame), _pool.Data(copy), FramePool.SlotSize, length);
                _pool.Length[copy] = length;
                _counters.Duplicated++;
                Enqueue(copy, length, now);
                return;
            }
        }

        Enqueue(frame, length, now);
    }

    /// <summary>Moves frames through the serializer up to <paramref name="now"/> and hands every frame that has arrived
    /// to <paramref name="sink"/>, in arrival order.</summary>
    public void Release(long now, IFrameSink sink)
    {
        Serve(now);
        while (_line.Count > 0 && _line.NextAt <= now)
        {
            sink.Add(_line.Pop());
        }
    }

    private void Enqueue(int frame, int length, long now)
    {
        if (_queuedBytes + length > Params.QueueLimitBytes && Params.RateBitsPerSecond > 0)
        {
            _counters.DropQueueFull++;
            _pool.Return(frame);
            return;
        }

        _pool.EnqueuedAt[frame] = now;
        _queue[(_queueHead + _queueCount) % _queue.Length] = frame;
        _queueCount++;
        _queuedBytes += length;
        if (_queuedBytes > _counters.QueueHighWaterBytes)
        {
            _counters.QueueHighWaterBytes = _queuedBytes;
        }

        if (InFlight > _counters.InFlightHighWater)
        {
            _counters.InFlightHighWater = InFlight;
        }

        Serve(now);
    }

    private void Serve(long now)
    {
        LinkParams p = Params;
        while (_queueCount > 0)
        {
            int frame = _queue[_queueHead];
            int length = _pool.Length[frame];
            long finish = Math.Max(_linkFreeAt, _pool.EnqueuedAt[frame]) + p.SerializationNs(length);
            if (finish > now)
            {
                _nextFinish = finish;
                return;
            }

            _queueHead = (_queueHead + 1) % _queue.Length;
            _queueCount--;
            _queuedBytes -= length;
            _linkFreeAt = finish;
            _line.Push(ArrivalAfter(finish, p), frame);
        }

        _nextFinish = long.MaxValue;
    }

    private long ArrivalAfter(long serialized, LinkParams p)
    {
        long delay = p.DelayNs;
        if (p.JitterNs > 0)
        {
            delay = Math.Max(0, delay + (long)(((_rng.NextDouble() * 2) - 1) * p.JitterNs));
        }

        long at = serialized + delay;
        if (!p.Reorder && at < _lastArrival)
        {
            at = _lastArrival;
        }

        _lastArrival = Math.Max(_lastArrival, at);
        return at;
    }

    private bool BurstLost()
    {
        if (Params.BurstLoss is not { } ge)
        {
            return false;
        }

        bool wasBad = _burstBad;
        if (_rng.NextDouble() < (wasBad ? ge.R : ge.P))
        {
            _burstBad = !wasBad;
        }

        return _rng.NextDouble() < (wasBad ? ge.LossBad : ge.LossGood);
    }

    // EtherType at bytes 12–13: IPv4 0x0800, IPv6 0x86DD.
    private bool IsIp(int frame)
    {
        if (_pool.Length[frame] < 14)
        {
            return false;
        }

        byte* d = _pool.Data(frame);
        int type = (d[12] << 8) | d[13];
        return type is 0x0800 or 0x86DD;
    }
}
