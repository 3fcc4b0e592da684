using System.Diagnostics;
using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Status;

/// <summary>
/// The daemon's state at one moment: the one model every status view renders — the original's text
/// (<see cref="StatusText"/>, MPT-SPEC §9.11), JSON for scripts and tests (<see cref="StatusJson"/>), and metrics built
/// on it. Captured on the control thread (or racily elsewhere, e.g. the console menu): every counter is one
/// <see cref="Volatile.Read(ref long)"/> of a field its writer thread bumps, so a snapshot may mix instants but never
/// tears a number.
/// </summary>
/// <param name="Tunnel">The TUN interface, the command port and the datapath threads' counters.</param>
/// <param name="Control">The control plane's counters; null before the control loop exists.</param>
/// <param name="Connections">Every running connection, in order.</param>
public sealed record StatusSnapshot(TunnelReport Tunnel, ControlReport? Control, IReadOnlyList<ConnectionReport> Connections);

/// <summary>The tunnel as a whole.</summary>
/// <param name="Interface">interface.conf as in effect (accept_remote follows a reload).</param>
/// <param name="TunFd">The TUN device's descriptor (the original shows it).</param>
/// <param name="CommandPort">The bound command port (the ephemeral one when configured as 0).</param>
/// <param name="Uptime">Time since the daemon started.</param>
/// <param name="DroppedNoConnection">Packets from the TUN that belong to no connection (MPT-SPEC §2.7).</param>
/// <param name="TxThreadAllocatedBytes">Bytes the transmit thread allocated since it started (0 in the steady state).</param>
/// <param name="RxThreadAllocatedBytes">The same for the receive thread.</param>
/// <param name="Datapath">The pumps' own counters (offloads, re-polls…), continued across reloads.</param>
public sealed record TunnelReport(InterfaceConfig Interface, int TunFd, ushort CommandPort, TimeSpan Uptime, long DroppedNoConnection,
    long TxThreadAllocatedBytes, long RxThreadAllocatedBytes, CounterSnapshot Datapath)
{
    /// <summary>The whole process's managed memory (every thread, not only the datapath's); null in a report built
    /// without it (tests).</summary>
    public ProcessMemoryReport? Memory { get; init; }
}

/// <summary>The process's managed memory: what a soak watches to tell a leak from the garbage collector's rhythm.</summary>
/// <param name="AllocatedBytes">Bytes allocated by every thread since the start (<see cref="GC.GetTotalAllocatedBytes"/>).</param>
/// <param name="HeapBytes">The managed heap's size after the last collection.</param>
/// <param name="Collections">Collections per generation 0, 1, 2.</param>
public sealed record ProcessMemoryReport(long AllocatedBytes, long HeapBytes, GcCollections Collections)
{
    /// <summary>Reads the runtime's figures now.</summary>
    public static ProcessMemoryReport Capture() =>
        new(GC.GetTotalAllocatedBytes(false), GC.GetGCMemoryInfo().HeapSizeBytes,
            new GcCollections(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)));
}

/// <summary>Garbage collections per generation.</summary>
public readonly record struct GcCollections(int Gen0, int Gen1, int Gen2);

/// <summary>The control plane's counters (MPT-SPEC §9.7: rejected control messages are reported with the reason).</summary>
/// <param name="Counters">Requests answered, keepalives accepted, notifications, handshakes…</param>
/// <param name="Rejected">Datagrams rejected, per reason (every reason listed).</param>
public sealed record ControlReport(CounterSnapshot Counters, CounterSnapshot Rejected);

