using MptFast.Engine.Offload;

namespace MptFast.Engine.Datapath;

/// <summary>
/// <c>equalize_delay = auto</c>: when the segments of the flows whose acknowledgements are held left this host, so that
/// each acknowledgement waits only as long as the sender needs to measure a round trip of at least its shortest plus h
/// (<see cref="HoldMicros(ReadOnlySpan{byte}, long, long)"/>; h is <c>ConnectionRuntime.AckFloorMicros</c>, what its
/// window needs, at most the paths' forward delay spread).
/// <para>Why by the acknowledged segment's own send time: while every path carries a BBR sender's segments, the fast
/// path's wait at the peer's reorder buffer for the slower path's, so its round trip under load is the slow path's; its
/// shortest round trip (a few segments in flight, on the fast path alone) must come close, or its window (2 × bandwidth
/// × shortest round trip) cannot cover what the paths hold, and its probes for more bandwidth, one shortest round trip
/// long, are averaged away over the longer one. A fixed hold of every acknowledgement lengthened the loaded round trip
/// by as much as the shortest; holding none of those that already waited does not. The acknowledgement's TCP timestamp
/// echo cannot date it: it echoes the oldest segment it covers, and the first acknowledgement after a slower path's
/// segment arrived covers the fast segments released behind it, sent up to the spread later — unheld, it gave the
/// sender a sample at the fast path's round trip, which pulled BBR's minimum back down (one TCP stream stuck at half the
/// links after BBR's ProbeRTT). Nor can the acknowledgement number alone, while the inner TCP repairs a loss: the number
/// stays at the hole and the sender takes its sample from the newest segment the SACK blocks cover; and the
/// acknowledgement that fills the hole covers retransmitted data, whose sample the sender takes from the timestamp it
/// echoes — the retransmission's, sent a fast path's round trip earlier. Dated by the hole's first transmission, both
/// went on unheld, and one BBR stream's minimum fell to the fast path's 3–6 ms for the next 10 s (with the fall of h at
/// ProbeRTT, <c>PathRuntime.RatePeak</c>: 13 of 45 first transfers over a new tunnel on 15+5 Mbit/s both ways and 10+10
/// at 1/25 ms at 0.64–0.88 of the links, perf/results/ab-2026-12-07-sack).</para>
/// </summary>
/// <remarks>The transmit thread records (<see cref="OnSent"/>), the receive thread assigns the flows (<see cref="Track"/>)
/// and reads (<see cref="HoldMicros(int, ReadOnlySpan{byte}, long, long)"/>). A record being replaced while it is read,
/// or a flow's place given to another flow while a segment of the first is recorded, only moves one hold by a little:
/// every hold is between 0 and h. Allocates nothing after construction.</remarks>
public sealed class SendTimes
{
    /// <summary>Flows recorded at once (the last ones found delay-based take the places of the oldest).</summary>
    public const int Flows = 64;

    /// <summary>Send records per flow: at one per <see cref="RecordGapMicros"/>, at least 256 ms of sending (longer
    /// than a loaded round trip); the acknowledgement of a segment older than the oldest record is dated by it (a
    /// longer hold, never a shorter one).</summary>
    public const int Records = 512;

    /// <summary>Segments sent within this of a flow's last record extend it (its end, not its time: a segment is dated
    /// at most this much early, its hold as much too short) instead of taking a new one.</summary>
    public const long RecordGapMicros = 500;

    /// <summary>Timestamp values of retransmissions remembered per flow (<see cref="OnSent"/>; those sent with the
    /// same value are one): the last ones, at least 64 ms of a loss episode's repairs with Linux's millisecond values.</summary>
    public const int Retransmissions = 64;

    private readonly int[] _flowOfSlot = new int[AckHoldFlows.Capacity]; // AckHoldFlows slot → flow + 1 (0: none)
    private readonly int[] _slotOfFlow = new int[Flows];
    private readonly TcpSocketId[] _owner = new TcpSocketId[Flows];
    private readonly long[] _count = new long[Flows];  // records written (the transmit thread's; published after the record)
    private readonly long[] _least = new long[Flows];  // the flow's shortest round trip so far (receive thread's; µs)
    private readonly uint[] _end = new uint[Flows * Records]; // the sequence number after the newest segment sent
    private readonly long[] _at = new long[Flows * Records];  // when it was sent (µs)
    private readonly long[] _resent = new long[Flows];         // retransmissions recorded (published after the record)
    private readonly uint[] _resentValue = new uint[Flows * Retransmissions]; // a retransmission's timestamp value
    private readonly long[] _resentAt = new long[Flows * Retransmissions];   // when it was sent (µs)
    private int _next;
    private long _tracked;
    private long _recordUntil; // the receive thread's last Track or timed hold + RecordMicros (the transmit thread reads it)

