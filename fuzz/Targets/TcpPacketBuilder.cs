using System.Buffers.Binary;

namespace MptFast.Fuzz;

/// <summary>
/// Builds TCP/IPv4 (20-byte header) and TCP/IPv6 packets with checksums computed by <see cref="Fuzz.OnesSum"/>, for the
/// offload targets: random bytes almost never carry valid checksums, so the coalescer would never be reached.
/// </summary>
internal static class TcpPacketBuilder
{
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10;

    /// <summary>Writes a packet into <paramref name="p"/> (exactly its length: header + <paramref name="payloadLength"/>).</summary>
    public static int Write(Span<byte> p, bool ipv6, int flow, ushort id, uint sequence, uint ack, byte flags, int tcpOptions,
        int payloadLength, byte fill, byte ttl, bool flowLabelOrDf)
    {
        int ip = ipv6 ? 40 : 20;
        int tcp = 20 + tcpOptions;
        int length = ip + tcp + payloadLength;
        p = p[..length];
        p.Clear();
        if (ipv6)
        {
            p[0] = 0x60;
            p[1] = (byte)(flowLabelOrDf ? 0x0A : 0x00);
            BinaryPrimitives.WriteUInt16BigEndian(p[4..], (ushort)(length - 40));
            p[6] = 6;
            p[7] = ttl;
            p[8] = 0xFD;
            p[23] = (byte)(1 + flow);
            p[24] = 0xFD;
            p[39] = 0x80;
        }
        else
        {
            p[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(p[2..], (ushort)length);
            BinaryPrimitives.WriteUInt16BigEndian(p[4..], id);
            p[6] = (byte)(flowLabelOrDf ? 0x40 : 0x00);
            p[8] = ttl;
            p[9] = 6;
            p[12] = 198;
            p[13] = 19;
            p[15] = (byte)(1 + flow);
            p[16] = 198;
            p[17] = 19;
            p[19] = 0x80;
            BinaryPrimitives.WriteUInt16BigEndian(p[10..], (ushort)~Fuzz.OnesSum(p[..20]));
        }

        Span<byte> t = p[ip..];
        BinaryPrimitives.WriteUInt16BigEndian(t, (ushort)(5001 + flow));
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], 40000);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(t[8..], ack);
        t[12] = (byte)((tcp / 4) << 4);
        t[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(t[14..], 64240);
        for (int i = 20; i < tcp; i++)
        {
            t[i] = i == 20 ? (byte)1 : (byte)(0x30 + i); // a NOP, then option-like bytes
        }

        t[tcp..].Fill(fill);
        ushort checksum = (ushort)~Fuzz.OnesSum(t, Fuzz.PseudoHeaderSum(p, ipv6, t.Length));
        BinaryPrimitives.WriteUInt16BigEndian(t[16..], checksum);
        return length;
    }

    /// <summary>True when the packet's IPv4 header checksum (if any) and TCP checksum verify (reference arithmetic).</summary>
    public static bool ChecksumsValid(ReadOnlySpan<byte> p, bool ipv6)
    {
        int ip = ipv6 ? 40 : 20;
        return (ipv6 || Fuzz.ChecksumVerifies(p[..20])) && Fuzz.ChecksumVerifies(p[ip..], Fuzz.PseudoHeaderSum(p, ipv6, p.Length - ip));
    }
}
