using System.Buffers.Binary;
using System.Net;

namespace MptFast.Engine.Tests.Classify;

/// <summary>Hand-built inner packets for the classifier and matcher tests.</summary>
internal static class TestPackets
{
    /// <summary>IPv4 header (+ options words) followed by a transport header carrying the two ports.</summary>
    public static byte[] Ipv4(byte protocol, ushort sourcePort, ushort destinationPort, int optionWords = 0, ushort fragmentField = 0x4000,
        string source = "198.19.0.1", string destination = "198.19.0.2", int transportBytes = 8)
    {
        int headerLength = 20 + (4 * optionWords);
        var packet = new byte[headerLength + transportBytes];
        packet[0] = (byte)(0x40 | (headerLength / 4));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), fragmentField);
        packet[8] = 64;
        packet[9] = protocol;
        IPAddress.Parse(source).GetAddressBytes().CopyTo(packet, 12);
        IPAddress.Parse(destination).GetAddressBytes().CopyTo(packet, 16);
        for (int i = 20; i < headerLength; i++)
        {
            packet[i] = 1; // NOP options
        }

        if (transportBytes >= 4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(headerLength), sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(headerLength + 2), destinationPort);
        }

        return packet;
    }

    /// <summary>An IPv6 extension header: (next header, bytes). Fragment headers are 8 bytes, the others 8·(len+1).</summary>
    public static byte[] Extension(int lengthUnits = 0) => new byte[8 * (lengthUnits + 1)];

    /// <summary>IPv6 packet: a chain of extension headers (type, body) then the transport header.</summary>
    public static byte[] Ipv6(byte protocol, ushort sourcePort, ushort destinationPort, (byte Type, byte[] Body)[]? extensions = null,
        string source = "fd00:ff::1", string destination = "fd00:ff::2", int transportBytes = 8)
    {
        extensions ??= [];
        int extLength = 0;
        foreach ((byte _, byte[] body) in extensions)
        {
            extLength += body.Length;
        }

        var packet = new byte[40 + extLength + transportBytes];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(packet.Length - 40));
        packet[6] = extensions.Length > 0 ? extensions[0].Type : protocol;
        packet[7] = 64;
        IPAddress.Parse(source).GetAddressBytes().CopyTo(packet, 8);
        IPAddress.Parse(destination).GetAddressBytes().CopyTo(packet, 24);
        int offset = 40;
        for (int i = 0; i < extensions.Length; i++)
        {
            byte[] body = extensions[i].Body;
            body.CopyTo(packet, offset);
            packet[offset] = i + 1 < extensions.Length ? extensions[i + 1].Type : protocol;
            if (extensions[i].Type != 44)
            {
                packet[offset + 1] = (byte)((body.Length / 8) - 1);
            }

            offset += body.Length;
        }

        if (transportBytes >= 4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(offset), sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(offset + 2), destinationPort);
        }

        return packet;
    }

    /// <summary>An IPv6 fragment header body with the given fragment offset (in 8-byte units).</summary>
    public static byte[] FragmentHeader(int offsetUnits, bool more)
    {
        var body = new byte[8];
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(2), (ushort)((offsetUnits << 3) | (more ? 1 : 0)));
        return body;
    }
}