    /// <summary>How long after the last acknowledgement it dated (or the last flow it took on) the transmit thread keeps
    /// reading its packets' headers: once the delay-based flows have gone, or their acknowledgements are no longer held
    /// (the paths' delays came within 2 ms), it stops.</summary>
    public const long RecordMicros = 10_000_000;

    /// <summary>Flows whose send times were recorded (each flow counted once per place it was given).</summary>
    public long Tracked => Volatile.Read(ref _tracked);

    /// <summary>
    /// Transmit thread: the IP packet <paramref name="packet"/> (a segment or a super-packet) goes out at
    /// <paramref name="nowMicros"/>; recorded when it is a segment of a tracked flow with sequence space beyond the
    /// flow's last record, within <see cref="RecordMicros"/> of the last acknowledgement dated (no header is read
    /// otherwise). A retransmission is not a record — an acknowledgement of its sequence space is dated by the first
    /// transmission — but its timestamp value is kept (<see cref="Retransmissions"/>): the acknowledgement of the segment
    /// that fills a hole echoes it, and the sender, which cannot tell which transmission arrived, takes its round trip
    /// from that echo (RFC 7323; Linux for acknowledged retransmitted data).
    /// </summary>
    public void OnSent(ReadOnlySpan<byte> packet, long nowMicros)
    {
        if (nowMicros > Volatile.Read(ref _recordUntil) || !TryReadSender(packet, out TcpSocketId id, out uint end))
        {
            return;
        }

        int flow = Volatile.Read(ref _flowOfSlot[AckHoldFlows.SlotOf(id)]) - 1;
        if (flow < 0 || _owner[flow] != id)
        {
            return;
        }

        long n = _count[flow];
        int at = (flow * Records) + (int)(n & (Records - 1));
        if (n > 0)
        {
            int last = (flow * Records) + (int)((n - 1) & (Records - 1));
            if (unchecked((int)(end - _end[last])) <= 0)
            {
                Resent(flow, packet, nowMicros);
                return;
            }

            if (nowMicros - _at[last] < RecordGapMicros)
            {
                _end[last] = end;
                return;
            }
        }

        _end[at] = end;
        _at[at] = nowMicros;
        Volatile.Write(ref _count[flow], n + 1);
    }

    private void Resent(int flow, ReadOnlySpan<byte> packet, long nowMicros)
    {
        if (!TcpSegment.TryReadTimestamps(packet, out uint value, out _))
        {
            return;
        }

        long n = _resent[flow];
        int newest = (flow * Retransmissions) + (int)((n + Retransmissions - 1) % Retransmissions);
        if (n > 0 && _resentValue[newest] == value)
        {
            _resentAt[newest] = nowMicros;                  // the same value: dated by the latest
            return;
        }

        int at = (flow * Retransmissions) + (int)(n % Retransmissions);
        _resentValue[at] = value;
        _resentAt[at] = nowMicros;
        Volatile.Write(ref _resent[flow], n + 1);
    }

    /// <summary>Receive thread: records the segments of the flow of local socket <paramref name="id"/> from now
    /// (<paramref name="nowMicros"/>) on — it was found delay-based —, in the place of the flow tracked longest when all
    /// are taken; returns its place (for <see cref="HoldMicros(int, ReadOnlySpan{byte}, long, long)"/>).</summary>
    public int Track(in TcpSocketId id, long nowMicros)
    {
        KeepRecording(nowMicros);
        int slot = AckHoldFlows.SlotOf(id);
        int flow = _flowOfSlot[slot] - 1;
        if (flow >= 0 && _owner[flow] == id)
        {
            return flow;
        }

        flow = _next;
        _next = (_next + 1) % Flows;
        if (_flowOfSlot[_slotOfFlow[flow]] == flow + 1)
        {
            Volatile.Write(ref _flowOfSlot[_slotOfFlow[flow]], 0);
        }

        _owner[flow] = id;
        _least[flow] = long.MaxValue;
        Volatile.Write(ref _count[flow], 0);
        Volatile.Write(ref _resent[flow], 0);
        _slotOfFlow[flow] = slot;
        Volatile.Write(ref _flowOfSlot[slot], flow + 1);
        Volatile.Write(ref _tracked, _tracked + 1);
        return flow;
    }

    /// <summary>
    /// Receive thread: how long (µs) the acknowledgement <paramref name="packet"/> (a bare TCP acknowledgement to a local
    /// socket), arrived at <paramref name="nowMicros"/>, should wait so that the round trip its sender measures — from
    /// the newest segment it acknowledges, cumulatively or selectively (<see cref="TcpSegment.NewestAcknowledged"/>), or
    /// from the retransmission whose timestamp it echoes, when that left later — is at least the flow's shortest plus
    /// <paramref name="extraMicros"/>: the
    /// whole <paramref name="extraMicros"/> for one of a flow not recorded yet (its SYN-ACK), or when nothing it
    /// acknowledges was recorded.
    /// </summary>
    public long HoldMicros(ReadOnlySpan<byte> packet, long nowMicros, long extraMicros)
    {
        if (!TcpSocketId.TryReadReceiver(packet, out TcpSocketId id))
        {
            return extraMicros;
        }

        int flow = _flowOfSlot[AckHoldFlows.SlotOf(id)] - 1;
        return flow >= 0 && _owner[flow] == id ? HoldMicros(flow, packet, nowMicros, extraMicros) : extraMicros;
    }

