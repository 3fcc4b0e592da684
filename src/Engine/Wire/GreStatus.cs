namespace MptFast.Engine.Wire;

/// <summary>Result of <see cref="GreCodec.Decode(ReadOnlySpan{byte}, out GreFrame)"/>: <see cref="Ok"/> or why the datagram was rejected.</summary>
public enum GreStatus : byte
{
    /// <summary>Valid; see <see cref="GreFrame.Kind"/> for data or command.</summary>
    Ok = 0,

    /// <summary>Shorter than the header its flags announce (B02, B56).</summary>
    Truncated,

    /// <summary>GRE version ≠ 0 (RFC 2784; MPT-SPEC §2.6 Required).</summary>
    BadVersion,

    /// <summary>A reserved0 bit is set (RFC 2784/2890; MPT-SPEC §2.6 Required).</summary>
    ReservedBitsSet,

    /// <summary>C bit set and the RFC 2784 checksum does not verify.</summary>
    BadChecksum,

    /// <summary>Nothing after the GRE header.</summary>
    EmptyPayload,

    /// <summary>Data payload with a protocol type other than 0x0800/0x86DD (B03).</summary>
    UnsupportedProtocol,

    /// <summary>Data payload whose version nibble is neither 4 nor 6 (B03, B18).</summary>
    BadInnerVersion,

    /// <summary>
    /// Data payload shorter than its IP header, or whose IP length field differs from the payload length
    /// (a truncated or padded datagram, B04).
    /// </summary>
    BadInnerLength,
}

/// <summary>Result of <see cref="GreCodec.Encapsulate"/>.</summary>
public enum GreEncodeStatus : byte
{
    /// <summary>Header written; the packet starts at the returned offset.</summary>
    Ok = 0,

    /// <summary>Less headroom in front of the payload than the header needs.</summary>
    InsufficientHeadroom,

    /// <summary>Offset/length outside the buffer, or an empty payload.</summary>
    InvalidRange,

    /// <summary>The inner packet's version nibble is neither 4 nor 6 (B18: dropped, not sent).</summary>
    NotIpPacket,
}

/// <summary>What a GRE payload carries (MPT-SPEC §2.4).</summary>
public enum GrePayloadKind : byte
{
    /// <summary>An inner IPv4/IPv6 packet (first byte &lt; 0xA0).</summary>
    Data = 0,

    /// <summary>An MPT command on the data port (first byte ≥ 0xA0; only keepalive 0xA1 is used).</summary>
    Command = 1,
}
