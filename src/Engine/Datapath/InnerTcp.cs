using System.Buffers.Binary;

namespace MptFast.Engine.Datapath;

/// <summary>The inner packets an acknowledgement hold (<c>equalize_delay = acks</c>) may delay.</summary>
internal static class InnerTcp
{
    private const byte Fin = 0x01, Rst = 0x04, Ack = 0x10, Urg = 0x20;

    /// <summary>True for a TCP segment over IPv4 or IPv6 (no extension headers, not a fragment) that carries no payload
    /// and only acknowledges: ACK set, with or without SYN (a SYN-ACK, the first round trip the sender measures), no FIN,
    /// RST or URG. Anything malformed or shorter than its headers is not one.</summary>
    public static bool IsBareAcknowledgement(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 40)
        {
            return false;
        }

        int header;
        int end;
        switch (packet[0] >> 4)
        {
            case 4:
                header = (packet[0] & 0x0F) * 4;
                if (header < 20 || packet[9] != 6 || (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0)
                {
                    return false;
                }

                end = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
                break;
            case 6:
                header = 40;
                if (packet.Length < 60 || packet[6] != 6)
                {
                    return false;
                }

                end = header + BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
                break;
            default:
                return false;
        }

        if (end > packet.Length || end < header + 20)
        {
            return false;
        }

        ReadOnlySpan<byte> tcp = packet[header..end];
        return (tcp[12] >> 4) * 4 == tcp.Length && (tcp[13] & (Ack | Fin | Rst | Urg)) == Ack;
    }
}
