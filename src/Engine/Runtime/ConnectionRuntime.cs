using System.Runtime.InteropServices;
using MptFast.Engine.Config;
using MptFast.Engine.Mapping;
using MptFast.Engine.Reorder;
using MptFast.Engine.Scheduling;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Runtime;

/// <summary>What an MptFast peer's probes say (MptFast only; an original peer sends plain keepalives).</summary>
[Flags]
public enum PeerFeatures
{
    None = 0,

    /// <summary>The peer sent a probe: it is MptFast.</summary>
    MptFast = 1,

    /// <summary>It asks for per-path sequence numbers (it reports losses).</summary>
    PathSequence = 2,

    /// <summary>It reorders what it receives.</summary>
    Reorders = 4,

    /// <summary>It takes give-up notices (<see cref="Wire.LossRangeKind.GiveUp"/>).</summary>
    GiveUps = 8,
}

/// <summary>
/// One running connection. Ownership: the transmit thread owns <see cref="Scheduler"/> and the sequence counter, the
/// receive thread owns <see cref="Reorder"/>, the control thread writes path statuses and publishes
/// <see cref="OkMask"/>, which the transmit thread reads once per packet.
/// </summary>
public sealed class ConnectionRuntime
{
    private int _okMask;
    private int _peerFeatures;
    private long _probeActivityPackets; // receive thread only (CarriedDataLately)
    private long _probeActiveUntilTicks;

    // Written by the transmit thread for every packet; kept off the cache lines of the fields the receive thread reads
    // for every packet (Reorder, the tunnel addresses).
    private TransmitState _transmit;

    public ConnectionRuntime(int index, ConnectionConfig config, PathRuntime[] paths, PortMapTable portMap, Address16 localTunnel, Address16 remoteTunnel)
    {
        Index = index;
        Config = config;
        ProbeKey = config.AuthType == 2 ? new HmacSha256(ControlAuth.DeriveKey(config.AuthKey)) : null;
        Paths = paths;
        PortMap = portMap;
        LocalTunnel = localTunnel;
        RemoteTunnel = remoteTunnel;
        int[] weights = new int[paths.Length];
        for (int i = 0; i < paths.Length; i++)
        {
            weights[i] = paths[i].Config.WeightOut;
        }

        Scheduler = new PathScheduler(weights, PathScheduler.BurstSegmentsFor(config.ReorderWindow));
        Adaptive = new AdaptiveScheduler(weights);

        // A path goes stale when its probes stop coming back: a few probe intervals (the fast ones, or the keepalives').
        long probeMicros = config.ProbeIntervalMs > 0
            ? config.ProbeIntervalMs * 1000L
            : paths.Select(p => p.Config.KeepaliveMs).Where(k => k > 0).DefaultIfEmpty(1000).Min() * 1000L;
        Adaptive.StaleAfterMicros = Math.Max(AdaptiveScheduler.DefaultStaleAfterMicros, 4 * probeMicros);
        SendSequence = config.ReorderWindow > 0;
        if (config.ReorderWindow > 0)
        {
            // PERFORMANCE-NOTES "Reordering without killing TCP": a fixed max_buffdelay hold (300–900 ms in the
            // original's configs) collapses TCP; the hold follows the measured reorder delay between the paths,
            // from HoldFloorMs up to max_buffdelay (MPT-SPEC §7).
            long max = TimeSpanToTicks(config.MaxBuffDelayMs);
            Reorder = new ReorderBuffer(config.ReorderWindow, max)
            {
                Adaptive = new AdaptiveHold(Math.Min(TimeSpanToTicks(HoldFloorMs), max), max),
            };
        }

        RecomputeOkMask();
    }

    /// <summary>equalize_delay = auto: how much longer than its shortest a delay-based sender's round trip should measure
    /// (µs; 0 = nothing held) — h, what its window needs to fill every path (<c>DelayLine.AckExtraMicros</c>), at most
    /// the forward delay spread (the wait a segment has at the peer's reorder buffer while the paths carry data
    /// together). Receive thread writes, the status reads.</summary>
    public long AckFloorMicros
    {
        get => Volatile.Read(ref _ackFloorMicros);
        set => Volatile.Write(ref _ackFloorMicros, value);
    }

    private long _ackFloorMicros;

    /// <summary>Shortest adaptive reorder hold, in milliseconds.</summary>
    public const int HoldFloorMs = 1;

    public int Index { get; }

    public ConnectionConfig Config { get; }

    /// <summary>The control key K (MPT-SPEC §4.4) when the connection authenticates with SHA-256: its probes carry a MAC
    /// with it, and only probes with a valid one are taken (<see cref="ProbeCodec"/>). Null otherwise.</summary>
    public HmacSha256? ProbeKey { get; }

