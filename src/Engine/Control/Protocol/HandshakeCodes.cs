namespace MptFast.Engine.Control.Protocol;

/// <summary>Result and error codes of the handshake (MPT-SPEC §4.10) plus the ones this implementation adds.</summary>
public static class HandshakeCodes
{
    /// <summary>OK (byte 1 of rounds 2/4).</summary>
    public const byte Ok = 0;

    /// <summary>No answer from the peer after 6 attempts (initiator only).</summary>
    public const byte NoAnswer = 1;

    /// <summary>A reply failed authentication (initiator only).</summary>
    public const byte AuthFailed = 3;

    /// <summary>No connection for a non-create command, or unparsable/invalid create text.</summary>
    public const byte BadRequest = 4;

    /// <summary>Create: a connection for this tunnel pair already exists (reply body: one byte 1).</summary>
    public const byte Exists = 5;

    /// <summary>No usable path to send through (local only).</summary>
    public const byte NoUsablePath = 6;

    /// <summary>
    /// Create: the connection was built but could not be started (e.g. port in use) — B55: the original exits the
    /// daemon here. Not a code of the original; an original requester prints it as a failure code.
    /// </summary>
    public const byte StartFailed = 7;

    /// <summary>A reply carried the wrong round number (initiator only).</summary>
    public const byte WrongRound = 9;
}
