namespace MptFast.Engine.Config;

/// <summary><c>conf/interface.conf</c>: tunnel interface and global settings (MPT-SPEC §5.3).</summary>
public sealed record InterfaceConfig
{
    /// <summary>The one command port default for daemon and CLI alike (MPT-SPEC §4.1, B89: the original's differ).</summary>
    public const ushort DefaultCommandPort = 60456;

    public int TunnelNum { get; init; } = 1;

    public bool AcceptRemote { get; init; }

    /// <summary>Default of <see cref="MaxRemoteConnections"/>: room for a server with hundreds of clients.</summary>
    public const int DefaultMaxRemoteConnections = 1024;

    /// <summary>
    /// <c>[general] max_remote_connections</c> (our key): most connections peers may create here (<c>accept_remote</c>,
    /// MPT-SPEC §4.7) — a peer holding the template key cannot grow the daemon without bound. 0 = none.
    /// </summary>
    public int MaxRemoteConnections { get; init; } = DefaultMaxRemoteConnections;

    public ushort CommandPort { get; init; } = DefaultCommandPort;

    /// <summary>CLI only: seconds to wait for each reply datagram.</summary>
    public int CommandTimeoutSeconds { get; init; } = 15;

    public int InterfaceNum { get; init; }

    /// <summary>Where MptFast's own CLI finds the daemon (issue 14): a Unix socket, root only unless <see cref="ControlGroup"/>.</summary>
    public const string DefaultControlSocket = "/run/mptfast/control.sock";

    /// <summary>Serve the original's CLI on the UDP command port from loopback (MPT-SPEC §4.8). Off by default: any
    /// local user could drive it (B59). MptFast-only key; the original ignores unknown keys (§5).</summary>
    public bool CliUdp { get; init; }

    /// <summary>The local control socket's path (<c>control_socket</c>).</summary>
    public string ControlSocket { get; init; } = DefaultControlSocket;

    /// <summary>A group admitted on the control socket beside root (<c>control_gid</c>, numeric); null = root only.</summary>
    public uint? ControlGroup { get; init; }

    public string TunName { get; init; } = "tun0";

    public int Mtu { get; init; } = 1440;

    /// <summary>MptFast: where the Prometheus metrics endpoint listens (<c>metrics_listen</c>); null = no endpoint.</summary>
    public System.Net.IPEndPoint? MetricsListen { get; init; }

    /// <summary>Tunnel IPv4 address; null when absent or configured with prefix length 0.</summary>
    public IpPrefix? Ipv4Address { get; init; }

    /// <summary>Tunnel IPv6 address; null when absent or configured with prefix length 0.</summary>
    public IpPrefix? Ipv6Address { get; init; }
}
