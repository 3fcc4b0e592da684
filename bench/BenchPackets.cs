using System.Buffers.Binary;

namespace MptFast.Bench;

/// <summary>Hand-built inner packets for the benchmarks (valid lengths, so the codecs take their full path).</summary>
internal static class BenchPackets
{
    /// <summary>An IPv4 TCP packet of <paramref name="length"/> bytes (20-byte IP header, ports 40000 → 443).</summary>
    public static byte[] Ipv4Tcp(int length)
    {
        byte[] packet = new byte[length];
        new Random(4).NextBytes(packet);
        packet[0] = 0x45;
        packet[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), 0x4000); // DF, fragment offset 0
        packet[8] = 64;
        packet[9] = 6;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), 443);
        return packet;
    }

    /// <summary>
    /// An IPv6 packet of <paramref name="length"/> bytes: hop-by-hop, destination options and routing
    /// headers (8 bytes each) in front of TCP 40001 → 22.
    /// </summary>
    public static byte[] Ipv6TcpWithExtensions(int length)
    {
        byte[] packet = new byte[length];
        new Random(6).NextBytes(packet);
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(length - 40));
        packet[6] = 0;   // hop-by-hop
        packet[7] = 64;
        WriteExtension(packet, 40, next: 60);  // → destination options
        WriteExtension(packet, 48, next: 43);  // → routing
        WriteExtension(packet, 56, next: 6);   // → TCP
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(64), 40001);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(66), 22);
        return packet;
    }

    private static void WriteExtension(byte[] packet, int offset, byte next)
    {
        packet[offset] = next;
        packet[offset + 1] = 0; // (0 + 1) · 8 bytes
    }
}
