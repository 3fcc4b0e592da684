namespace MptFast.Engine.Wire;

/// <summary>
/// A decoded GRE-in-UDP datagram: header fields and where the payload lies. Offsets, not spans,
/// so frames can be kept in batch arrays next to their pinned buffers.
/// </summary>
public readonly struct GreFrame
{
    internal GreFrame(byte flags, ushort protocolType, int headerLength, int payloadLength, uint key, uint sequence, byte firstPayloadByte)
    {
        Flags = flags;
        ProtocolType = protocolType;
        HeaderLength = headerLength;
        PayloadLength = payloadLength;
        Key = key;
        Sequence = sequence;
        FirstPayloadByte = firstPayloadByte;
    }

    /// <summary>Byte 0 of the header (C = 0x80, K = 0x20, S = 0x10).</summary>
    public byte Flags { get; }

    /// <summary>GRE protocol type (big-endian on the wire).</summary>
    public ushort ProtocolType { get; }

    /// <summary>4 + 4·C + 4·K + 4·S (B02); also the payload's offset in the datagram.</summary>
    public int HeaderLength { get; }

    /// <summary>Bytes after the header.</summary>
    public int PayloadLength { get; }

    /// <summary>True when the C bit was set (and the checksum verified).</summary>
    public bool HasChecksum => (Flags & GreCodec.FlagChecksum) != 0;

    /// <summary>True when the K bit was set; the key is in <see cref="Key"/>.</summary>
    public bool HasKey => (Flags & GreCodec.FlagKey) != 0;

    /// <summary>RFC 2890 key (0 when absent).</summary>
    public uint Key { get; }

    /// <summary>True when the S bit was set; the sequence number is in <see cref="Sequence"/>.</summary>
    public bool HasSequence => (Flags & GreCodec.FlagSequence) != 0;

    /// <summary>RFC 2890 sequence number (0 when absent).</summary>
    public uint Sequence { get; }

    /// <summary>First payload byte: IP version nibble for data, the command code for commands.</summary>
    public byte FirstPayloadByte { get; }

    /// <summary>Data or MPT command (MPT-SPEC §2.4: first byte ≥ 0xA0 is a command).</summary>
    public GrePayloadKind Kind => FirstPayloadByte >= GreCodec.CommandThreshold ? GrePayloadKind.Command : GrePayloadKind.Data;

    /// <summary>Inner IP version (4 or 6) for data; 0 for commands. Decide the family from this, not from the protocol type (B01).</summary>
    public int InnerVersion => Kind == GrePayloadKind.Data ? FirstPayloadByte >> 4 : 0;

    /// <summary>
    /// False for data whose protocol type names the other family (an original peer labels per connection,
    /// B01, MPT-SPEC §12.5). Accepted, exposed for counters.
    /// </summary>
    public bool ProtocolMatchesInner =>
        Kind != GrePayloadKind.Data || ProtocolType == (InnerVersion == 6 ? GreCodec.ProtocolIPv6 : GreCodec.ProtocolIPv4);

    /// <summary>The payload inside the datagram this frame was decoded from.</summary>
    public ReadOnlySpan<byte> PayloadOf(ReadOnlySpan<byte> udpPayload) => udpPayload.Slice(HeaderLength, PayloadLength);

    /// <summary>The payload inside the datagram this frame was decoded from (writable).</summary>
    public Span<byte> PayloadOf(Span<byte> udpPayload) => udpPayload.Slice(HeaderLength, PayloadLength);
}
