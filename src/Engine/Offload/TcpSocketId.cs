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
    public static bool TryReadReceiver(ReadOnlySpan<byte> packet, out TcpSocketId id) => TryRead(packet, receiver: true, out id);

    /// <summary>Reads the sending socket of <paramref name="packet"/> (as <see cref="TryReadReceiver"/>): a segment's
    /// sender and the other end's acknowledgement's receiver are the same socket.</summary>
    public static bool TryReadSender(ReadOnlySpan<byte> packet, out TcpSocketId id) => TryRead(packet, receiver: false, out id);

    private static bool TryRead(ReadOnlySpan<byte> packet, bool receiver, out TcpSocketId id)
    {
        if (packet.Length >= 40 && packet[0] == 0x45 && packet[9] == 6)
        {
            ReadOnlySpan<byte> tcp = packet[20..];
            Address16 source = Address16.FromIPv4(packet[12..]), destination = Address16.FromIPv4(packet[16..]);
            ushort sourcePort = BinaryPrimitives.ReadUInt16BigEndian(tcp), destinationPort = BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]);
            id = receiver
                ? new TcpSocketId(false, destination, source, destinationPort, sourcePort)
                : new TcpSocketId(false, source, destination, sourcePort, destinationPort);
            return true;
        }

        if (packet.Length >= 60 && (packet[0] >> 4) == 6 && packet[6] == 6)
        {
            ReadOnlySpan<byte> tcp = packet[40..];
            Address16 source = Address16.Read(packet[8..]), destination = Address16.Read(packet[24..]);
            ushort sourcePort = BinaryPrimitives.ReadUInt16BigEndian(tcp), destinationPort = BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]);
            id = receiver
                ? new TcpSocketId(true, destination, source, destinationPort, sourcePort)
                : new TcpSocketId(true, source, destination, sourcePort, destinationPort);
            return true;
        }

        id = default;
        return false;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Local}:{LocalPort} ⇄ {Remote}:{RemotePort}";
}
