using MptFast.Engine.Config;

namespace MptFast.Engine.Control.Protocol;

/// <summary>
/// What the control protocol needs from the running daemon (MPT-SPEC §4.5–§4.7). Connections are addressed by
/// their index in the current list; the protocol never keeps an index across calls to the daemon. Every call comes
/// from the one control thread.
/// </summary>
public interface IControlConnections
{
    /// <summary>Global settings (accept_remote, command port, tunnel addresses, global key).</summary>
    ControlPeerState Peer { get; }

    /// <summary>
    /// <c>conf.template</c> as currently in effect (its <c>local_port</c> advances after each create, §4.7), or null.
    /// The setter stores the advanced template.
    /// </summary>
    ConnectionConfig? Template { get; set; }

    /// <summary>Number of running connections.</summary>
    int Count { get; }

    /// <summary>
    /// The running view of connection <paramref name="index"/>: configuration with the start-time overrides of
    /// MPT-SPEC §5.9 applied (IPv4 <c>ip_local</c> = tunnel address, <c>local_cmd_port</c> = command port).
    /// </summary>
    ConnectionConfig Connection(int index);

    /// <summary>Current runtime status of a path.</summary>
    PathStatus GetPathStatus(int connection, int path);

    /// <summary>
    /// Sets a path's runtime status and reports the change ("Path status changed to 0xNN"). A transition to
    /// <see cref="PathStatus.Ok"/> also resets the path's last-keepalive time to now (MPT-SPEC §4.6 step 5, §8.3).
    /// </summary>
    void SetPathStatus(int connection, int path, PathStatus status, StatusChangeOrigin origin);

    /// <summary>Refreshes a path's liveness (last-keepalive := now), as a keepalive would (§3.4).</summary>
    void RefreshKeepalive(int connection, int path);

    /// <summary>
    /// Adds and starts a connection created by a peer (§4.7 server step 4). False when it could not start (e.g. its
    /// port is in use): the create then fails with <see cref="HandshakeCodes.StartFailed"/> instead of crashing (B55).
    /// </summary>
    bool TryStartCreated(ConnectionConfig created);

    /// <summary>
    /// Issue 15: path <paramref name="path"/>'s peer is at <paramref name="observed"/> (the source of an authenticated
    /// control message that came over that path — NAT, a new LTE address): sends and the sender check move there.
    /// True when it moved.
    /// </summary>
    bool MovePath(int connection, int path, System.Net.IPAddress observed);

    /// <summary>Stops connection <paramref name="connection"/> (made by a peer's create) because that peer deleted its
    /// side (issue 15); its file, if saved, is renamed as <c>mpt delete</c> does. False when it could not.</summary>
    bool DeleteCreated(int connection);

    /// <summary>Datagrams path <paramref name="path"/> received so far (data and keepalives; issue 15: silence detection).</summary>
    long Received(int connection, int path);

    /// <summary>Replaces connection <paramref name="index"/> by <paramref name="merged"/> and restarts it (§4.7 client step 6).</summary>
    void ReplaceAndRestart(int index, ConnectionConfig merged);
}

/// <summary>Sends control datagrams (the daemon's command socket; an in-memory pipe in tests).</summary>
public interface IControlTransport
{
    /// <summary>Sends one datagram; must not block and must not keep a reference to <paramref name="datagram"/>.</summary>
    void Send(ReadOnlySpan<byte> datagram, System.Net.IPEndPoint to);
}