    public PathRuntime[] Paths { get; }

    public PortMapTable PortMap { get; }

    public Address16 LocalTunnel { get; }

    public Address16 RemoteTunnel { get; }

    public byte IpVersion => (byte)(Config.IpVer == 6 ? 6 : 4);

    /// <summary>Weighted selection and port-map override (transmit thread only).</summary>
    public PathScheduler Scheduler { get; }

    /// <summary>MPT-SPEC §2.3: data packets carry S + sequence when our own reorder_window &gt; 0.</summary>
    public bool SendSequence { get; }

    /// <summary>Earliest-arrival scheduling and the learnt path rates (transmit thread only). Chooses paths with the
    /// adaptive scheduler; with the weighted one it still sizes the bursts in time once the paths are measured.</summary>
    public AdaptiveScheduler Adaptive { get; }

    /// <summary>What the peer's probes said it is and can do (receive thread writes, others read); None until a probe
    /// arrived — an original peer never sends one.</summary>
    public PeerFeatures Peer
    {
        get => (PeerFeatures)Volatile.Read(ref _peerFeatures);
        set => Volatile.Write(ref _peerFeatures, (int)value);
    }

    /// <summary>
    /// Receive thread: whether the connection carried data lately, so fast probes are worth their packets. An idle
    /// connection is measured by its keepalives (probes too) alone: a server with a hundred idle clients sends 2 × 100
    /// keepalives a second, not 2 × 100 × 50 probes (issue 15). Data in either direction (the paths' packet counters,
    /// read here as the status does) keeps it active for <paramref name="holdTicks"/>.
    /// </summary>
    public bool CarriedDataLately(long nowTicks, long holdTicks)
    {
        long packets = 0;
        foreach (PathRuntime p in Paths)
        {
            packets += Volatile.Read(ref p.Counters.Tx.Packets) + p.Counters.Rx.Packets;
        }

        if (packets != _probeActivityPackets)
        {
            _probeActivityPackets = packets;
            _probeActiveUntilTicks = nowTicks + holdTicks;
        }

        return nowTicks < _probeActiveUntilTicks;
    }

    /// <summary>This end asks the peer for per-path sequence numbers: it reports losses and can place retransmissions
    /// (loss recovery on, and a reorder buffer to put them in sequence).</summary>
    public bool WantsPathSequence => Config.LossRecovery && Reorder is not null;

    /// <summary>Data to the peer carries per-path sequence numbers (GRE key) and lost packets are sent again: the peer
    /// asked for them, and this end sends connection sequence numbers and has loss recovery on.</summary>
    public bool SendsPathSequence => SendSequence && Config.LossRecovery && (Peer & PeerFeatures.PathSequence) != 0;

    /// <summary>Next sequence number (transmit thread only). One counter per connection, from 0, whatever the path (§2.3).</summary>
    public uint NextSequence
    {
        get => _transmit.NextSequence;
        set => _transmit.NextSequence = value;
    }

    /// <summary>Receive reorder buffer when reorder_window &gt; 0 (receive thread only).</summary>
    public ReorderBuffer? Reorder { get; }

    /// <summary>Bit i set = path i is OK (0x00). Written by the control thread, read by the transmit thread.</summary>
    public uint OkMask => (uint)Volatile.Read(ref _okMask);

    /// <summary>Packets dropped because no path was OK (transmit thread).</summary>
    public long DropNoPath => Volatile.Read(ref _transmit.DropNoPath);

    public void CountNoPath() => _transmit.DropNoPath++;

    /// <summary>
    /// Continues <paramref name="previous"/> (the same connection before a reload or restart, datapath threads
    /// stopped): the sequence counter runs on (MPT-SPEC §2.3: one counter per connection) and the drop count is kept.
    /// </summary>
    public void ContinueFrom(ConnectionRuntime previous)
    {
        ArgumentNullException.ThrowIfNull(previous);
        NextSequence = previous.NextSequence;
        _transmit.DropNoPath = previous.DropNoPath;
        Peer = previous.Peer;
    }

    public void RecomputeOkMask()
    {
        uint mask = 0;
        for (int i = 0; i < Paths.Length; i++)
        {
            if (Paths[i].Status == PathStatus.Ok)
            {
                mask |= 1u << i;
            }
        }

        Volatile.Write(ref _okMask, (int)mask);
    }

    private static long TimeSpanToTicks(int milliseconds) => milliseconds * System.Diagnostics.Stopwatch.Frequency / 1000;

    /// <summary>The transmit thread's fields, a cache line of padding on either side wherever the runtime places them.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct TransmitState
    {
        [FieldOffset(64)]
        public uint NextSequence;

        [FieldOffset(72)]
        public long DropNoPath;
    }
}
