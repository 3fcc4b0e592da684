using System.Buffers.Binary;

namespace MptFast.Engine.Wire;

/// <summary>
/// Control messages on the command port (MPT-SPEC §4.2–§4.7). Encoders leave the digest bytes zero:
/// call <see cref="ControlAuth.Apply"/> afterwards. The decoder never throws on packet data.
/// </summary>
public static class ControlCodec
{
    /// <summary>Header bytes besides the auth block: code, parameter, type, sh, round, version, reserved, two addresses.</summary>
    public const int FixedHeaderLength = 40;

    /// <summary>Body of rounds 1 and 2: the round-3 body length as uint32 little-endian (B42).</summary>
    public const int AnnounceBodyLength = 4;

    /// <summary>Body of a status-change round 3: public + remote path address (§4.6).</summary>
    public const int PathStatusBodyLength = 2 * Address16.Size;

    /// <summary>
    /// MptFast extension (issue 15): a status-change body followed by <see cref="ViaPathTag"/> says "sent over the path
    /// it names, from that path's own address", so the responder may move the path to the observed source (NAT). An
    /// original responder reads the first 32 bytes and ignores the rest.
    /// </summary>
    public const int PathStatusViaBodyLength = PathStatusBodyLength + 4;

    /// <summary>The 4 bytes that end a <see cref="PathStatusViaBodyLength"/> body: "MFvp".</summary>
    public static ReadOnlySpan<byte> ViaPathTag => "MFvp"u8;

    // Offsets relative to the end of the auth block (add sh).
    private const int RoundOffset = 4;
    private const int IpVersionOffset = 5;
    private const int ReservedOffset = 6;
    private const int LocalTunnelOffset = 8;
    private const int RemoteTunnelOffset = 24;

    /// <summary>Encodes any command/round with an arbitrary body (e.g. create text in round 3/4).</summary>
    public static ControlEncodeStatus Encode(Span<byte> destination, in ControlHeader header, ReadOnlySpan<byte> body, out int written)
    {
        ControlEncodeStatus status = WriteHeader(destination, header, body.Length, out int bodyOffset);
        if (status != ControlEncodeStatus.Ok)
        {
            written = 0;
            return status;
        }

        body.CopyTo(destination[bodyOffset..]);
        written = bodyOffset + body.Length;
        return ControlEncodeStatus.Ok;
    }

    /// <summary>Encodes round 1 or 2: the body is <paramref name="announcedLength"/> as uint32 little-endian (B42).</summary>
    public static ControlEncodeStatus EncodeAnnounce(Span<byte> destination, in ControlHeader header, uint announcedLength, out int written)
    {
        Span<byte> body = stackalloc byte[AnnounceBodyLength];
        BinaryPrimitives.WriteUInt32LittleEndian(body, announcedLength);
        return Encode(destination, header, body, out written);
    }

    /// <summary>Encodes a status-change round 3: body = the changed path's public address + its remote address (§4.6).</summary>
    public static ControlEncodeStatus EncodePathStatusRequest(Span<byte> destination, in ControlHeader header, Address16 publicAddress, Address16 remoteAddress, out int written)
    {
        Span<byte> body = stackalloc byte[PathStatusBodyLength];
        publicAddress.WriteTo(body);
        remoteAddress.WriteTo(body[Address16.Size..]);
        return Encode(destination, header, body, out written);
    }

    /// <summary>
    /// Decodes and validates a control message (B56): length ≥ sh + 40, known command (0xA1–0xA3), auth type
    /// 0/1/2 (create: 2), round 1..4 for handshakes, IP version 4/6, body length by round. Reserved bytes
    /// sh+6..7 are ignored (B41); byte 3 (sh as sent) is informative and ignored.
    /// </summary>
    public static ControlStatus Decode(ReadOnlySpan<byte> message, out ControlHeader header)
    {
        header = default;
        if (message.Length < 4)
        {
            return ControlStatus.Truncated;
        }

        var command = (ControlCommand)message[0];
        if (command is not (ControlCommand.Keepalive or ControlCommand.PathStatusChange or ControlCommand.ConnectionCreate))
        {
            return ControlStatus.UnknownCommand;
        }

        byte authByte = message[2];
        if (authByte > (byte)ControlAuthType.Sha256)
        {
            return ControlStatus.BadAuthType;
        }

        var authType = (ControlAuthType)authByte;
        if (command == ControlCommand.ConnectionCreate && authType != ControlAuthType.Sha256)
        {
            return ControlStatus.CreateRequiresSha256;
        }

        int sh = ControlAuth.AuthSize(authType);
        if (message.Length < sh + FixedHeaderLength)
        {
            return ControlStatus.Truncated;
        }

        byte round = message[sh + RoundOffset];
        if (command != ControlCommand.Keepalive && round is < 1 or > 4)
        {
            return ControlStatus.BadRound;
        }

        byte ipVersion = message[sh + IpVersionOffset];
        if (ipVersion is not (4 or 6))
        {
            return ControlStatus.BadIpVersion;
        }

        int bodyLength = message.Length - sh - FixedHeaderLength;
        if (!BodyLengthFits(command, round, bodyLength))
        {
            return ControlStatus.BadBodyLength;
        }

        header = new ControlHeader
        {
            Command = command,
            Parameter = message[1],
            AuthType = authType,
            Token = sh >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(message[4..]) : 0,
            Round = round,
            IpVersion = ipVersion,
            LocalTunnel = Address16.Read(message[(sh + LocalTunnelOffset)..]),
            RemoteTunnel = Address16.Read(message[(sh + RemoteTunnelOffset)..]),
            BodyLength = bodyLength,
        };
        return ControlStatus.Ok;
    }

