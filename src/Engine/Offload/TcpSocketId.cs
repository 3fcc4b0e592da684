using System.Buffers.Binary;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Offload;

/// <summary>
/// The local TCP socket a received segment is for: the segment's destination is the socket's own address and port,
/// its source the remote end's — the way sock_diag(7) names a socket (<c>inet_diag_sockid</c>: src and sport local).
/// IPv4 addresses are kept in their IPv4-mapped form.
/// </summary>
public readonly record struct TcpSocketId(bool IsIPv6, Address16 Local, Address16 Remote, ushort LocalPort, ushort RemotePort)
{
    /// <summary>Reads the receiving socket of <paramref name="packet"/>, a TCP segment in the form
    /// <see cref="TcpSegment.Parse"/> reads (IPv4 without options, IPv6 without extension headers); false for anything
    /// else.</summary>
    public static bool TryReadReceiver(ReadOnlySpan<byte> packet, out TcpSocketId id)
    {
        if (packet.Length >= 40 && packet[0] == 0x45 && packet[9] == 6)
        {
            ReadOnlySpan<byte> tcp = packet[20..];
            id = new TcpSocketId(false, Address16.FromIPv4(packet[16..]), Address16.FromIPv4(packet[12..]),
                BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]), BinaryPrimitives.ReadUInt16BigEndian(tcp));
            return true;
        }

        if (packet.Length >= 60 && (packet[0] >> 4) == 6 && packet[6] == 6)
        {
            ReadOnlySpan<byte> tcp = packet[40..];
            id = new TcpSocketId(true, Address16.Read(packet[24..]), Address16.Read(packet[8..]),
                BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]), BinaryPrimitives.ReadUInt16BigEndian(tcp));
            return true;
        }

        id = default;
        return false;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Local}:{LocalPort} ⇄ {Remote}:{RemotePort}";
}
