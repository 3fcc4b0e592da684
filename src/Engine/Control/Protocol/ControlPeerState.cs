using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Control.Protocol;

/// <summary>
/// Daemon-wide settings the control protocol needs (MPT-SPEC §4.1, §4.4, §4.7): <c>accept_remote</c>, the command
/// port, this daemon's tunnel addresses and the global key K. Immutable; the daemon builds a new one on reload.
/// </summary>
public sealed record ControlPeerState
{
    /// <summary><c>[general] accept_remote</c>: whether peers may create connections here (§4.5 step 7).</summary>
    public bool AcceptRemote { get; init; }

    /// <summary><c>[general] max_remote_connections</c>: most connections peers may create (issue 14 item 6).</summary>
    public int MaxRemoteConnections { get; init; } = InterfaceConfig.DefaultMaxRemoteConnections;

    /// <summary>The daemon's command port (<c>cmdport_local</c>); written into created connections (§4.7 table).</summary>
    public ushort CommandPort { get; init; } = InterfaceConfig.DefaultCommandPort;

    /// <summary><c>[tun_0] ipv4_addr</c> without prefix; the local tunnel address of a created IPv4 connection.</summary>
    public IPAddress? TunnelIpv4 { get; init; }

    /// <summary><c>[tun_0] ipv6_addr</c> without prefix; the local tunnel address of a created IPv6 connection.</summary>
    public IPAddress? TunnelIpv6 { get; init; }

    /// <summary>
    /// The global key K (32 bytes): the template's <c>auth_key</c>, else the default key, zero-padded to 32 bytes
    /// (MPT-SPEC §4.4, B47 Required: original daemons keep default-key bytes after a short template key).
    /// </summary>
    public byte[] GlobalKey { get; init; } = ControlAuth.DeriveKey(ConnectionConfig.DefaultAuthKey);

    /// <summary>Builds the state from <c>interface.conf</c> and the (optional) template.</summary>
    public static ControlPeerState From(InterfaceConfig iface, ConnectionConfig? template)
    {
        ArgumentNullException.ThrowIfNull(iface);
        return new ControlPeerState
        {
            AcceptRemote = iface.AcceptRemote,
            MaxRemoteConnections = iface.MaxRemoteConnections,
            CommandPort = iface.CommandPort,
            TunnelIpv4 = iface.Ipv4Address?.Address,
            TunnelIpv6 = iface.Ipv6Address?.Address,
            GlobalKey = ControlAuth.DeriveKey(template?.AuthKey ?? ConnectionConfig.DefaultAuthKey),
        };
    }

    /// <summary>This daemon's tunnel address for a connection of IP version <paramref name="ipVer"/>, or null.</summary>
    public IPAddress? TunnelAddress(int ipVer) => ipVer == 6 ? TunnelIpv6 : TunnelIpv4;
}

/// <summary>Who changed a path status; the daemon logs it and may treat origins differently.</summary>
public enum StatusChangeOrigin : byte
{
    /// <summary>A peer's <c>0xA2</c> message (§4.6 responder).</summary>
    Peer,

    /// <summary>A keepalive on the command port (§3.4, silent as on the data socket — B35).</summary>
    Keepalive,

    /// <summary><c>mpt path up|down</c>.</summary>
    Manual,

    /// <summary><c>mpt int IF up|down</c> or link monitoring.</summary>
    Interface,

    /// <summary>The dead-path timer (§3.5).</summary>
    DeadTimer,
}

/// <summary>
/// The <c>permission</c> bits (MPT-SPEC Appendix A), enforced here (B57 → "enforce"): <see cref="Send"/> lets this
/// end send status changes and create requests for the connection, <see cref="Receive"/> lets it accept a peer's
/// status changes (and, on the template, a peer's create request).
/// </summary>
[Flags]
public enum ConnectionPermission
{
    /// <summary>Neither sends nor accepts updates.</summary>
    None = 0,

    /// <summary>Bit 0 (value 1): may initiate status changes and create.</summary>
    Send = 1,

    /// <summary>Bit 1 (value 2): accepts peer status changes (template: accepts create).</summary>
    Receive = 2,

    /// <summary>Both.</summary>
    Both = 3,
}