    /// <summary>The announced round-3 body length of a decoded round 1/2 (uint32 little-endian, B42).</summary>
    public static uint ReadAnnouncedLength(ReadOnlySpan<byte> message, in ControlHeader header) =>
        header.BodyLength >= AnnounceBodyLength ? BinaryPrimitives.ReadUInt32LittleEndian(message[header.BodyOffset..]) : 0;

    /// <summary>
    /// Checks a decoded round 3 against the length announced in round 1 (B56): <see cref="ControlStatus.BadBodyLength"/>
    /// when the body is shorter or longer.
    /// </summary>
    public static ControlStatus CheckAnnouncedBody(in ControlHeader header, uint announcedLength) =>
        (uint)header.BodyLength == announcedLength ? ControlStatus.Ok : ControlStatus.BadBodyLength;

    /// <summary>Reads the status-change round-3 body: sender's public path address, then its remote path address (§4.6).</summary>
    public static bool TryReadPathStatusBody(ReadOnlySpan<byte> message, in ControlHeader header, out Address16 publicAddress, out Address16 remoteAddress)
    {
        if (header.BodyLength < PathStatusBodyLength || message.Length < header.BodyOffset + PathStatusBodyLength)
        {
            publicAddress = default;
            remoteAddress = default;
            return false;
        }

        ReadOnlySpan<byte> body = message.Slice(header.BodyOffset, PathStatusBodyLength);
        publicAddress = Address16.Read(body);
        remoteAddress = Address16.Read(body[Address16.Size..]);
        return true;
    }

    /// <summary>
    /// The 4 bytes that end a <see cref="PathStatusViaBodyLength"/> body of a "down" that says "I deleted this connection
    /// (<c>mpt delete</c>); free what a create made for me": "MFdl" (issue 15). An original responder sees a path down.
    /// </summary>
    public static ReadOnlySpan<byte> DeleteTag => "MFdl"u8;

    /// <summary>True when a status-change round 3 carries the <see cref="ViaPathTag"/> extension.</summary>
    public static bool IsViaPath(ReadOnlySpan<byte> message, in ControlHeader header) => HasTag(message, header, ViaPathTag);

    /// <summary>True when a status-change round 3 carries the <see cref="DeleteTag"/> extension.</summary>
    public static bool IsDelete(ReadOnlySpan<byte> message, in ControlHeader header) => HasTag(message, header, DeleteTag);

    private static bool HasTag(ReadOnlySpan<byte> message, in ControlHeader header, ReadOnlySpan<byte> tag) =>
        header.BodyLength == PathStatusViaBodyLength && message.Length >= header.BodyOffset + PathStatusViaBodyLength
        && message.Slice(header.BodyOffset + PathStatusBodyLength, 4).SequenceEqual(tag);

    /// <summary>Writes the sh + 40 header bytes (digest zeroed, reserved zeroed — B41) and returns the body offset.</summary>
    internal static ControlEncodeStatus WriteHeader(Span<byte> destination, in ControlHeader header, int bodyLength, out int bodyOffset)
    {
        bodyOffset = 0;
        if ((byte)header.AuthType > (byte)ControlAuthType.Sha256
            || (header.Command == ControlCommand.ConnectionCreate && header.AuthType != ControlAuthType.Sha256))
        {
            return ControlEncodeStatus.BadAuthType;
        }

        int sh = ControlAuth.AuthSize(header.AuthType);
        if ((long)sh + FixedHeaderLength + bodyLength > destination.Length)
        {
            return ControlEncodeStatus.DestinationTooSmall;
        }

        Span<byte> head = destination[..(sh + FixedHeaderLength)];
        head.Clear();
        head[0] = (byte)header.Command;
        head[1] = header.Parameter;
        head[2] = (byte)header.AuthType;
        head[3] = (byte)sh;
        if (sh >= 4)
        {
            // MPT-SPEC §4.4: the token is a host-order uint32; the original runs on little-endian hosts.
            BinaryPrimitives.WriteUInt32LittleEndian(head[4..], header.Token);
        }

        head[sh + RoundOffset] = header.Round;
        head[sh + IpVersionOffset] = header.IpVersion;
        head[sh + ReservedOffset] = 0;
        head[sh + ReservedOffset + 1] = 0;
        header.LocalTunnel.WriteTo(head[(sh + LocalTunnelOffset)..]);
        header.RemoteTunnel.WriteTo(head[(sh + RemoteTunnelOffset)..]);
        bodyOffset = sh + FixedHeaderLength;
        return ControlEncodeStatus.Ok;
    }

    private static bool BodyLengthFits(ControlCommand command, byte round, int bodyLength)
    {
        if (command == ControlCommand.Keepalive)
        {
            return true;
        }

        return round switch
        {
            1 or 2 => bodyLength == AnnounceBodyLength,
            3 => command == ControlCommand.PathStatusChange ? bodyLength is PathStatusBodyLength or PathStatusViaBodyLength : bodyLength > 0,
            // Create replies may be cut short by 36 bytes (B50) or carry only a 1-byte "exists" marker.
            _ => command != ControlCommand.PathStatusChange || bodyLength == 0,
        };
    }
}
