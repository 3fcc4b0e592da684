using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Control.Protocol;
using MptFast.Tests.Common;

namespace MptFast.Fuzz;

/// <summary>Which daemon a control input talks to (the first input byte, modulo 4).</summary>
internal enum ControlDaemonKind : byte
{
    /// <summary>Side b of the captures with its connection, auth_type 0 (the auth0 vectors).</summary>
    ConnectionNoAuth = 0,

    /// <summary>The same with auth_type 2 (the sha256 vectors).</summary>
    ConnectionSha256 = 1,

    /// <summary>Only conf.template, accept_remote = 1: a create is executed (the create vectors).</summary>
    TemplateOnly = 2,

    /// <summary>Only conf.template, accept_remote = 0: every create is refused.</summary>
    TemplateRefusing = 3,
}

/// <summary>
/// An in-memory daemon for <see cref="ControlResponder"/>: side b of the testvectors capture (configs/ipv4-b), with a
/// record of every path status change so the target can check who changed what (B38).
/// </summary>
internal sealed class ControlDaemon : IControlConnections
{
    private static readonly Lazy<(InterfaceConfig Interface, ConnectionConfig Connection, ConnectionConfig Template)> s_side = new(LoadSide);

    private readonly List<ConnectionConfig> _connections = [];
    private readonly List<PathStatus[]> _statuses = [];

    public ControlDaemon(ControlDaemonKind kind)
    {
        (InterfaceConfig iface, ConnectionConfig connection, ConnectionConfig template) = s_side.Value;
        Kind = kind;
        Template = template;
        Peer = ControlPeerState.From(iface, template) with { AcceptRemote = kind != ControlDaemonKind.TemplateRefusing };
        if (kind is ControlDaemonKind.ConnectionNoAuth or ControlDaemonKind.ConnectionSha256)
        {
            Add(connection with { AuthType = kind == ControlDaemonKind.ConnectionSha256 ? 2 : 0 });
        }
    }

    public ControlDaemonKind Kind { get; }

    /// <summary>The template as loaded (before any create advanced its port).</summary>
    public static ConnectionConfig LoadedTemplate => s_side.Value.Template;

    public List<(PathStatus From, PathStatus To, StatusChangeOrigin Origin)> Changes { get; } = [];

    public List<ConnectionConfig> Created { get; } = [];

    public ControlPeerState Peer { get; }

    public ConnectionConfig? Template { get; set; }

    public int Count => _connections.Count;

    public ConnectionConfig Connection(int index) => _connections[index];

    public PathStatus GetPathStatus(int connection, int path) => _statuses[connection][path];

    public void SetPathStatus(int connection, int path, PathStatus status, StatusChangeOrigin origin)
    {
        Changes.Add((_statuses[connection][path], status, origin));
        _statuses[connection][path] = status;
    }

    public void RefreshKeepalive(int connection, int path)
    {
    }

    public bool TryStartCreated(ConnectionConfig created)
    {
        Created.Add(created);
        Add(created);
        return true;
    }

    public bool DeleteCreated(int connection)
    {
        _connections.RemoveAt(connection);
        _statuses.RemoveAt(connection);
        return true;
    }

    // Nothing is received on a fuzzed daemon's paths; a path move changes only the data plane, which it has none of.
    public long Received(int connection, int path) => 0;

    public bool MovePath(int connection, int path, IPAddress observed) => false;

    public void ReplaceAndRestart(int index, ConnectionConfig merged) =>
        throw new FuzzInvariantException("control: the responder restarted a connection (only the initiator may)");

    private void Add(ConnectionConfig c)
    {
        _connections.Add(c);
        _statuses.Add([.. c.Paths.Select(p => p.Status)]);
    }

    private static (InterfaceConfig, ConnectionConfig, ConnectionConfig) LoadSide()
    {
        string conf = Path.Combine(SharedFiles.TestVectorDir, "configs", "ipv4-b", "conf");
        string tunnel = File.ReadAllText(Path.Combine(conf, "connections", "tunnel.conf"));
        InterfaceConfig iface = InterfaceParser.Parse(File.ReadAllText(Path.Combine(conf, "interface.conf")), "interface.conf").GetValueOrThrow();
        ConnectionConfig connection = ConnectionParser.Parse(tunnel, "tunnel.conf").GetValueOrThrow();

        // MPT-SPEC §5.9: the running view has the tunnel address and the daemon's command port.
        connection = connection with { IpLocal = iface.Ipv4Address!.Address, LocalCmdPort = iface.CommandPort };
        ConnectionConfig template = ConnectionParser.ParseTemplate(tunnel, "conf.template").GetValueOrThrow();
        return (iface, connection, template);
    }
}
