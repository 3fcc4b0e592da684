using System.Diagnostics;
using MptFast.Engine.Offload;

namespace MptFast.Engine.Datapath;

/// <summary>
/// <c>equalize_delay = auto</c>: which inner TCP flows' acknowledgements are held — those whose sender is a socket of
/// this host with a delay-based congestion control (BBR), looked up per flow (<see cref="ISocketCongestion"/>) and
/// remembered for <see cref="FirstVerdictTicks"/>, then twice as long after each lookup, up to
/// <see cref="VerdictTicks"/>. A loss-based sender (CUBIC) gains nothing from the hold and would pay for it in slow start
/// (a 256 KiB transfer over DSL + LTE 78 → 246 ms, perf/results/ab-2026-12-07-acks), and a flow forwarded from another
/// host cannot be looked up, so neither is held.
/// </summary>
/// <remarks>Receive thread only. A fixed, direct-mapped table (a flow that collides replaces the other, which is looked
/// up again when it comes back) and a token bucket of lookups (<see cref="LookupsPerSecond"/>, burst
/// <see cref="LookupBurst"/>): a flood of new flows costs a bounded number of system calls, and its acknowledgements go
/// on unheld until a lookup is free. Allocates nothing.</remarks>
public sealed class AckHoldFlows
{
    /// <summary>Flows remembered at once.</summary>
    public const int Capacity = 4096;

    /// <summary>Lookups per second at most (each one sock_diag request and its answer, a few µs).</summary>
    public const int LookupsPerSecond = 2000;

    /// <summary>Lookups at once after a quiet spell.</summary>
    public const int LookupBurst = 32;

    /// <summary>How long a verdict holds at most before the flow is looked up again (its socket may be gone and the
    /// four-tuple used again, or its congestion control changed).</summary>
    public static readonly long VerdictTicks = Stopwatch.Frequency * 10;

    /// <summary>How long a new flow's first verdict holds; each later one of the same flow twice as long as the one
    /// before, up to <see cref="VerdictTicks"/>. An application may choose its congestion control after connecting
    /// (iperf3 -C does): the first lookup, at the SYN-ACK, finds the host's default, and holding CUBIC's
    /// acknowledgements for 10 s on that answer cost a 20-s transfer half of them (perf/results/ab-2026-12-07-auto).</summary>
    public static readonly long FirstVerdictTicks = Stopwatch.Frequency / 20;

    private readonly ISocketCongestion _lookup;
    private readonly TcpSocketId[] _ids = new TcpSocketId[Capacity];
    private readonly long[] _until = new long[Capacity]; // 0: empty
    private readonly bool[] _hold = new bool[Capacity];
    private readonly long[] _period = new long[Capacity]; // how long the slot's verdict lasts (doubling per lookup)
    private readonly long _ticksPerLookup = Math.Max(1, Stopwatch.Frequency / LookupsPerSecond);
    private long _budgetTicks; // the bucket: the time from which lookups are paid (full = now - burst × interval)
    private long _lookups;
    private long _delayBased;
    private long _notFound;
    private long _deferred;

    /// <summary>A table looking flows up with <paramref name="lookup"/>.</summary>
    public AckHoldFlows(ISocketCongestion lookup)
    {
        _lookup = lookup;
    }

    /// <summary>The table slot of the flow of local socket <paramref name="id"/> (also <see cref="SendTimes"/>').</summary>
    public static int SlotOf(in TcpSocketId id) => id.GetHashCode() & (Capacity - 1);

    /// <summary>Lookups made.</summary>
    public long Lookups => _lookups;

    /// <summary>Lookups that found a delay-based congestion control (those flows' acknowledgements are held).</summary>
    public long DelayBased => _delayBased;

    /// <summary>Lookups that found no socket of this host (forwarded flows; not held).</summary>
    public long NotFound => _notFound;

    /// <summary>Acknowledgements whose flow was due for a lookup when the lookups were used up: a new flow's went on
    /// unheld, a known flow's kept its last answer.</summary>
    public long Deferred => _deferred;

    /// <summary>True when the bare acknowledgement <paramref name="packet"/> (an IP packet) belongs to a flow whose local
    /// sender is delay-based; <paramref name="now"/> in Stopwatch ticks.</summary>
    public bool Holds(ReadOnlySpan<byte> packet, long now) => Holds(packet, now, out _);

    /// <inheritdoc cref="Holds(ReadOnlySpan{byte}, long)"/>
    /// <param name="packet">The acknowledgement.</param>
    /// <param name="now">Now, in Stopwatch ticks.</param>
    /// <param name="id">The local socket it is for.</param>
    public bool Holds(ReadOnlySpan<byte> packet, long now, out TcpSocketId id)
    {
        if (!TcpSocketId.TryReadReceiver(packet, out id))
        {
            return false;
        }

        int slot = SlotOf(id);
        bool known = _until[slot] != 0 && _ids[slot] == id;
        if (known && _until[slot] > now)
        {
            return _hold[slot];
        }

        long floor = now - (LookupBurst * _ticksPerLookup);
        if (_budgetTicks < floor)
        {
            _budgetTicks = floor;
        }

        if (_budgetTicks + _ticksPerLookup > now)
        {
            _deferred++;
            return known && _hold[slot];
        }

        _budgetTicks += _ticksPerLookup;
        _lookups++;
        SocketCongestion found = _lookup.Lookup(id);
        bool hold = found == SocketCongestion.DelayBased;
        _delayBased += hold ? 1 : 0;
        _notFound += found == SocketCongestion.Unknown ? 1 : 0;
        long period = known ? Math.Min(_period[slot] * 2, VerdictTicks) : FirstVerdictTicks;
        _ids[slot] = id;
        _hold[slot] = hold;
        _period[slot] = period;
        _until[slot] = now + period;
        return hold;
    }
}