    /// <summary>As <see cref="HoldMicros(ReadOnlySpan{byte}, long, long)"/> for an acknowledgement of the flow in place
    /// <paramref name="flow"/> (<see cref="Track"/>).</summary>
    public long HoldMicros(int flow, ReadOnlySpan<byte> packet, long nowMicros, long extraMicros)
    {
        KeepRecording(nowMicros);
        bool timestamps = TcpSegment.ScanOptions(packet, out uint newest, out _, out uint echo);
        if (!TrySent(flow, newest, out long sent))
        {
            return extraMicros;
        }

        if (timestamps && TryResent(flow, echo, out long resent) && resent > sent)
        {
            sent = resent;
        }

        long taken = nowMicros - sent;
        if (taken < _least[flow])
        {
            _least[flow] = taken;
        }

        return Math.Clamp(_least[flow] + extraMicros - taken, 0, extraMicros);
    }

    /// <summary>When the newest segment that <paramref name="ack"/> covers was sent: the time of the record it ends or
    /// ends inside (a record's segments left within <see cref="RecordGapMicros"/> of its time; the record before may be a
    /// round trip older, when the sender waited for acknowledgements in between); the oldest record's time when it covers
    /// none of them (older segments: a later time, so a longer hold). False with no record.</summary>
    private bool TrySent(int flow, uint ack, out long sent)
    {
        long n = Volatile.Read(ref _count[flow]);
        long first = Math.Max(0, n - Records + 1); // the record being written next may be the oldest one's place
        sent = 0;
        if (n == 0)
        {
            return false;
        }

        // Records' ends increase (mod 2^32): the first one at or after the acknowledgement number, by bisection.
        long lo = first, hi = n - 1;
        if (unchecked((int)(ack - _end[Index(flow, hi)])) > 0)
        {
            sent = _at[Index(flow, hi)]; // beyond the newest record (one being extended): it
            return true;
        }

        while (lo < hi)
        {
            long mid = (lo + hi) / 2;
            if (unchecked((int)(ack - _end[Index(flow, mid)])) > 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        sent = _at[Index(flow, lo)];
        return true;
    }

    /// <summary>When the last of the flow's remembered retransmissions with timestamp value <paramref name="echo"/> was
    /// sent (several segments may carry one value: the latest, the longer hold); false when none is. The values grow
    /// (mod 2^32), so the search, newest first, ends at the first one older than the echo — at once for the
    /// acknowledgement of new data, which echoes a value newer than every retransmission.</summary>
    private bool TryResent(int flow, uint echo, out long sent)
    {
        long n = Volatile.Read(ref _resent[flow]);
        for (long k = n - 1; k >= 0 && k >= n - Retransmissions; k--)
        {
            int at = (flow * Retransmissions) + (int)(k % Retransmissions);
            int age = unchecked((int)(echo - _resentValue[at]));
            if (age == 0)
            {
                sent = _resentAt[at];
                return true;
            }

            if (age > 0)
            {
                break;
            }
        }

        sent = 0;
        return false;
    }

    /// <summary>Keeps the transmit thread recording for <see cref="RecordMicros"/> from <paramref name="nowMicros"/> (the
    /// shared field is written at most once a second).</summary>
    private void KeepRecording(long nowMicros)
    {
        long until = nowMicros + RecordMicros;
        if (until - _recordUntil >= 1_000_000)
        {
            Volatile.Write(ref _recordUntil, until);
        }
    }

    private static int Index(int flow, long record) => (flow * Records) + (int)(record & (Records - 1));

    /// <summary>The local socket that sends <paramref name="packet"/> (a TCP segment in the form
    /// <see cref="TcpSegment.Parse"/> reads) and the sequence number after it (SYN and FIN count one).</summary>
    internal static bool TryReadSender(ReadOnlySpan<byte> packet, out TcpSocketId id, out uint end)
    {
        end = 0;
        TcpSegment segment = TcpSegment.Parse(packet);
        if (segment.Kind == TcpSegmentKind.NotTcp || !TcpSocketId.TryReadSender(packet, out id))
        {
            id = default;
            return false;
        }

        end = unchecked(segment.Sequence + (uint)segment.PayloadLength + (uint)(segment.Flags & TcpSegment.FlagFin)
            + (uint)((segment.Flags & TcpSegment.FlagSyn) >> 1));
        return true;
    }
}
