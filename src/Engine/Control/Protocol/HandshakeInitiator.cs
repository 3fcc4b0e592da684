using System.Net;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Control.Protocol;

/// <summary>
/// The initiator side of one four-round handshake as a state machine (MPT-SPEC §4.5, F75, F82): never blocks,
/// driven by <see cref="Start"/>, <see cref="OnReply"/> and <see cref="Tick"/> with an injected clock in milliseconds.
/// Fixes of the original: replies are matched by peer address, command, round and tunnel addresses (B39/B40);
/// a forged or stale reply does not end the handshake — a forged one is remembered and only decides the code (3 or 9)
/// when no good reply arrives within the 6 attempts; an authentic (SHA-256) answer to another handshake of ours is
/// ignored (<see cref="StaleReplies"/>).
/// </summary>
public sealed class HandshakeInitiator
{
    /// <summary>Sends per round (MPT-SPEC §4.5 step 2, Appendix A).</summary>
    public const int MaxAttempts = 6;

    /// <summary>Wait for a reply after each send, in milliseconds.</summary>
    public const long RetryIntervalMs = 500;

    // Tokens of every authentic round 2 (a resent round 1 makes an original responder draw a new token each time).
    private readonly List<uint> _tokens = new(2);
    private byte[] _message = [];
    private int _attempts;
    private long _deadline;
    private bool _sawBadAuth;
    private bool _sawWrongRound;
    private int _staleReplies;

    /// <summary>Creates the state machine; nothing is sent before <see cref="Start"/>.</summary>
    public HandshakeInitiator(HandshakeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Request = request;
    }

    /// <summary>What is being sent.</summary>
    public HandshakeRequest Request { get; }

    /// <summary>Current phase.</summary>
    public HandshakePhase Phase { get; private set; }

    /// <summary>The result once <see cref="Phase"/> is <see cref="HandshakePhase.Completed"/>.</summary>
    public HandshakeOutcome? Outcome { get; private set; }

    /// <summary>Sends of the current round so far.</summary>
    public int Attempts => _attempts;

    /// <summary>Round-4 replies that passed <see cref="ControlAuth.Verify"/> with a token this handshake never received:
    /// under SHA-256 late answers to another handshake of ours, ignored; under auth type 1 (the token its only proof)
    /// counted here and as a failed authentication too.</summary>
    public int StaleReplies => _staleReplies;

    /// <summary>Builds and sends round 1: token 0, body = LE length of the round-3 body (§4.2, B42).</summary>
    public void Start(IControlTransport transport, long now)
    {
        ArgumentNullException.ThrowIfNull(transport);
        if (Phase != HandshakePhase.NotStarted)
        {
            throw new InvalidOperationException("handshake already started");
        }

        ControlHeader header = Header(round: 1, token: 0);
        _message = new byte[header.AuthLength + ControlCodec.FixedHeaderLength + ControlCodec.AnnounceBodyLength];
        ControlCodec.EncodeAnnounce(_message, header, (uint)Request.Body.Length, out _);
        ControlAuth.Apply(_message, Request.AuthType, Request.Key);
        Phase = HandshakePhase.AwaitingRound2;
        SendFirst(transport, now);
    }

    /// <summary>Resends or gives up when the current wait expired. Returns true when this call completed the handshake.</summary>
    public bool Tick(IControlTransport transport, long now)
    {
        ArgumentNullException.ThrowIfNull(transport);
        if (Phase is not (HandshakePhase.AwaitingRound2 or HandshakePhase.AwaitingRound4) || now < _deadline)
        {
            return false;
        }

        if (_attempts < MaxAttempts)
        {
            _attempts++;
            _deadline = now + RetryIntervalMs;
            transport.Send(_message, Request.Peer);
            return false;
        }

        // MPT-SPEC §4.10: no usable reply after 6 attempts. A rejected reply explains why better than "no answer".
        byte code = _sawBadAuth ? HandshakeCodes.AuthFailed : _sawWrongRound ? HandshakeCodes.WrongRound : HandshakeCodes.NoAnswer;
        Complete(code, [], now);
        return true;
    }

