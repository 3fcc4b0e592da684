namespace MptFast.Engine.Config;

/// <summary><c>conf/interface.conf</c>: tunnel interface and global settings (MPT-SPEC §5.3).</summary>
public sealed record InterfaceConfig
{
    /// <summary>The one command port default for daemon and CLI alike (MPT-SPEC §4.1, B89: the original's differ).</summary>
    public const ushort DefaultCommandPort = 60456;

    public int TunnelNum { get; init; } = 1;

    public bool AcceptRemote { get; init; }

    public ushort CommandPort { get; init; } = DefaultCommandPort;

    /// <summary>CLI only: seconds to wait for each reply datagram.</summary>
    public int CommandTimeoutSeconds { get; init; } = 15;

    public int InterfaceNum { get; init; }

    public string TunName { get; init; } = "tun0";

    public int Mtu { get; init; } = 1440;

    /// <summary>MptFast: where the Prometheus metrics endpoint listens (<c>metrics_listen</c>); null = no endpoint.</summary>
    public System.Net.IPEndPoint? MetricsListen { get; init; }

    /// <summary>Tunnel IPv4 address; null when absent or configured with prefix length 0.</summary>
    public IpPrefix? Ipv4Address { get; init; }

    /// <summary>Tunnel IPv6 address; null when absent or configured with prefix length 0.</summary>
    public IpPrefix? Ipv6Address { get; init; }
}
