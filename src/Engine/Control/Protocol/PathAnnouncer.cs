using MptFast.Engine.Config;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Control.Protocol;

/// <summary>
/// Issue 15, client side: tells the peer where each path of a SHA-256 connection really is. A path announcement is a
/// status change "up" (0xA2, MPT-SPEC §4.6) for the path, sent to the peer's address of that very path — so it leaves
/// through the path's interface from the path's address and any NAT on the way maps it — with the via-path tag
/// (<see cref="ControlCodec.ViaPathTag"/>) that lets the responder move the path to the observed source. Sent after a
/// create (a client behind NAT does not know its public address) and whenever a path falls silent: a NAT that rebinds
/// or an LTE link that reconnects gives the client a new outside address the server cannot know without being told.
/// Control thread; times in ms.
/// </summary>
public sealed class PathAnnouncer
{
    /// <summary>A path that carried traffic (≥ <see cref="BusyPackets"/> in the last second) is silent after this long.</summary>
    public const long BusySilenceMs = 300;

    /// <summary>Packets per second above which a path counts as busy.</summary>
    public const long BusyPackets = 20;

    /// <summary>An idle path (keepalives only) is silent after this share of its keepalive interval, in percent.</summary>
    public const int IdleSilencePercent = 130;

    /// <summary>Least time between two announcements of one path.</summary>
    public const long MinIntervalMs = 1000;

    private readonly IControlConnections _connections;
    private readonly HandshakeEngine _engine;
    private readonly Dictionary<(Address16 Local, Address16 Remote, int Path), PathWatch> _watch = [];

    /// <summary>The announcer over the daemon's connections and the shared handshake engine.</summary>
    public PathAnnouncer(IControlConnections connections, HandshakeEngine engine)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(engine);
        _connections = connections;
        _engine = engine;
    }

    /// <summary>Announcements started.</summary>
    public long Sent { get; private set; }

    /// <summary>Announcements the peer acknowledged.</summary>
    public long Acknowledged { get; private set; }

    /// <summary>True for connections whose paths are announced: SHA-256 control authentication (the only kind that
    /// proves the sender, §4.4), the SEND permission (B57), and made here, not by a peer's create.</summary>
    public static bool Announces(ConnectionConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return c.AuthType == (int)ControlAuthType.Sha256 && ControlLookup.Allows(c.Permission, ConnectionPermission.Send)
            && !c.FileName.StartsWith(CreateServer.CreatedPrefix, StringComparison.Ordinal);
    }

    /// <summary>Announces every path of connection <paramref name="connection"/> that is up (0x00) or down by liveness (0x80).</summary>
    public void AnnounceAll(int connection, long now)
    {
        ConnectionConfig c = _connections.Connection(connection);
        if (!Announces(c))
        {
            return;
        }

        for (int i = 0; i < c.Paths.Count; i++)
        {
            Announce(connection, c, i, now);
        }
    }

    /// <summary>Samples every path's receive counters and announces the paths that fell silent.</summary>
    public void Tick(long now)
    {
        bool watching = false;
        for (int ci = 0; ci < _connections.Count; ci++)
        {
            ConnectionConfig c = _connections.Connection(ci);
            if (!Announces(c))
            {
                continue;
            }

            (Address16 local, Address16 remote) = ControlLookup.Tunnel(c);
            for (int p = 0; p < c.Paths.Count; p++)
            {
                long received = _connections.Received(ci, p);
                var key = (local, remote, p);
                if (!_watch.TryGetValue(key, out PathWatch? w))
                {
                    _watch[key] = new PathWatch { Received = received, ChangedAt = now, SecondStart = now, SecondStartCount = received };
                    continue;
                }

                if (received != w.Received)
                {
                    w.Received = received;
                    w.ChangedAt = now;
                }

                if (now - w.SecondStart >= 1000)
                {
                    w.Busy = received - w.SecondStartCount >= BusyPackets;
                    w.SecondStart = now;
                    w.SecondStartCount = received;
                }

                long silence = w.Busy ? BusySilenceMs : c.Paths[p].KeepaliveTime * 10L * IdleSilencePercent;
                if (silence > 0 && now - w.ChangedAt >= silence && now - w.AnnouncedAt >= Math.Max(MinIntervalMs, silence))
                {
                    Announce(ci, c, p, now);
                }

                watching |= w.Busy;
            }
        }

        WatchesTraffic = watching;
    }

    /// <summary>After a <see cref="Tick"/>: a path it watches carried traffic in the last second, so its silence counts
    /// after <see cref="BusySilenceMs"/> — the caller ticks often enough to see it.</summary>
    public bool WatchesTraffic { get; private set; }

    /// <summary>
    /// Connection <paramref name="connection"/> is being deleted here (<c>mpt delete</c>): tells the peer, over the
    /// <c>cmd_default</c> path, so a server that made its side by a create frees it (a "down" with
    /// <see cref="ControlCodec.DeleteTag"/>). True when the message was started.
    /// </summary>
    public bool AnnounceDelete(int connection, long now)
    {
        ConnectionConfig c = _connections.Connection(connection);
        int via = CreateClient.TargetPath(_connections, connection);
        if (!Announces(c) || via < 0)
        {
            return false;
        }

        PathConfig p = c.Paths[via];
        var request = HandshakeRequest.ForConnection(c, ControlCommand.PathStatusChange, 0x80, TaggedBody(p, ControlCodec.DeleteTag), p.RemoteAddress);
        _engine.Start(request, now);
        return true;
    }

    private static byte[] TaggedBody(PathConfig p, ReadOnlySpan<byte> tag)
    {
        byte[] body = new byte[ControlCodec.PathStatusViaBodyLength];
        Address16.Write(ControlLookup.PublicAddress(p), body);
        Address16.Write(p.RemoteAddress, body.AsSpan(Address16.Size));
        tag.CopyTo(body.AsSpan(ControlCodec.PathStatusBodyLength));
        return body;
    }

    private void Announce(int connection, ConnectionConfig c, int path, long now)
    {
        if (_connections.GetPathStatus(connection, path) is not (PathStatus.Ok or PathStatus.Down))
        {
            return; // a manual, interface or address down is not the peer's to lift
        }

        (Address16 local, Address16 remote) = ControlLookup.Tunnel(c);
        if (_watch.TryGetValue((local, remote, path), out PathWatch? w))
        {
            w.AnnouncedAt = now;
            w.Busy = false; // until traffic shows again, wait an idle interval before the next one
        }
        else
        {
            long received = _connections.Received(connection, path);
            _watch[(local, remote, path)] = new PathWatch { AnnouncedAt = now, ChangedAt = now, SecondStart = now, Received = received, SecondStartCount = received };
        }

        PathConfig p = c.Paths[path];
        var request = HandshakeRequest.ForConnection(c, ControlCommand.PathStatusChange, 0x00, TaggedBody(p, ControlCodec.ViaPathTag), p.RemoteAddress);
        Sent++;
        _engine.Start(request, now, outcome =>
        {
            if (outcome.Code == HandshakeCodes.Ok)
            {
                Acknowledged++;
            }
        });
    }

    private sealed class PathWatch
    {
        public long Received;
        public long ChangedAt;
        public long AnnouncedAt = long.MinValue / 2;
        public long SecondStart;
        public long SecondStartCount;
        public bool Busy;
    }
}
