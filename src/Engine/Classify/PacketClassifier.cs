using System.Buffers.Binary;

namespace MptFast.Engine.Classify;

/// <summary>
/// Inner-packet header walk for flow mapping. MPT-SPEC §6.4 "Required" and B07: the original reads
/// ports at fixed offsets; we parse the IPv4 IHL and fragment offset and walk IPv6 extension headers,
/// with a bounds check before every read. Malformed or truncated input yields <c>HasPorts = false</c>,
/// never an exception.
/// </summary>
public static class PacketClassifier
{
    /// <summary>At most this many IPv6 extension headers are walked; more → no ports.</summary>
    public const int MaxExtensionHeaders = 8;

    private const int Ipv4MinHeader = 20;
    private const int Ipv6Header = 40;
    private const byte HopByHop = 0;
    private const byte Routing = 43;
    private const byte Fragment = 44;
    private const byte DestinationOptions = 60;

    /// <summary>Classifies one inner IP packet (as read from the TUN, no packet-info header).</summary>
    public static FlowKey Classify(ReadOnlySpan<byte> ipPacket)
    {
        if (ipPacket.IsEmpty)
        {
            return default;
        }

        return (ipPacket[0] >> 4) switch
        {
            4 => ClassifyIpv4(ipPacket),
            6 => ClassifyIpv6(ipPacket),
            _ => default,
        };
    }

    private static FlowKey ClassifyIpv4(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < Ipv4MinHeader)
        {
            return default;
        }

        int headerLength = (packet[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(2, 2));
        if (headerLength < Ipv4MinHeader || headerLength > packet.Length || totalLength < headerLength || totalLength > packet.Length)
        {
            return default;
        }

        byte protocol = packet[9];

        // Only the first fragment (offset 0) carries the transport header (B07).
        int fragmentOffset = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(6, 2)) & 0x1FFF;
        if (fragmentOffset != 0)
        {
            return new FlowKey(4, protocol, 0, 0, false);
        }

        return WithPorts(4, protocol, packet.Slice(headerLength, totalLength - headerLength));
    }

    private static FlowKey ClassifyIpv6(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < Ipv6Header)
        {
            return default;
        }

        int end = Ipv6Header + BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(4, 2));
        if (end > packet.Length)
        {
            // Truncated (or a jumbogram, which a TUN does not carry): no ports, but the version is known.
            return new FlowKey(6, packet[6], 0, 0, false);
        }

        byte next = packet[6];
        int offset = Ipv6Header;
        for (int walked = 0; walked <= MaxExtensionHeaders; walked++)
        {
            switch (next)
            {
                case HopByHop:
                case Routing:
                case DestinationOptions:
                    if (walked == MaxExtensionHeaders || end - offset < 2)
                    {
                        return new FlowKey(6, next, 0, 0, false);
                    }

                    byte following = packet[offset];
                    offset += (packet[offset + 1] + 1) * 8;
                    if (offset > end)
                    {
                        return new FlowKey(6, next, 0, 0, false);
                    }

                    next = following;
                    break;

                case Fragment:
                    if (walked == MaxExtensionHeaders || end - offset < 8)
                    {
                        return new FlowKey(6, next, 0, 0, false);
                    }

                    next = packet[offset];
                    int fragmentOffset = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(offset + 2, 2)) >> 3;
                    offset += 8;
                    if (fragmentOffset != 0)
                    {
                        return new FlowKey(6, next, 0, 0, false);
                    }

                    break;

                default:
                    return WithPorts(6, next, packet.Slice(offset, end - offset));
            }
        }

        return new FlowKey(6, next, 0, 0, false);
    }

    private static FlowKey WithPorts(byte version, byte protocol, ReadOnlySpan<byte> transport)
    {
        if ((protocol != FlowKey.Tcp && protocol != FlowKey.Udp) || transport.Length < 4)
        {
            return new FlowKey(version, protocol, 0, 0, false);
        }

        return new FlowKey(
            version,
            protocol,
            BinaryPrimitives.ReadUInt16BigEndian(transport),
            BinaryPrimitives.ReadUInt16BigEndian(transport.Slice(2, 2)),
            true);
    }
}
