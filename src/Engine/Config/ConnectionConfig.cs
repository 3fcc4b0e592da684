using System.Net;

namespace MptFast.Engine.Config;

/// <summary>Path choice of a connection (MptFast key <c>scheduler</c>).</summary>
public enum SchedulerMode
{
    /// <summary>The original's weighted selection list (MPT-SPEC §6), always.</summary>
    Weighted,

    /// <summary>While the peer is MptFast and its probes measure the paths: each burst on the path where it arrives
    /// first, path rates learnt, no weights needed. Otherwise (an original peer, no measurement yet) the weighted list.</summary>
    Adaptive,
}

/// <summary>A connection file <c>conf/connections/NAME.conf</c> (MPT-SPEC §5.4).</summary>
public sealed record ConnectionConfig
{
    /// <summary>The original's public default key (MPT-SPEC §4.4); only its first 32 characters are used.</summary>
    public const string DefaultAuthKey = "A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF";

    /// <summary>Bare file name (e.g. <c>tunnel.conf</c>): the connection's identity for CLI commands.</summary>
    public string FileName { get; init; } = "";

    public string Name { get; init; } = "connection";

    /// <summary>Permission when the key is absent: send and accept status updates (B57; see ConnectionParser).</summary>
    public const int DefaultPermission = 3;

    /// <summary>Bit 0: may send status updates and create requests; bit 1: accepts them from the peer (enforced, B57).</summary>
    public int Permission { get; init; } = DefaultPermission;

    /// <summary>Inner (tunnel) IP version: 6 or 4 (anything but 6 reads as 4).</summary>
    public int IpVer { get; init; } = 6;

    public IPAddress IpLocal { get; init; } = IPAddress.IPv6Any;

    public ushort LocalPort { get; init; }

    public ushort LocalCmdPort { get; init; } = 65001;

    public IPAddress IpRemote { get; init; } = IPAddress.IPv6Any;

    public ushort RemotePort { get; init; } = 65000;

    /// <summary>Peer's command port. Default = our one command-port default (the original's 65050 never matched its own CLI, B89).</summary>
    public ushort RemoteCmdPort { get; init; } = InterfaceConfig.DefaultCommandPort;

    /// <summary>Informative only (MPT-SPEC §8.2).</summary>
    public int Status { get; init; } = 128;

    /// <summary>Reorder window in sequence numbers (0 = no sequence numbers sent and no reordering, MPT-SPEC §5.4).
    /// With <see cref="ReorderAuto"/> it is the largest window (<see cref="MaxReorderWindow"/>) and the hold follows the
    /// measured path delays.</summary>
    public int ReorderWindow { get; init; }

    /// <summary><c>reorder_window = auto</c> (also what an absent key means with the adaptive scheduler).</summary>
    public bool ReorderAuto { get; init; }

    /// <summary>Largest <c>reorder_window</c> (MPT-SPEC §5.4, B24): also the window of <c>auto</c>.</summary>
    public const int MaxReorderWindow = 10_000;

    public int MaxBuffDelayMs { get; init; } = 100;

    /// <summary>How bursts are placed on the paths (MptFast key <c>scheduler</c>).</summary>
    public SchedulerMode Scheduler { get; init; } = SchedulerMode.Adaptive;

    /// <summary>Retransmit packets an MptFast peer reports lost (MptFast key <c>loss_recovery</c>; needs sequence
    /// numbers, i.e. a reorder window).</summary>
    public bool LossRecovery { get; init; } = true;

    /// <summary>Delay equalisation (MptFast key <c>equalize_delay</c>, default off): the receiver holds the packets of
    /// each path faster than the mean of the usable paths' delays for the difference (at most
    /// <see cref="MaxBuffDelayMs"/>), so the inner flow's minimum round trip is the mean, not the fastest path's. Lets
    /// a delay-based congestion control (BBR) fill every path; costs the faster paths' latency the difference to the
    /// mean. Needs a reorder window and an MptFast peer (its probes measure the delays).</summary>
    public bool EqualizeDelay { get; init; }

    /// <summary>Acknowledgement hold (<c>equalize_delay = acks</c>): the receiver holds the inner TCP's pure ACKs (and
    /// SYN-ACKs) that came over a path faster than the slowest usable one for the difference (at most
    /// <see cref="MaxBuffDelayMs"/>), so the inner flow's minimum round trip covers the slowest path, as
    /// <see cref="EqualizeDelay"/> does, while data, pings and every other packet keep their path's delay. Needs an
    /// MptFast peer (its probes measure the delays).</summary>
    public bool EqualizeAcks { get; init; }

    /// <summary>The default of <c>equalize_delay</c> (<c>auto</c>): the acknowledgements <see cref="EqualizeAcks"/> would
    /// hold, but only those of flows whose sender is a socket of this host with a delay-based congestion control (BBR),
    /// looked up per flow; loss-based senders (CUBIC) and flows forwarded from other hosts are not held. Off when
    /// <c>equalize_delay</c> is 0, 1 or acks.</summary>
    public bool EqualizeAuto { get; init; } = true;

    /// <summary><see cref="EqualizeAuto"/> in effect: neither <see cref="EqualizeDelay"/> nor <see cref="EqualizeAcks"/>
    /// set.</summary>
    public bool HoldsDelayBasedAcks => EqualizeAuto && !EqualizeAcks && !EqualizeDelay;

    /// <summary>Whether the receiver holds acknowledgements at all (<see cref="EqualizeAcks"/> or
    /// <see cref="HoldsDelayBasedAcks"/>).</summary>
    public bool HoldsAcks => EqualizeAcks || HoldsDelayBasedAcks;

    /// <summary>The <c>equalize_delay</c> value that gives this configuration.</summary>
    public string EqualizeKeyword => EqualizeAcks ? "acks" : EqualizeDelay ? "1" : HoldsDelayBasedAcks ? "auto" : "0";

    /// <summary>Default of <see cref="ProbeIntervalMs"/>.</summary>
    public const int DefaultProbeIntervalMs = 20;

    /// <summary>Interval of the measurement probes on each path while the peer is MptFast (MptFast key
    /// <c>probe_interval_msec</c>); 0 = probes only with the keepalives.</summary>
    public int ProbeIntervalMs { get; init; } = DefaultProbeIntervalMs;

    /// <summary>Ask the peer to create this connection's mirror by itself: when loaded, and again when every path has
    /// been down a while (MptFast key <c>auto_create</c>, default off; issue 15).</summary>
    public bool AutoCreate { get; init; }

    public int AuthType { get; init; }

    public string AuthKey { get; init; } = DefaultAuthKey;

    public EquatableArray<PathConfig> Paths { get; init; } = EquatableArray<PathConfig>.Empty;

    public EquatableArray<NetworkConfig> Networks { get; init; } = EquatableArray<NetworkConfig>.Empty;
}
