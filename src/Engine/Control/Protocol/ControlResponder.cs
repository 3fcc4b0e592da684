using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Control.Protocol;

/// <summary>
/// The responder side of the control protocol (MPT-SPEC §4.5 steps 1–11, F76, F78, F80) for datagrams from
/// non-loopback sources (loopback is the CLI, §4.8). Pure: no sockets, no clock (times in ms are passed in),
/// tokens from an injected source (a CSPRNG in the daemon, B45). Every rejection is typed and counted; nothing on
/// packet data throws.
/// </summary>
public sealed class ControlResponder
{
    /// <summary>How long a session waits for round 3 after round 2 was sent, in ms.</summary>
    public const long SessionTimeoutMs = 10_000;

    /// <summary>How long an identical retransmitted request is answered with the cached reply, in ms (6 × 500 ms + margin).</summary>
    public const long RetransmitWindowMs = 4_000;

    /// <summary>Most sessions kept at once (bounds memory against floods of authentic round 1s).</summary>
    public const int MaxSessions = 256;

    private readonly IControlConnections _connections;
    private readonly IControlTokenSource _tokens;
    private readonly Dictionary<SessionKey, ResponderSession> _sessions = [];
    private readonly long[] _rejections = new long[Enum.GetValues<ResponderRejection>().Length];
    private readonly HandshakeRateLimiter _rate = new();