/// <summary>One running connection.</summary>
/// <param name="Config">Its configuration as running (start-time overrides applied, MPT-SPEC §5.9).</param>
/// <param name="IpVersion">4 or 6.</param>
/// <param name="DroppedNoPath">Packets dropped because no path was OK.</param>
/// <param name="Reorder">The reorder buffer's counters when the connection reorders.</param>
/// <param name="Paths">Its paths, by index.</param>
/// <param name="Peer">What the peer's probes said (none from an original peer).</param>
/// <param name="ReorderHoldMicros">The reorder buffer's current hold and its bounds (µs), when the connection reorders.</param>
/// <param name="AckFloorMicros">equalize_delay = auto: how much longer than its shortest a delay-based sender's round trip
/// is made to measure (µs, 0 = nothing held).</param>
public sealed record ConnectionReport(ConnectionConfig Config, byte IpVersion, long DroppedNoPath, CounterSnapshot? Reorder,
    IReadOnlyList<PathReport> Paths, PeerFeatures Peer = PeerFeatures.None, (long Hold, long Floor, long Max)? ReorderHoldMicros = null,
    long AckFloorMicros = 0)
{
    /// <summary>Data packets sent over all paths (the original's "Packets sent out").</summary>
    public long PacketsSent => Paths.Sum(p => p.Traffic[PathReport.TxPackets]);

    /// <summary>Reads <paramref name="c"/> now.</summary>
    public static ConnectionReport Capture(ConnectionRuntime c, long now)
    {
        ArgumentNullException.ThrowIfNull(c);
        CounterSnapshot? reorder = c.Reorder is { } r
            ? new CounterSnapshot()
                .Add("delivered", r.Delivered)
                .Add("held", r.Held)
                .Add("delivered_late", r.DeliveredLate)
                .Add("dropped_late", r.DroppedLate)
                .Add("dropped_duplicate", r.DroppedDuplicate)
                .Add("resyncs", r.Resyncs)
                .Add("gaps_skipped", r.GapsSkipped)
                .Add("gaps_given_up", r.GapsGivenUp)
            : null;
        (long, long, long)? hold = c.Reorder?.Adaptive is { } h
            ? (MonotonicClock.ToMicros(h.HoldTicks), MonotonicClock.ToMicros(h.FloorTicks), MonotonicClock.ToMicros(h.MaxTicks))
            : null;
        return new ConnectionReport(c.Config, c.IpVersion, c.DropNoPath, reorder,
            [.. c.Paths.Select(p => PathReport.Capture(p, now, c.Adaptive.RateOf(p.Index)))], c.Peer, hold,
            c.AckFloorMicros);
    }
}

/// <summary>One path of a running connection.</summary>
/// <param name="Index">Its index in the connection.</param>
/// <param name="Config">Its configuration.</param>
/// <param name="Local">The address its socket is bound to.</param>
/// <param name="Public">The address the peer knows for this end.</param>
/// <param name="Remote">The peer's address.</param>
/// <param name="Status">Its run-time status (MPT-SPEC §8).</param>
/// <param name="LinkUp">Last known link state of its interface (null: unknown).</param>
/// <param name="LastKeepaliveAge">Time since the last keepalive arrived; null when none ever did.</param>
/// <param name="Traffic">Packets, bytes and keepalives each way (<see cref="PathCounters.Traffic"/>).</param>
/// <param name="Socket">The socket's own counters (<see cref="PathSocketCounters.Snapshot"/>); null without a socket.</param>
/// <param name="Drops">Drops by reason (<see cref="PathCounters.Drops"/>).</param>
/// <param name="Measurement">What the probes measured (RTT, delays, rates, loss) and the loss recovery's counters.</param>
public sealed record PathReport(int Index, PathConfig Config, IPAddress Local, IPAddress Public, IPAddress Remote, PathStatus Status,
    bool? LinkUp, TimeSpan? LastKeepaliveAge, CounterSnapshot Traffic, CounterSnapshot? Socket, CounterSnapshot Drops,
    CounterSnapshot? Measurement = null)
{
    /// <summary>Where the path sends now (issue 15: a peer found behind NAT differs from <see cref="Remote"/>, the
    /// configured address); null when not captured from a running path.</summary>
    public PathEndpoint? Endpoint { get; init; }

    /// <summary>Names of <see cref="Traffic"/> and <see cref="Drops"/> counters the text report shows by name.</summary>
    internal const string TxPackets = "tx_packets", RxPackets = "rx_packets", TxBytes = "tx_bytes", RxBytes = "rx_bytes",
        KeepalivesSent = "keepalives_sent", KeepalivesReceived = "keepalives_received";

    /// <summary>Reads <paramref name="p"/> now.</summary>
    public static PathReport Capture(PathRuntime p, long now, double schedulerRate = 0)
    {
        ArgumentNullException.ThrowIfNull(p);
        CounterSnapshot traffic = p.Counters.Traffic();
        TimeSpan? age = traffic[KeepalivesReceived] == 0 ? null : Stopwatch.GetElapsedTime(p.LastKeepaliveTicks, now);
        return new PathReport(p.Index, p.Config, p.LocalAddress, p.PublicAddress, p.RemoteAddress, p.Status, p.LinkUp, age,
            traffic, p.Socket?.Counters.Snapshot(), p.Counters.Drops(),
            p.Measurement.Snapshot(schedulerRate).Gauge("equalize_hold_us", MonotonicClock.ToMicros(p.EqualizeTicks))) { Endpoint = p.Endpoint };
    }
}
