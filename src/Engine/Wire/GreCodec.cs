using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace MptFast.Engine.Wire;

/// <summary>
/// GRE-in-UDP (RFC 8086) as MPT uses it (MPT-SPEC §2.2–§2.4): allocation-free, exception-free on packet data.
/// Encoding writes the header backwards into headroom in front of the inner packet (wireguard-go offset style).
/// </summary>
public static class GreCodec
{
    /// <summary>C bit: checksum + reserved1 present (RFC 2784).</summary>
    public const byte FlagChecksum = 0x80;

    /// <summary>K bit: key present (RFC 2890).</summary>
    public const byte FlagKey = 0x20;

    /// <summary>S bit: sequence number present (RFC 2890).</summary>
    public const byte FlagSequence = 0x10;

    /// <summary>Protocol type for IPv4 inner packets.</summary>
    public const ushort ProtocolIPv4 = 0x0800;

    /// <summary>Protocol type for IPv6 inner packets.</summary>
    public const ushort ProtocolIPv6 = 0x86DD;

    /// <summary>First payload byte from which a payload is an MPT command (MPT-SPEC §2.4).</summary>
    public const byte CommandThreshold = 0xA0;

    /// <summary>Header length without options.</summary>
    public const int BaseHeaderLength = 4;

    /// <summary>Largest header this encoder writes (flags + protocol + key + sequence): the headroom a buffer must reserve.</summary>
    public const int MaxEncodedHeaderLength = 12;

    /// <summary>Offset of the key in a header this encoder wrote with a key (no checksum field precedes it).</summary>
    public const int KeyOffset = 4;

    /// <summary>Offset of the sequence number in a header this encoder wrote with a key and a sequence number.</summary>
    public const int SequenceOffsetAfterKey = 8;

    /// <summary>Largest header a decoder accepts (C + K + S).</summary>
    public const int MaxHeaderLength = 16;

    // RFC 2784 reserved0 (bit 1 and bits 4..12 of the first 16-bit word, K and S excluded) and version (bits 13..15).
    private const byte Byte0Reserved = 0x4F;
    private const byte Byte1Reserved = 0xF8;
    private const byte Byte1Version = 0x07;

    /// <summary>Header length the encoder uses: 4, or 8 with a sequence number (MPT-SPEC §2.2), 4 more with a key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int EncodedHeaderLength(bool withSequence, bool withKey = false) => 4 + (withSequence ? 4 : 0) + (withKey ? 4 : 0);

    /// <summary>
    /// Writes the GRE header in front of the inner packet at <paramref name="payloadOffset"/> and returns where the
    /// datagram now starts in <paramref name="headerOffset"/>. Flags 0x00, or 0x10 + big-endian
    /// <paramref name="sequence"/> when <paramref name="withSequence"/> (MPT-SPEC §2.2–§2.3). The protocol type
    /// follows the inner version nibble (B01).
    /// </summary>
    public static GreEncodeStatus Encapsulate(Span<byte> buffer, int payloadOffset, int payloadLength, bool withSequence, uint sequence, out int headerOffset) =>
        Encapsulate(buffer, payloadOffset, payloadLength, withSequence, sequence, withKey: false, key: 0, out headerOffset);