    /// <summary>Offers a received datagram; see <see cref="ReplyDisposition"/>.</summary>
    public ReplyDisposition OnReply(ReadOnlySpan<byte> datagram, IPEndPoint from, IControlTransport transport, long now)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(transport);
        if (Phase is not (HandshakePhase.AwaitingRound2 or HandshakePhase.AwaitingRound4) || !Matches(datagram, from, out ControlHeader reply))
        {
            return ReplyDisposition.NotMine;
        }

        // MPT-SPEC §4.4: verify with our own auth type; a reply with another type cannot be authentic (B44).
        if (reply.AuthType != Request.AuthType || ControlAuth.Verify(datagram, Request.AuthType, Request.Key) != ControlAuthStatus.Ok)
        {
            _sawBadAuth = true;
            return ReplyDisposition.Ignored;
        }

        if (reply.Round == 4 && HasToken && !_tokens.Contains(reply.Token))
        {
            // Not an answer to this handshake. With SHA-256 the digest proved it authentic: a late answer to an earlier
            // handshake of ours — a create sent again while the server, busy with a hundred others, was still answering
            // the first (issue 15). That is no failed authentication, and counted as one it ended the retried create
            // with code 3 instead of "no answer", which the create client retries. With auth type 1 the token is the
            // only proof, so a wrong one is a failed authentication.
            _sawBadAuth |= Request.AuthType != ControlAuthType.Sha256;
            _staleReplies++;
            return ReplyDisposition.Ignored;
        }

        if (reply.Round == 2)
        {
            return OnRound2(reply, transport, now);
        }

        if (Phase != HandshakePhase.AwaitingRound4)
        {
            _sawWrongRound = true;
            return ReplyDisposition.Ignored;
        }

        Complete(reply.Parameter, reply.BodyOf(datagram).ToArray(), now);
        return ReplyDisposition.Completed;
    }

    private bool HasToken => Request.AuthType != ControlAuthType.None;

    private ReplyDisposition OnRound2(in ControlHeader reply, IControlTransport transport, long now)
    {
        if (Phase == HandshakePhase.AwaitingRound4 && (!HasToken || _tokens.Contains(reply.Token)))
        {
            return ReplyDisposition.Ignored; // duplicate answer to a resent round 1
        }

        // A later round 2 with a new token answers a resent round 1: the responder now expects that token in round 3.
        _tokens.Add(reply.Token);
        ControlHeader header = Header(round: 3, token: reply.Token);
        _message = new byte[header.AuthLength + ControlCodec.FixedHeaderLength + Request.Body.Length];
        ControlCodec.Encode(_message, header, Request.Body, out _);
        ControlAuth.Apply(_message, Request.AuthType, Request.Key);
        Phase = HandshakePhase.AwaitingRound4;
        SendFirst(transport, now);
        return ReplyDisposition.Advanced;
    }

    // B39/B40: a reply must come from the peer's address and echo our command and tunnel pair; ports are not checked
    // (MPT-SPEC §12.5: no source-port guarantees).
    private bool Matches(ReadOnlySpan<byte> datagram, IPEndPoint from, out ControlHeader reply) =>
        ControlCodec.Decode(datagram, out reply) == ControlStatus.Ok
        && reply.Command == Request.Command
        && reply.Round is 2 or 4
        && reply.LocalTunnel == Request.LocalTunnel
        && reply.RemoteTunnel == Request.RemoteTunnel
        && ControlLookup.SameHost(from.Address, Request.Peer.Address);

    private ControlHeader Header(byte round, uint token) => new()
    {
        Command = Request.Command,
        Parameter = Request.Parameter,
        AuthType = Request.AuthType,
        Token = token,
        Round = round,
        IpVersion = Request.IpVersion,
        LocalTunnel = Request.LocalTunnel,
        RemoteTunnel = Request.RemoteTunnel,
    };

    private void SendFirst(IControlTransport transport, long now)
    {
        _attempts = 1;
        _deadline = now + RetryIntervalMs;
        transport.Send(_message, Request.Peer);
    }

    private void Complete(byte code, byte[] body, long now)
    {
        Phase = HandshakePhase.Completed;
        Outcome = new HandshakeOutcome(code, body, _tokens.Count > 0, now);
    }
}