    /// <summary>Creates a responder over the daemon's connections.</summary>
    public ControlResponder(IControlConnections connections, IControlTokenSource tokens)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(tokens);
        _connections = connections;
        _tokens = tokens;
    }

    /// <summary>Replies sent (including resends for retransmissions).</summary>
    public long Answered { get; private set; }

    /// <summary>Keepalives accepted on the command port.</summary>
    public long KeepalivesAccepted { get; private set; }

    /// <summary>Sessions currently held.</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>Sources the handshake rate limit currently tracks (bounded).</summary>
    public int RateLimitedSources => _rate.Count;

    /// <summary>Paths moved to the observed source of an authenticated message that came over them (issue 15).</summary>
    public long PathsMoved { get; private set; }

    /// <summary>How many datagrams were rejected for <paramref name="reason"/>.</summary>
    public long Rejected(ResponderRejection reason) => (int)reason < _rejections.Length ? _rejections[(int)reason] : 0;

    /// <summary>Handles one datagram received on the command port from <paramref name="from"/> at <paramref name="now"/> (ms).</summary>
    public ResponderResult Respond(ReadOnlySpan<byte> datagram, IPEndPoint from, long now)
    {
        ArgumentNullException.ThrowIfNull(from);
        ResponderResult result = Handle(datagram, from, now);
        if (result.Rejection != ResponderRejection.None)
        {
            _rejections[(int)result.Rejection]++;
        }
        else if (result.Reply is not null)
        {
            Answered++;
        }

        return result;
    }

    private ResponderResult Handle(ReadOnlySpan<byte> datagram, IPEndPoint from, long now)
    {
        ControlStatus status = ControlCodec.Decode(datagram, out ControlHeader header);
        if (status != ControlStatus.Ok)
        {
            return ResponderResult.Reject(MapDecodeStatus(status));
        }

        if (header.Command == ControlCommand.Keepalive)
        {
            return OnKeepalive(header, from);
        }

        if (header.Round is 2 or 4)
        {
            return ResponderResult.Reject(ResponderRejection.NotARequest, header); // §4.5 step 2, and replies are the engine's
        }

        if (header.Command == ControlCommand.PathStatusChange && header.Parameter is not (0x00 or 0x80))
        {
            return ResponderResult.Reject(ResponderRejection.BadParameter, header);
        }

        // Issue 14 item 6: a source gets a bounded rate of handshake requests, checked before the costly digest.
        if (!_rate.TryTake(Address16.FromIPAddress(from.Address), now))
        {
            return ResponderResult.Reject(ResponderRejection.RateLimited, header);
        }

        // §4.5 step 1: the receiver's own pair is the sender's pair swapped.
        int connection = ControlLookup.FindByTunnel(_connections, header.RemoteTunnel, header.LocalTunnel);
        ResponderRejection refusal = Authorize(datagram, header, connection, out byte[] key);
        if (refusal != ResponderRejection.None)
        {
            return ResponderResult.Reject(refusal, header);
        }

        Prune(now);
        var sessionKey = new SessionKey(header.Command, header.LocalTunnel, header.RemoteTunnel);
        _sessions.TryGetValue(sessionKey, out ResponderSession? session);
        return header.Round == 1
            ? OnRound1(datagram, header, sessionKey, session, key, now)
            : OnRound3(datagram, header, connection, session, key, from, now);
    }

    // §4.5 steps 4–7 and B44/B57: which connection, auth type, key and permission apply.
    private ResponderRejection Authorize(ReadOnlySpan<byte> datagram, in ControlHeader header, int connection, out byte[] key)
    {
        key = [];
        ControlAuthType type;
        int permission;
        if (header.Command == ControlCommand.ConnectionCreate)
        {
            ConnectionConfig? template = _connections.Template;
            if (!_connections.Peer.AcceptRemote || template is null)
            {
                return ResponderRejection.CreateNotAllowed;
            }

            // B43: always SHA-256; the global key (template key, B47) is what a requester must prove.
            type = ControlAuthType.Sha256;
            key = _connections.Peer.GlobalKey;
            permission = template.Permission;
        }
        else
        {
            if (connection < 0)
            {
                return ResponderRejection.NoConnection;
            }

            ConnectionConfig c = _connections.Connection(connection);
            type = (ControlAuthType)c.AuthType;
            key = ControlAuth.DeriveKey(c.AuthKey);
            permission = c.Permission;
        }

        if (header.AuthType != type)
        {
            return ResponderRejection.AuthTypeMismatch;
        }

        if (ControlAuth.Verify(datagram, type, key) != ControlAuthStatus.Ok)
        {
            return ResponderRejection.AuthFailed;
        }

        return ControlLookup.Allows(permission, ConnectionPermission.Receive) ? ResponderRejection.None : ResponderRejection.PermissionDenied;
    }

    private ResponderResult OnRound1(ReadOnlySpan<byte> datagram, in ControlHeader header, SessionKey sessionKey, ResponderSession? session, byte[] key, long now)
    {
        // A resent round 1 gets the same round 2 (same token), so the initiator's round 3 still matches.
        if (session is { Completed: false } && datagram.SequenceEqual(session.LastRequest))
        {
            return Resend(session, header);
        }

        uint token = header.AuthType == ControlAuthType.None ? 0 : _tokens.NextToken();
        ControlHeader reply = header with { Parameter = HandshakeCodes.Ok, Round = 2, Token = token };
        byte[] message = new byte[header.MessageLength];
        ControlCodec.EncodeAnnounce(message, reply, ControlCodec.ReadAnnouncedLength(datagram, header), out _);
        ControlAuth.Apply(message, header.AuthType, key);
        _sessions[sessionKey] = new ResponderSession
        {
            Token = token,
            AnnouncedLength = ControlCodec.ReadAnnouncedLength(datagram, header),
            LastRequest = datagram.ToArray(),
            LastReply = message,
            UpdatedAt = now,
        };
        return new ResponderResult { Reply = message, Command = header.Command, Round = header.Round };
    }

    private ResponderResult OnRound3(ReadOnlySpan<byte> datagram, in ControlHeader header, int connection, ResponderSession? session, byte[] key,
        IPEndPoint from, long now)
    {
        if (session is null || (!session.Completed && session.IsExpired(now)))
        {
            return ResponderResult.Reject(ResponderRejection.RoundOutOfOrder, header); // §4.5 step 5: "send round 1 first"
        }

        if (session.Completed)
        {
            // B54: an identical retransmission of the round 3 just answered gets the same reply; anything else is a replay.
            return datagram.SequenceEqual(session.LastRequest) && now - session.UpdatedAt <= RetransmitWindowMs
                ? Resend(session, header)
                : ResponderResult.Reject(ResponderRejection.Replay, header);
        }

        if (header.AuthType != ControlAuthType.None && header.Token != session.Token)
        {
            return ResponderResult.Reject(ResponderRejection.BadToken, header);
        }

        if (ControlCodec.CheckAnnouncedBody(header, session.AnnouncedLength) != ControlStatus.Ok)
        {
            return ResponderResult.Reject(ResponderRejection.BadBodyLength, header);
        }

        bool limited = false, moved = false;
        (byte code, byte[] body) = header.Command == ControlCommand.ConnectionCreate
            ? CreateServer.Execute(_connections, header, header.BodyOf(datagram), from, out limited, out moved)
            : (DeleteOrApply(datagram, header, connection, from), []);
        PathsMoved += moved ? 1 : 0;
        if (limited)
        {
            _rejections[(int)ResponderRejection.CreateLimit]++; // answered (code 7), and counted
        }

        ControlHeader reply = header with { Parameter = code, Round = 4, Token = session.Token };
        // B50: the reply is sh + 40 + body, nothing cut off.
        byte[] message = new byte[header.BodyOffset + body.Length];
        ControlCodec.Encode(message, reply, body, out _);
        ControlAuth.Apply(message, header.AuthType, key);
        session.Completed = true;
        session.LastRequest = datagram.ToArray();
        session.LastReply = message;
        session.UpdatedAt = now;
        return new ResponderResult { Reply = message, Command = header.Command, Round = header.Round };
    }

    // MPT-SPEC §4.6 responder: paths whose remote == body[0..15] and public == body[16..31] take status 0x00/0x80.
    /// <summary>Connections deleted because the peer that created them deleted its side (issue 15).</summary>
    public long DeletedByPeer { get; private set; }

    // Issue 15: a SHA-256-authenticated "down" with the delete tag for a connection a create made frees it; anything
    // else is a status change (an original responder, or a configured connection, sees exactly that).
    private byte DeleteOrApply(ReadOnlySpan<byte> datagram, in ControlHeader header, int connection, IPEndPoint from)
    {
        if (header.AuthType == ControlAuthType.Sha256 && header.Parameter == 0x80 && ControlCodec.IsDelete(datagram, header)
            && _connections.Connection(connection).FileName.StartsWith(CreateServer.CreatedPrefix, StringComparison.Ordinal))
        {
            if (_connections.DeleteCreated(connection))
            {
                DeletedByPeer++;
                return HandshakeCodes.Ok;
            }

            return HandshakeCodes.StartFailed;
        }

        return ApplyPathStatus(datagram, header, connection, from);
    }

    // Issue 15: with SHA-256 (the only real authentication, §4.4) and the via-path tag, the path moves to the observed
    // source — the requester's NAT mapping or its new address.
    private byte ApplyPathStatus(ReadOnlySpan<byte> datagram, in ControlHeader header, int connection, IPEndPoint from)
    {
        ControlCodec.TryReadPathStatusBody(datagram, header, out Address16 senderPublic, out Address16 senderRemote);
        PathStatus requested = header.Parameter == 0 ? PathStatus.Ok : PathStatus.Down;
        ConnectionConfig c = _connections.Connection(connection);
        bool moves = header.AuthType == ControlAuthType.Sha256 && requested == PathStatus.Ok && ControlCodec.IsViaPath(datagram, header);
        for (int i = 0; i < c.Paths.Count; i++)
        {
            PathConfig p = c.Paths[i];
            if (Address16.FromIPAddress(p.RemoteAddress) != senderPublic || Address16.FromIPAddress(ControlLookup.PublicAddress(p)) != senderRemote)
            {
                continue;
            }

            if (moves && _connections.MovePath(connection, i, from.Address))
            {
                PathsMoved++;
            }

            PathStatus current = _connections.GetPathStatus(connection, i);

            // B38: a peer only moves a path between OK and PATH_DOWN; it never lifts (or downgrades) a local
            // manual (0x83), interface (0x81), address (0x82) or disabled (0xFF) state.
            if (current != requested && current is PathStatus.Ok or PathStatus.Down)
            {
                _connections.SetPathStatus(connection, i, requested, StatusChangeOrigin.Peer);
            }
        }

        return HandshakeCodes.Ok; // §4.6: result 0, also when no path matched
    }

    // §3.4 with B35: refresh liveness of the paths whose remote is the sender; revive 0x80 silently.
    private ResponderResult OnKeepalive(in ControlHeader header, IPEndPoint from)
    {
        int connection = ControlLookup.FindByTunnel(_connections, header.RemoteTunnel, header.LocalTunnel);
        if (connection < 0)
        {
            return ResponderResult.Reject(ResponderRejection.NoConnection, header);
        }

        Address16 source = Address16.FromIPAddress(from.Address);
        ConnectionConfig c = _connections.Connection(connection);
        bool matched = false;
        for (int i = 0; i < c.Paths.Count; i++)
        {
            if (Address16.FromIPAddress(c.Paths[i].RemoteAddress) != source)
            {
                continue;
            }

            matched = true;
            _connections.RefreshKeepalive(connection, i);
            if (_connections.GetPathStatus(connection, i) == PathStatus.Down)
            {
                _connections.SetPathStatus(connection, i, PathStatus.Ok, StatusChangeOrigin.Keepalive);
            }
        }

        if (!matched)
        {
            return ResponderResult.Reject(ResponderRejection.UnknownSender, header);
        }

        KeepalivesAccepted++;
        return new ResponderResult { Command = header.Command };
    }

    private static ResponderResult Resend(ResponderSession session, in ControlHeader header) =>
        new() { Reply = session.LastReply, IsRetransmission = true, Command = header.Command, Round = header.Round };

    private void Prune(long now)
    {
        if (_sessions.Count < MaxSessions / 2)
        {
            return;
        }

        foreach (KeyValuePair<SessionKey, ResponderSession> kv in _sessions)
        {
            if (kv.Value.IsExpired(now))
            {
                _sessions.Remove(kv.Key);
            }
        }

        while (_sessions.Count >= MaxSessions)
        {
            SessionKey oldest = default;
            long oldestAt = long.MaxValue;
            foreach (KeyValuePair<SessionKey, ResponderSession> kv in _sessions)
            {
                if (kv.Value.UpdatedAt < oldestAt)
                {
                    (oldest, oldestAt) = (kv.Key, kv.Value.UpdatedAt);
                }
            }

            _sessions.Remove(oldest);
        }
    }

    private static ResponderRejection MapDecodeStatus(ControlStatus status) => status switch
    {
        ControlStatus.Truncated => ResponderRejection.Truncated,
        ControlStatus.UnknownCommand => ResponderRejection.UnknownCommand,
        ControlStatus.BadAuthType or ControlStatus.CreateRequiresSha256 => ResponderRejection.BadAuthType,
        ControlStatus.BadRound => ResponderRejection.BadRound,
        ControlStatus.BadIpVersion => ResponderRejection.BadIpVersion,
        _ => ResponderRejection.BadBodyLength,
    };

    private readonly record struct SessionKey(ControlCommand Command, Address16 SenderLocal, Address16 SenderRemote);

    private sealed class ResponderSession
    {
        public uint Token { get; init; }

        public uint AnnouncedLength { get; init; }

        public bool Completed { get; set; }

        public byte[] LastRequest { get; set; } = [];

        public byte[] LastReply { get; set; } = [];

        public long UpdatedAt { get; set; }

        // An open session waits SessionTimeoutMs for round 3; a completed one is kept as long for replay detection.
        public bool IsExpired(long now) => now - UpdatedAt > SessionTimeoutMs;
    }
}
