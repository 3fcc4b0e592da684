namespace MptFast.Engine.Buffers;

/// <summary>
/// Packets addressed by index: a <see cref="PacketBatch"/>, or the receive thread's TUN queue of
/// <see cref="PacketStore"/> handles. Implemented by structs and taken as a generic struct argument, so the calls are
/// specialised and inlined (no interface dispatch per packet).
/// </summary>
public interface IPacketList
{
    /// <summary>The bytes of packet <paramref name="index"/>, in native memory (a pool slot).</summary>
    ReadOnlySpan<byte> Packet(int index);
}

/// <summary>The entries of a <see cref="PacketBatch"/> as an <see cref="IPacketList"/>.</summary>
public readonly struct BatchPackets(PacketBatch batch) : IPacketList
{
    /// <inheritdoc/>
    public ReadOnlySpan<byte> Packet(int index) => batch.Data(index);
}
