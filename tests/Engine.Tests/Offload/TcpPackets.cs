using System.Buffers.Binary;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Offload;

/// <summary>Builds TCP/IPv4 and TCP/IPv6 packets from scratch with correct checksums (independent of the segmenter).</summary>
internal static class TcpPackets
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;
    public const byte Cwr = 0x80;

    public static readonly byte[] Source4 = [198, 19, 0, 1];
    public static readonly byte[] Destination4 = [198, 19, 0, 2];
    public static readonly byte[] Source6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    public static readonly byte[] Destination6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    /// <summary>A packet: IPv4 (with <paramref name="ipOptions"/> bytes of options, multiple of 4) or IPv6, TCP with
    /// <paramref name="tcpOptions"/> bytes of options (multiple of 4), ports 5001 → 40000.</summary>
    public static byte[] Build(int version, int ipOptions, int tcpOptions, ushort id, uint sequence, byte flags, ReadOnlySpan<byte> payload)
    {
        int ip = version == 4 ? 20 + ipOptions : 40;
        int tcp = 20 + tcpOptions;
        byte[] p = new byte[ip + tcp + payload.Length];
        if (version == 4)
        {
            p[0] = (byte)(0x40 | (ip / 4));
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), id);
            p[6] = 0x40; // DF
            p[8] = 64;
            p[9] = 6;
            Source4.CopyTo(p, 12);
            Destination4.CopyTo(p, 16);
            for (int i = 20; i < ip; i++)
            {
                p[i] = 1; // NOP options
            }

            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), InternetChecksum.Compute(p.AsSpan(0, ip)));
        }
        else
        {
            p[0] = 0x60;
            p[1] = 0x01; // traffic class / flow label bits kept as they are
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(p.Length - 40));
            p[6] = 6;
            p[7] = 64;
            Source6.CopyTo(p, 8);
            Destination6.CopyTo(p, 24);
        }

        Span<byte> t = p.AsSpan(ip);
        BinaryPrimitives.WriteUInt16BigEndian(t, 5001);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], 40000);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(t[8..], 0x01020304);
        t[12] = (byte)((tcp / 4) << 4);
        t[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(t[14..], 64240);
        for (int i = 20; i < tcp; i++)
        {
            t[i] = (byte)(i == 20 ? 8 : i == 21 ? 10 : 0x30 + i); // timestamp-like option bytes
        }

        payload.CopyTo(t[tcp..]);
        BinaryPrimitives.WriteUInt16BigEndian(t[16..], TransportChecksum(p, ip));
        return p;
    }

    /// <summary>The TCP checksum computed over an explicit pseudo-header + segment copy.</summary>
    public static ushort TransportChecksum(byte[] packet, int ip)
    {
        int tcpLength = packet.Length - ip;
        bool v4 = packet[0] >> 4 == 4;
        byte[] buffer = new byte[(v4 ? 12 : 40) + tcpLength];
        if (v4)
        {
            packet.AsSpan(12, 8).CopyTo(buffer);
            buffer[9] = 6;
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(10), (ushort)tcpLength);
        }
        else
        {
            packet.AsSpan(8, 32).CopyTo(buffer);
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(32), (uint)tcpLength);
            buffer[39] = 6;
        }

        int at = buffer.Length - tcpLength;
        packet.AsSpan(ip).CopyTo(buffer.AsSpan(at));
        buffer[at + 16] = 0;
        buffer[at + 17] = 0;
        return InternetChecksum.Compute(buffer);
    }

    /// <summary>The folded pseudo-header sum the kernel leaves in the field of a CHECKSUM_PARTIAL packet.</summary>
    public static ushort PartialChecksum(byte[] packet, int ip)
    {
        int tcpLength = packet.Length - ip;
        bool v4 = packet[0] >> 4 == 4;
        byte[] pseudo = new byte[v4 ? 12 : 40];
        if (v4)
        {
            packet.AsSpan(12, 8).CopyTo(pseudo);
            pseudo[9] = 6;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)tcpLength);
        }
        else
        {
            packet.AsSpan(8, 32).CopyTo(pseudo);
            BinaryPrimitives.WriteUInt32BigEndian(pseudo.AsSpan(32), (uint)tcpLength);
            pseudo[39] = 6;
        }

        return (ushort)~InternetChecksum.Compute(pseudo);
    }

    public static byte[] Payload(int length, int seed)
    {
        byte[] b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }
}
