using MptFast.Engine.Wire;

namespace MptFast.Engine.Control.Protocol;

/// <summary>Why the responder ignored a datagram (MPT-SPEC §4.5 steps 1–7); the daemon counts each reason.</summary>
public enum ResponderRejection : byte
{
    /// <summary>Not rejected: answered, or a keepalive was accepted.</summary>
    None = 0,

    /// <summary>Shorter than sh + 40 bytes (B56).</summary>
    Truncated,

    /// <summary>Command byte is not 0xA1–0xA3.</summary>
    UnknownCommand,

    /// <summary>Auth type byte is not 0/1/2, or a create without SHA-256.</summary>
    BadAuthType,

    /// <summary>Round outside 1..4.</summary>
    BadRound,

    /// <summary>IP version byte is not 4 or 6.</summary>
    BadIpVersion,

    /// <summary>Body length does not fit the round or the length announced in round 1 (B56).</summary>
    BadBodyLength,

    /// <summary>A round 2 or 4 (a reply) that no handshake of ours was waiting for.</summary>
    NotARequest,

    /// <summary>No connection for the tunnel pair (status change, keepalive).</summary>
    NoConnection,

    /// <summary>Round 3 without a preceding round 1, or after the session expired (§4.5 step 5).</summary>
    RoundOutOfOrder,

    /// <summary>The packet's auth type differs from the connection's configured one (B44: reported, not silent).</summary>
    AuthTypeMismatch,

    /// <summary>SHA-256 digest wrong (§4.4).</summary>
    AuthFailed,

    /// <summary>Round 3 token differs from the one handed out in round 2 (§4.4).</summary>
    BadToken,

    /// <summary>Create while <c>accept_remote</c> = 0 or without a template (§4.5 step 7).</summary>
    CreateNotAllowed,

    /// <summary>A round 3 for a handshake that already completed, outside the retransmission window or altered.</summary>
    Replay,

    /// <summary>The connection's (create: the template's) permission lacks the RECEIVE bit (B57).</summary>
    PermissionDenied,

    /// <summary>A status change whose byte 1 is neither 0x00 nor 0x80.</summary>
    BadParameter,

    /// <summary>Keepalive from an address that is no path's remote address (§3.4).</summary>
    UnknownSender,

    /// <summary>More handshake requests from one source address than <see cref="HandshakeRateLimiter"/> allows (issue 14 item 6).</summary>
    RateLimited,

    /// <summary>A create beyond <c>max_remote_connections</c> (answered with code 7; issue 14 item 6).</summary>
    CreateLimit,
}

/// <summary>Outcome of <see cref="ControlResponder.Respond"/>.</summary>
public readonly record struct ResponderResult
{
    /// <summary>Datagram to send back to the request's source address and port, or null.</summary>
    public byte[]? Reply { get; init; }

    /// <summary>Why nothing was done, or <see cref="ResponderRejection.None"/>.</summary>
    public ResponderRejection Rejection { get; init; }

    /// <summary>The reply is a resend of an earlier one for an identical retransmitted request (no state changed).</summary>
    public bool IsRetransmission { get; init; }

    /// <summary>Command of the handled datagram (when it decoded).</summary>
    public ControlCommand Command { get; init; }

    /// <summary>Round of the handled datagram (when it decoded).</summary>
    public byte Round { get; init; }

    internal static ResponderResult Reject(ResponderRejection reason, in ControlHeader header = default) =>
        new() { Rejection = reason, Command = header.Command, Round = header.Round };
}
