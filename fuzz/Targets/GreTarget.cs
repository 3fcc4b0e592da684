using System.Buffers.Binary;
using MptFast.Engine.Wire;

namespace MptFast.Fuzz;

/// <summary>
/// GRE-in-UDP decoding of a data-socket datagram (MPT-SPEC §2.2–§2.6, RFC 2784/2890). Invariants: the status is the
/// one the spec's checks give in order (an oracle written from §2.6 "Required", not from the decoder); an accepted
/// frame's header length is 4 + 4C + 4K + 4S and lies inside the datagram, key and sequence come from their RFC 2890
/// offsets, header + payload = the datagram; encode(decode(x)) = x for what our encoder writes (flags 0x00/0x10, the
/// protocol type of the inner version, B01); any accepted frame re-encoded without C and K decodes to the same content.
/// </summary>
internal static class GreTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        GreStatus status = GreCodec.Decode(data, out GreFrame frame);
        GreStatus expected = ExpectedStatus(data);
        Fuzz.Require(status == expected, $"gre: status {status}, the spec's checks give {expected}");
        if (status != GreStatus.Ok)
        {
            Fuzz.Require(frame.HeaderLength == 0 && frame.PayloadLength == 0, "gre: a rejected datagram left a frame");
            return;
        }

        byte flags = data[0];
        int c = (flags & GreCodec.FlagChecksum) != 0 ? 1 : 0;
        int k = (flags & GreCodec.FlagKey) != 0 ? 1 : 0;
        int s = (flags & GreCodec.FlagSequence) != 0 ? 1 : 0;
        int headerLength = 4 + (4 * c) + (4 * k) + (4 * s);
        Fuzz.Require(frame.HeaderLength == headerLength, $"gre: header length {frame.HeaderLength}, flags say {headerLength}");
        Fuzz.Require(frame.HeaderLength + frame.PayloadLength == data.Length && frame.PayloadLength > 0, "gre: header + payload is not the datagram");
        Fuzz.Require(frame.Flags == flags && frame.ProtocolType == BinaryPrimitives.ReadUInt16BigEndian(data[2..]), "gre: flags or protocol differ from the wire");
        Fuzz.Require(frame.HasChecksum == (c == 1) && frame.HasKey == (k == 1) && frame.HasSequence == (s == 1), "gre: C/K/S flags misread");
        Fuzz.Require(frame.Key == (k == 1 ? BinaryPrimitives.ReadUInt32BigEndian(data[(4 + (4 * c))..]) : 0u), "gre: key not read from 4 + 4C");
        Fuzz.Require(frame.Sequence == (s == 1 ? BinaryPrimitives.ReadUInt32BigEndian(data[(4 + (4 * c) + (4 * k))..]) : 0u), "gre: sequence not read from 4 + 4C + 4K");
        ReadOnlySpan<byte> payload = frame.PayloadOf(data);
        Fuzz.Require(payload.SequenceEqual(data[headerLength..]) && frame.FirstPayloadByte == payload[0], "gre: payload is not the bytes after the header");
        bool command = payload[0] >= GreCodec.CommandThreshold;
        Fuzz.Require(frame.Kind == (command ? GrePayloadKind.Command : GrePayloadKind.Data), "gre: data/command misclassified (§2.4)");
        Fuzz.Require(frame.InnerVersion == (command ? 0 : payload[0] >> 4), "gre: inner version");

        CheckReencoding(data, frame, payload);
        FuzzReach.GreAccepted++;
    }

    // What our encoder writes round-trips byte for byte; anything accepted survives a canonical re-encoding.
    private static void CheckReencoding(ReadOnlySpan<byte> data, in GreFrame frame, ReadOnlySpan<byte> payload)
    {
        byte[] buffer = new byte[GreCodec.MaxEncodedHeaderLength + payload.Length];
        payload.CopyTo(buffer.AsSpan(GreCodec.MaxEncodedHeaderLength));
        int headerOffset;
        if (frame.Kind == GrePayloadKind.Data)
        {
            GreEncodeStatus encoded = GreCodec.Encapsulate(buffer, GreCodec.MaxEncodedHeaderLength, payload.Length, frame.HasSequence, frame.Sequence, out headerOffset);
            Fuzz.Require(encoded == GreEncodeStatus.Ok, $"gre: an accepted data payload does not encode ({encoded})");
        }
        else
        {
            headerOffset = GreCodec.MaxEncodedHeaderLength - GreCodec.EncodedHeaderLength(frame.HasSequence);
            GreCodec.WriteHeader(buffer.AsSpan(headerOffset), frame.ProtocolType, frame.HasSequence, frame.Sequence);
        }

        ReadOnlySpan<byte> canonical = buffer.AsSpan(headerOffset);
        bool ourShape = (frame.Flags & ~GreCodec.FlagSequence) == 0 && (frame.Kind == GrePayloadKind.Command || frame.ProtocolMatchesInner);
        Fuzz.Require(!ourShape || canonical.SequenceEqual(data), "gre: encode(decode(x)) != x");

        Fuzz.Require(GreCodec.Decode(canonical, out GreFrame again) == GreStatus.Ok, "gre: the re-encoded datagram is rejected");
        Fuzz.Require(again.HasSequence == frame.HasSequence && again.Sequence == frame.Sequence && again.Kind == frame.Kind
            && again.PayloadOf(canonical).SequenceEqual(payload), "gre: re-encoding changed the content");
    }

    /// <summary>The checks of MPT-SPEC §2.6 "Required" (and B02–B04) in order, from the spec's text.</summary>
    private static GreStatus ExpectedStatus(ReadOnlySpan<byte> d)
    {
        if (d.Length < 4)
        {
            return GreStatus.Truncated;
        }

        if ((d[1] & 0x07) != 0)
        {
            return GreStatus.BadVersion; // RFC 2784 version, bits 13..15
        }

        if ((d[0] & 0x4F) != 0 || (d[1] & 0xF8) != 0)
        {
            return GreStatus.ReservedBitsSet; // reserved0 without C (0x80), K (0x20), S (0x10)
        }

        int header = 4 + ((d[0] & 0x80) != 0 ? 4 : 0) + ((d[0] & 0x20) != 0 ? 4 : 0) + ((d[0] & 0x10) != 0 ? 4 : 0);
        if (d.Length < header)
        {
            return GreStatus.Truncated;
        }

        if (d.Length == header)
        {
            return GreStatus.EmptyPayload;
        }

        if ((d[0] & 0x80) != 0 && !Fuzz.ChecksumVerifies(d))
        {
            return GreStatus.BadChecksum;
        }

        ReadOnlySpan<byte> inner = d[header..];
        if (inner[0] >= 0xA0)
        {
            return GreStatus.Ok; // a command: its own decoder judges it
        }

        ushort protocol = (ushort)((d[2] << 8) | d[3]);
        if (protocol is not (0x0800 or 0x86DD))
        {
            return GreStatus.UnsupportedProtocol;
        }

        int version = inner[0] >> 4;
        if (version is not (4 or 6))
        {
            return GreStatus.BadInnerVersion;
        }

        bool lengthMatches = version == 4
            ? inner.Length >= 20 && ((inner[2] << 8) | inner[3]) == inner.Length
            : inner.Length >= 40 && ((inner[4] << 8) | inner[5]) + 40 == inner.Length;
        return lengthMatches ? GreStatus.Ok : GreStatus.BadInnerLength;
    }
}
