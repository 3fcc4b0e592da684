using System.Net;
using MptFast.Engine.Mapping;

namespace MptFast.Engine.Config;

/// <summary>A <c>[path_N]</c> section (MPT-SPEC §5.5).</summary>
public sealed record PathConfig
{
    public string InterfaceName { get; init; } = "unnamed_path";

    /// <summary>Outer IP version of the path: 6 or 4 (anything but 6 reads as 4).</summary>
    public int IpVer { get; init; } = 4;

    public bool CmdDefault { get; init; }

    /// <summary>Next hop towards the remote address; the unspecified address means "auto-detect locally" (§9.9).</summary>
    public IPAddress GatewayAddress { get; init; } = IPAddress.Any;

    /// <summary>Address the data socket binds to; IPv4 0.0.0.0 means "the interface's first IPv4 address" (§9.9).</summary>
    public IPAddress PrivateAddress { get; init; } = IPAddress.Any;

    /// <summary>Address the peer knows for this end. Unspecified means "same as private" — never an outside lookup (§9.9, B82).</summary>
    public IPAddress PublicAddress { get; init; } = IPAddress.Any;

    /// <summary>The config said <c>public_ipaddr = private_ipaddr</c> (the word).</summary>
    public bool PublicIsPrivate { get; init; }

    public IPAddress RemoteAddress { get; init; } = IPAddress.Any;

    /// <summary>Keepalive interval in seconds; 0 = none (0–255, §3.7).</summary>
    public int KeepaliveTime { get; init; }

    /// <summary>Silence in seconds after which the path is down; 0 = never. Default 3 × keepalive_time.</summary>
    public int DeadTime { get; init; }

    /// <summary>
    /// MptFast's <c>keepalive_msec</c>: the keepalive interval in milliseconds, overriding <see cref="KeepaliveTime"/>
    /// for MptFast; null when not configured. The original ignores the key (it reads only the keys it knows, MPT-SPEC
    /// §5.2, §5.12), so a file with both keeps its whole-second meaning there.
    /// </summary>
    public int? KeepaliveMsec { get; init; }

    /// <summary>
    /// MptFast's <c>dead_time_msec</c>: the dead time in milliseconds, overriding <see cref="DeadTime"/>; null when not
    /// configured (the parser sets 3 × <see cref="KeepaliveMsec"/> when only that is given, as §5.5 for the seconds).
    /// </summary>
    public int? DeadTimeMsec { get; init; }

    /// <summary>The keepalive interval MptFast uses, in milliseconds; 0 = no keepalives (MPT-SPEC §3.2).</summary>
    public int KeepaliveMs => KeepaliveMsec ?? KeepaliveTime * 1000;

    /// <summary>The dead time MptFast uses, in milliseconds; 0 = never declared dead (MPT-SPEC §3.5).</summary>
    public int DeadMs => DeadTimeMsec ?? DeadTime * 1000;

    public int WeightIn { get; init; } = 1;

    public int WeightOut { get; init; } = 1;

    /// <summary>Parsed and ignored, as the original (§5.5).</summary>
    public int WindowSize { get; init; } = 1;

    public PathStatus Status { get; init; } = PathStatus.Ok;

    public EquatableArray<PortRange> TcpSrc { get; init; } = EquatableArray<PortRange>.Empty;

    public EquatableArray<PortRange> TcpDst { get; init; } = EquatableArray<PortRange>.Empty;

    public EquatableArray<PortRange> UdpSrc { get; init; } = EquatableArray<PortRange>.Empty;

    public EquatableArray<PortRange> UdpDst { get; init; } = EquatableArray<PortRange>.Empty;

    public EquatableArray<PortRange> PortMap(PortMapKey key) => key switch
    {
        PortMapKey.TcpSrc => TcpSrc,
        PortMapKey.TcpDst => TcpDst,
        PortMapKey.UdpSrc => UdpSrc,
        _ => UdpDst,
    };
}
