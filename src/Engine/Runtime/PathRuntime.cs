using System.Diagnostics;
using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Measurement;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Runtime;

/// <summary>
/// One running path: its resolved addresses, socket, status and counters. The control thread is the only writer of
/// <see cref="Status"/>; the receive thread is the only writer of <see cref="LastKeepaliveTicks"/>.
/// </summary>
public sealed class PathRuntime
{
    private int _status;
    private long _lastKeepaliveTicks;
    private PathEndpoint _endpoint;

    public PathRuntime(int index, PathConfig config, IPAddress localAddress, IPAddress publicAddress, IPAddress remoteAddress)
    {
        Index = index;
        Config = config;
        LocalAddress = localAddress;
        PublicAddress = publicAddress;
        RemoteAddress = remoteAddress;
        _endpoint = new PathEndpoint(remoteAddress, 0);
        _status = (int)config.Status;
    }

    public int Index { get; }

    public PathConfig Config { get; }

    /// <summary>The address the data socket is bound to (private_ipaddr, auto-detected when 0.0.0.0 — MPT-SPEC §9.9).</summary>
    public IPAddress LocalAddress { get; }

    /// <summary>The address the peer knows for this end (public_ipaddr; the private one when unset — never an outside lookup).</summary>
    public IPAddress PublicAddress { get; }

    /// <summary>The configured (announced) remote address: the path's identity in status changes and socket reuse.</summary>
    public IPAddress RemoteAddress { get; }

    /// <summary>The current remote address in 16-byte form, for the per-datagram sender check (MPT-SPEC §2.6 step 3).</summary>
    public Address16 Remote => Endpoint.Address16;

    /// <summary>Times the peer's data port moved (<see cref="PathMoves.FollowPort"/>; receive thread).</summary>
    public long PortMoves => Volatile.Read(ref PortMovesField);

    internal long PortMovesField;

    /// <summary>Where the path sends now and whom it accepts (see <see cref="PathEndpoint"/>; <see cref="PathMoves"/>
    /// moves it). Any thread reads; the control thread (address) and the receive thread (port) publish.</summary>
    public PathEndpoint Endpoint
    {
        get => Volatile.Read(ref _endpoint);
        internal set => Volatile.Write(ref _endpoint, value);
    }

    public IPathSocket? Socket { get; set; }

    /// <summary>Packet counters; a path that continues across a reload keeps its object (<see cref="ContinueFrom"/>).</summary>
    public PathCounters Counters { get; private set; } = new();

    /// <summary>Probes, estimates and loss detection with an MptFast peer.</summary>
    public PathMeasurement Measurement { get; } = new();

    /// <summary>
    /// Takes over the counters and liveness state of <paramref name="previous"/>, the same path before a reload or
    /// restart (control thread, while the datapath threads are stopped). The status is the caller's choice.
    /// </summary>
    public void ContinueFrom(PathRuntime previous)
    {
        ArgumentNullException.ThrowIfNull(previous);
        Counters = previous.Counters;
        Measurement.ContinueFrom(previous.Measurement);
        if (previous.RemoteAddress.Equals(RemoteAddress) && previous.Socket == Socket)
        {
            Endpoint = previous.Endpoint; // a peer found behind NAT stays found across a rebuild (same socket, same target)
        }

        LastKeepaliveTicks = previous.LastKeepaliveTicks;
        NextKeepaliveTicks = previous.NextKeepaliveTicks;
        StatusChangedTicks = previous.StatusChangedTicks;
        StatusOrigin = previous.StatusOrigin;
        LinkUp = previous.LinkUp;
    }

    public PathStatus Status
    {
        get => (PathStatus)Volatile.Read(ref _status);
        set => Volatile.Write(ref _status, (int)value);
    }

    /// <summary>Why the status was last set: the link monitor's 0x81 is lifted by it, a manual one only by a command.</summary>
    public StatusOrigin StatusOrigin { get; set; } = StatusOrigin.Config;

    /// <summary>Monotonic time of the last status change (control thread).</summary>
    public long StatusChangedTicks { get; set; } = Stopwatch.GetTimestamp();

    /// <summary>Monotonic time of the last keepalive received (receive thread writes, control thread reads).</summary>
    public long LastKeepaliveTicks
    {
        get => Volatile.Read(ref _lastKeepaliveTicks);
        set => Volatile.Write(ref _lastKeepaliveTicks, value);
    }

    /// <summary>How long the highest learnt rate of the path is kept for h (<see cref="RatePeak"/>): BBR's window of its
    /// shortest round trip.</summary>
    public const long RatePeakMicros = 10_000_000;

    /// <summary>
    /// Receive thread (equalize_delay = acks or auto): the highest learnt forward rate of the path in the last
    /// <see cref="RatePeakMicros"/>, the path's weight in h (<c>RxPump.UpdateEqualization</c>). The learnt rate itself
    /// falls while the path is under-used — BBR's ProbeRTT leaves the slow path nearly idle, and a probe behind a packet or
    /// two there shows a queue while the path is fed what it delivers —, h fell with it (15+5 Mbit/s at 1/25 ms: 15 → 4.5
    /// ms), and a BBR sender keeps the shortest round trip it saw then for 10 s, its window too small for the slow path.
    /// </summary>
    internal WindowedExtremum RatePeak = new(RatePeakMicros, max: true);

    /// <summary>How long the receiver holds this path's packets to bring its delay to the usable paths' mean
    /// (<c>equalize_delay</c>; Stopwatch ticks, 0 = not held). The receive thread writes it, the status reads it.</summary>
    public long EqualizeTicks
    {
        get => Volatile.Read(ref _equalizeTicks);
        set => Volatile.Write(ref _equalizeTicks, value);
    }

    private long _equalizeTicks;

    /// <summary>When the next keepalive is due (control thread).</summary>
    public long NextKeepaliveTicks { get; set; }

    /// <summary>Last known link state of <c>interface_name</c> (control thread; null = unknown / not checked).</summary>
    public bool? LinkUp { get; set; }

    public override string ToString() => $"path {Index} {PublicAddress} -> {RemoteAddress} ({Config.InterfaceName})";
}

/// <summary>Who set a path's status.</summary>
public enum StatusOrigin
{
    Config,
    Keepalive,
    DeadTimer,
    LinkMonitor,
    Command,
    Peer,
}