    /// <summary>
    /// As above, with the RFC 2890 key field (K bit, the key before the sequence number) when <paramref name="withKey"/>:
    /// MptFast numbers each path's datagrams there for an MptFast peer's loss detection (<see cref="Reorder.PathLossDetector"/>),
    /// never toward an original peer (it would read the key as payload, B02).
    /// </summary>
    public static GreEncodeStatus Encapsulate(Span<byte> buffer, int payloadOffset, int payloadLength, bool withSequence, uint sequence,
        bool withKey, uint key, out int headerOffset)
    {
        headerOffset = 0;
        if (payloadLength <= 0 || payloadOffset < 0 || (uint)payloadOffset + (uint)payloadLength > (uint)buffer.Length)
        {
            return GreEncodeStatus.InvalidRange;
        }

        int headerLength = EncodedHeaderLength(withSequence, withKey);
        if (payloadOffset < headerLength)
        {
            return GreEncodeStatus.InsufficientHeadroom;
        }

        // MPT-SPEC §2.2 Required (B01): protocol type per packet from the inner version nibble.
        ushort protocol;
        switch (buffer[payloadOffset] >> 4)
        {
            case 4:
                protocol = ProtocolIPv4;
                break;
            case 6:
                protocol = ProtocolIPv6;
                break;
            default:
                return GreEncodeStatus.NotIpPacket;
        }

        headerOffset = payloadOffset - headerLength;
        Span<byte> header = buffer.Slice(headerOffset, headerLength);
        if (withKey)
        {
            header[0] = (byte)(FlagKey | (withSequence ? FlagSequence : 0));
            header[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(header[2..], protocol);
            BinaryPrimitives.WriteUInt32BigEndian(header[KeyOffset..], key);
            if (withSequence)
            {
                BinaryPrimitives.WriteUInt32BigEndian(header[SequenceOffsetAfterKey..], sequence);
            }
        }
        else
        {
            WriteHeader(header, protocol, withSequence, sequence);
        }

        return GreEncodeStatus.Ok;
    }

    /// <summary>
    /// Writes a 4- or 8-byte header (flags 0x00 or 0x10) with an explicit protocol type into
    /// <paramref name="destination"/>; returns the length written. Used for keepalives (MPT-SPEC §3.1).
    /// </summary>
    public static int WriteHeader(Span<byte> destination, ushort protocolType, bool withSequence, uint sequence)
    {
        int headerLength = EncodedHeaderLength(withSequence);
        if (destination.Length < headerLength)
        {
            WireThrow.SpanTooShort(nameof(destination), headerLength);
        }

        destination[0] = withSequence ? FlagSequence : (byte)0;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], protocolType);
        if (withSequence)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[4..], sequence);
        }

        return headerLength;
    }

    /// <summary>
    /// Decodes a UDP payload from a data socket (MPT-SPEC §2.6 Required, B02, B03): header length
    /// 4 + 4·C + 4·K + 4·S, version and reserved bits must be zero, the checksum must verify when present,
    /// the payload must not be empty; data needs protocol 0x0800/0x86DD, an inner version 4 or 6
    /// (either protocol with either version: original peers label per connection, §12.5) and an IP length
    /// field equal to the payload length (B04).
    /// </summary>
    public static GreStatus Decode(ReadOnlySpan<byte> udpPayload, out GreFrame frame)
    {
        frame = default;
        if (udpPayload.Length < BaseHeaderLength)
        {
            return GreStatus.Truncated;
        }

        byte flags = udpPayload[0];
        byte byte1 = udpPayload[1];
        if ((byte1 & Byte1Version) != 0)
        {
            return GreStatus.BadVersion;
        }

        if ((flags & Byte0Reserved) != 0 || (byte1 & Byte1Reserved) != 0)
        {
            return GreStatus.ReservedBitsSet;
        }

        int headerLength = BaseHeaderLength;
        int keyOffset = 0;
        int sequenceOffset = 0;
        if ((flags & FlagChecksum) != 0)
        {
            headerLength += 4;
        }

        if ((flags & FlagKey) != 0)
        {
            keyOffset = headerLength;
            headerLength += 4;
        }

        if ((flags & FlagSequence) != 0)
        {
            sequenceOffset = headerLength;
            headerLength += 4;
        }

        if (udpPayload.Length < headerLength)
        {
            return GreStatus.Truncated;
        }

        if (udpPayload.Length == headerLength)
        {
            return GreStatus.EmptyPayload;
        }

        // RFC 2784 §2.5: ones' complement over the GRE header and payload, checksum field included.
        if ((flags & FlagChecksum) != 0 && !InternetChecksum.Verifies(udpPayload))
        {
            return GreStatus.BadChecksum;
        }

        ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(udpPayload[2..]);
        byte first = udpPayload[headerLength];
        if (first < CommandThreshold)
        {
            if (protocol != ProtocolIPv4 && protocol != ProtocolIPv6)
            {
                return GreStatus.UnsupportedProtocol;
            }

            int version = first >> 4;
            if (version != 4 && version != 6)
            {
                return GreStatus.BadInnerVersion;
            }

            if (!InnerLengthMatches(udpPayload[headerLength..], version))
            {
                return GreStatus.BadInnerLength;
            }
        }

        uint key = keyOffset != 0 ? BinaryPrimitives.ReadUInt32BigEndian(udpPayload[keyOffset..]) : 0;
        uint sequence = sequenceOffset != 0 ? BinaryPrimitives.ReadUInt32BigEndian(udpPayload[sequenceOffset..]) : 0;
        frame = new GreFrame(flags, protocol, headerLength, udpPayload.Length - headerLength, key, sequence, first);
        return GreStatus.Ok;
    }

    /// <summary>
    /// B04: the inner packet must be exactly as long as its IP header says (the original sends what it read from
    /// the TUN, unpadded), so a truncated datagram is caught here even without MSG_TRUNC.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool InnerLengthMatches(ReadOnlySpan<byte> inner, int version) => version == 4
        ? inner.Length >= 20 && BinaryPrimitives.ReadUInt16BigEndian(inner[2..]) == inner.Length
        : inner.Length >= 40 && BinaryPrimitives.ReadUInt16BigEndian(inner[4..]) + 40 == inner.Length;
}
