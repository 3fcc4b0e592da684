namespace MptFast.Engine.Wire;

/// <summary>
/// The common control-message header (MPT-SPEC §4.2). Input of the encoders (body passed separately)
/// and output of <see cref="ControlCodec.Decode"/> (which also fills <see cref="BodyLength"/>).
/// </summary>
public readonly record struct ControlHeader
{
    /// <summary>Command code (byte 0).</summary>
    public ControlCommand Command { get; init; }

    /// <summary>Byte 1: requested status in rounds 1/3 (0x00 up, 0x80 down; 0 for create), result code in rounds 2/4.</summary>
    public byte Parameter { get; init; }

    /// <summary>Byte 2. Receivers derive sh from it, not from byte 3.</summary>
    public ControlAuthType AuthType { get; init; }

    /// <summary>Bytes 4..7 when sh ≥ 4: host-order (little-endian) token (§4.4).</summary>
    public uint Token { get; init; }

    /// <summary>Round 1..4 at sh+4 (0 for keepalives).</summary>
    public byte Round { get; init; }

    /// <summary>IP version of the connection at sh+5 (4 or 6).</summary>
    public byte IpVersion { get; init; }

    /// <summary>Sender's local tunnel address at sh+8.</summary>
    public Address16 LocalTunnel { get; init; }

    /// <summary>Sender's remote tunnel address at sh+24.</summary>
    public Address16 RemoteTunnel { get; init; }

    /// <summary>Decoded body length (bytes after sh+40). Ignored by the encoders.</summary>
    public int BodyLength { get; init; }

    /// <summary>Auth block length sh derived from <see cref="AuthType"/> (0, 4, 36).</summary>
    public int AuthLength => ControlAuth.AuthSize(AuthType);

    /// <summary>Offset of the body: sh + 40.</summary>
    public int BodyOffset => AuthLength + ControlCodec.FixedHeaderLength;

    /// <summary>Total message length: sh + 40 + body.</summary>
    public int MessageLength => BodyOffset + BodyLength;

    /// <summary>The body inside the message this header was decoded from.</summary>
    public ReadOnlySpan<byte> BodyOf(ReadOnlySpan<byte> message) => message.Slice(BodyOffset, BodyLength);
}
