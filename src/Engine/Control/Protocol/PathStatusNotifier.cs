using MptFast.Engine.Config;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Control.Protocol;

/// <summary>What <see cref="PathStatusNotifier.ChangeStatus"/> did.</summary>
public enum PathChangeResult : byte
{
    /// <summary>The path already had the status: nothing changed, nothing sent (§4.6 step 1).</summary>
    Unchanged,

    /// <summary>Status set locally and the peer notification started.</summary>
    Sent,

    /// <summary>Status set locally; no configured path is OK to send a "down" through (code 6) — retried later.</summary>
    NoUsablePath,

    /// <summary>Status set locally; the connection's permission lacks the SEND bit, so the peer is not told (B57).</summary>
    NotPermitted,
}

/// <summary>The end of one notification attempt, for the daemon's log.</summary>
/// <param name="FileName">The connection's file name.</param>
/// <param name="Path">Index of the changed path.</param>
/// <param name="Status">The status announced.</param>
/// <param name="Code">Handshake result (§4.10); 0 = the peer acknowledged.</param>
/// <param name="Attempt">1 for the first notification, 2.. for background retries.</param>
/// <param name="WillRetry">A background retry is scheduled.</param>
public sealed record PathNotification(string FileName, int Path, PathStatus Status, byte Code, int Attempt, bool WillRetry);

/// <summary>
/// Path status change, client side (MPT-SPEC §4.6, F77): sets the local status at once (step 5: whatever the
/// handshake returns) and tells the peer asynchronously through the first configured OK path (B37). Failed
/// notifications are retried in the background (B38) while the path still has the announced status.
/// </summary>
public sealed class PathStatusNotifier
{
    /// <summary>Background retries after a failed notification (B38).</summary>
    public const int MaxRetries = 3;

    /// <summary>Delay before each background retry, in milliseconds.</summary>
    public const long RetryDelayMs = 2000;

    private readonly IControlConnections _connections;
    private readonly HandshakeEngine _engine;
    private readonly List<PendingRetry> _retries = [];

    /// <summary>Creates the notifier over the daemon's connections and the shared handshake engine.</summary>
    public PathStatusNotifier(IControlConnections connections, HandshakeEngine engine)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(engine);
        _connections = connections;
        _engine = engine;
    }

    /// <summary>Raised when a notification attempt ends (on the control thread).</summary>
    public event Action<PathNotification>? Notified;

    /// <summary>Retries waiting for their time.</summary>
    public int PendingRetries => _retries.Count;

    /// <summary>Changes the status of path <paramref name="path"/> of connection <paramref name="connection"/> and notifies the peer.</summary>
    public PathChangeResult ChangeStatus(int connection, int path, PathStatus status, StatusChangeOrigin origin, long now)
    {
        if (_connections.GetPathStatus(connection, path) == status)
        {
            return PathChangeResult.Unchanged;
        }

        ConnectionConfig c = _connections.Connection(connection);
        (Address16 local, Address16 remote) = ControlLookup.Tunnel(c);
        _retries.RemoveAll(r => r.Local == local && r.Remote == remote && r.Path == path); // superseded

        // MPT-SPEC §4.6 step 5: the local change happens whatever the peer says; done first because we do not block.
        _connections.SetPathStatus(connection, path, status, origin);
        if (!ControlLookup.Allows(c.Permission, ConnectionPermission.Send))
        {
            return PathChangeResult.NotPermitted;
        }

        return Notify(connection, path, status, attempt: 1, now);
    }

    /// <summary>
    /// Tells the peer about a status the path already has (a change made by the dead timer or the link monitor,
    /// MPT-SPEC §8.3 "peer notified: yes"); nothing is sent without the SEND permission (B57).
    /// </summary>
    public PathChangeResult Announce(int connection, int path, long now)
    {
        ConnectionConfig c = _connections.Connection(connection);
        if (!ControlLookup.Allows(c.Permission, ConnectionPermission.Send))
        {
            return PathChangeResult.NotPermitted;
        }

        (Address16 local, Address16 remote) = ControlLookup.Tunnel(c);
        _retries.RemoveAll(r => r.Local == local && r.Remote == remote && r.Path == path); // superseded
        return Notify(connection, path, _connections.GetPathStatus(connection, path), attempt: 1, now);
    }

    /// <summary>Starts due background retries.</summary>
    public void Tick(long now)
    {
        for (int i = 0; i < _retries.Count; i++)
        {
            PendingRetry r = _retries[i];
            if (now < r.DueAt)
            {
                continue;
            }

            _retries.RemoveAt(i--);
            int connection = ControlLookup.FindByTunnel(_connections, r.Local, r.Remote);
            if (connection < 0 || r.Path >= _connections.Connection(connection).Paths.Count
                || _connections.GetPathStatus(connection, r.Path) != r.Status)
            {
                continue; // connection gone or the path changed again since: nothing left to announce
            }

            Notify(connection, r.Path, r.Status, r.Attempt, now);
        }
    }

    private PathChangeResult Notify(int connection, int path, PathStatus status, int attempt, long now)
    {
        ConnectionConfig c = _connections.Connection(connection);
        int via = ChooseVia(connection, c, path, status);
        if (via < 0)
        {
            // §4.6 step 3: a "down" with no OK path is error 6; B38: try again later, a path may come back.
            Report(c, path, status, HandshakeCodes.NoUsablePath, attempt, now);
            return PathChangeResult.NoUsablePath;
        }

        PathConfig changed = c.Paths[path];
        byte[] body = new byte[ControlCodec.PathStatusBodyLength];
        Address16.Write(ControlLookup.PublicAddress(changed), body);
        Address16.Write(changed.RemoteAddress, body.AsSpan(Address16.Size));

        // §4.6 step 2: every down-like status goes out as 0x80.
        byte parameter = (byte)((byte)status & 0x80);
        var request = HandshakeRequest.ForConnection(c, ControlCommand.PathStatusChange, parameter, body, c.Paths[via].RemoteAddress);
        _engine.Start(request, now, outcome => Report(c, path, status, outcome.Code, attempt, outcome.CompletedAt));
        return PathChangeResult.Sent;
    }

    // B37: only configured paths are scanned, the changed one counted with its new status; for "up" the changed
    // path itself is OK and so always qualifies.
    private int ChooseVia(int connection, ConnectionConfig c, int changed, PathStatus status)
    {
        for (int i = 0; i < c.Paths.Count; i++)
        {
            PathStatus s = i == changed ? status : _connections.GetPathStatus(connection, i);
            if (s == PathStatus.Ok)
            {
                return i;
            }
        }

        return -1;
    }

    private void Report(ConnectionConfig c, int path, PathStatus status, byte code, int attempt, long now)
    {
        bool retry = code != HandshakeCodes.Ok && attempt <= MaxRetries;
        if (retry)
        {
            (Address16 local, Address16 remote) = ControlLookup.Tunnel(c);
            _retries.Add(new PendingRetry(local, remote, path, status, attempt + 1, now + RetryDelayMs));
        }

        Notified?.Invoke(new PathNotification(c.FileName, path, status, code, attempt, retry));
    }

    private sealed record PendingRetry(Address16 Local, Address16 Remote, int Path, PathStatus Status, int Attempt, long DueAt);
}
