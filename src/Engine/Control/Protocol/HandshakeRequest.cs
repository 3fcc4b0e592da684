using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Control.Protocol;

/// <summary>
/// One outgoing four-round handshake (MPT-SPEC §4.5): what to send and to whom. Build it with
/// <see cref="ForConnection"/>, which applies the auth rules of §4.4 (create always SHA-256 — B43).
/// </summary>
public sealed record HandshakeRequest
{
    /// <summary>0xA2 or 0xA3.</summary>
    public required ControlCommand Command { get; init; }

    /// <summary>Byte 1 of rounds 1 and 3 (status AND 0x80 for 0xA2, 0 for 0xA3).</summary>
    public byte Parameter { get; init; }

    /// <summary>Auth type used for sending and for verifying the replies.</summary>
    public ControlAuthType AuthType { get; init; }

    /// <summary>K (32 bytes) for SHA-256; ignored otherwise.</summary>
    public required byte[] Key { get; init; }

    /// <summary>The connection's <c>ip_ver</c> (4 or 6).</summary>
    public byte IpVersion { get; init; } = 4;

    /// <summary>This end's tunnel address.</summary>
    public Address16 LocalTunnel { get; init; }

    /// <summary>The peer's tunnel address.</summary>
    public Address16 RemoteTunnel { get; init; }

    /// <summary>Where rounds 1 and 3 go: (path remote address, <c>remote_cmd_port</c>) (§4.1).</summary>
    public required IPEndPoint Peer { get; init; }

    /// <summary>The round-3 body.</summary>
    public required byte[] Body { get; init; }

    /// <summary>A request for connection <paramref name="connection"/>, sent to <paramref name="peerAddress"/>:<c>remote_cmd_port</c>.</summary>
    public static HandshakeRequest ForConnection(ConnectionConfig connection, ControlCommand command, byte parameter, byte[] body, IPAddress peerAddress)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(peerAddress);
        (Address16 local, Address16 remote) = ControlLookup.Tunnel(connection);
        return new HandshakeRequest
        {
            Command = command,
            Parameter = parameter,
            // MPT-SPEC §4.4: the sender uses its connection's auth_type, except 0xA3 which is always SHA-256 (B43).
            AuthType = command == ControlCommand.ConnectionCreate ? ControlAuthType.Sha256 : (ControlAuthType)connection.AuthType,
            Key = ControlAuth.DeriveKey(connection.AuthKey),
            IpVersion = (byte)(connection.IpVer == 6 ? 6 : 4),
            LocalTunnel = local,
            RemoteTunnel = remote,
            Peer = new IPEndPoint(peerAddress, connection.RemoteCmdPort),
            Body = body,
        };
    }
}

/// <summary>How a handshake ended.</summary>
/// <param name="Code">0 OK or the peer's result code (round 4), else 1 no answer, 3 auth failed, 9 wrong round (§4.10).</param>
/// <param name="Body">The round-4 body (create: the server's connection text); empty otherwise.</param>
/// <param name="Round2Received">An authentic round 2 arrived: with <paramref name="Code"/> 1 the outcome of round 3 is unknown (§4.7 step 5).</param>
/// <param name="CompletedAt">Clock value (ms) when the handshake ended.</param>
public sealed record HandshakeOutcome(byte Code, byte[] Body, bool Round2Received, long CompletedAt);

/// <summary>Where a <see cref="HandshakeInitiator"/> stands.</summary>
public enum HandshakePhase : byte
{
    /// <summary>Built, round 1 not sent yet.</summary>
    NotStarted,

    /// <summary>Round 1 sent, waiting for round 2.</summary>
    AwaitingRound2,

    /// <summary>Round 3 sent, waiting for round 4.</summary>
    AwaitingRound4,

    /// <summary>Finished; see <see cref="HandshakeInitiator.Outcome"/>.</summary>
    Completed,
}

/// <summary>What <see cref="HandshakeInitiator.OnReply"/> did with a datagram.</summary>
public enum ReplyDisposition : byte
{
    /// <summary>Not a reply to this handshake (other peer, command, tunnel pair, or not a reply at all).</summary>
    NotMine,

    /// <summary>Matched but ignored (failed authentication, unexpected round, duplicate); remembered for the final code.</summary>
    Ignored,

    /// <summary>Accepted round 2; round 3 sent.</summary>
    Advanced,

    /// <summary>Accepted round 4; the handshake completed.</summary>
    Completed,
}
