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
