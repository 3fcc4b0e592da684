using MptFast.Engine.Buffers;

namespace MptFast.Engine.Datapath;

/// <summary>The tunnel device as batches of layer-3 packets (STYLE.md: wireguard-go <c>tun/tun.go</c>).</summary>
public interface ITunDevice : IDisposable
{
    /// <summary>Descriptor to poll for readability.</summary>
    int Fd { get; }

    /// <summary>Interface name as the kernel reports it.</summary>
    string Name { get; }

    /// <summary>Traffic and error counters, written by the owning threads (reads and writes count separately).</summary>
    TunCounters Counters { get; }

    /// <summary>Reads packets without blocking until none is pending, the batch is full or <paramref name="limit"/> were
    /// read (at the limit it stops without the read that would have found the device empty); each lands at
    /// <see cref="PacketPool.Headroom"/>. Sets and returns <see cref="PacketBatch.Count"/>.</summary>
    int ReadBatch(PacketBatch batch, int limit = int.MaxValue);

    /// <summary>Writes entries [start, start + count), one packet per write; failures are counted, not thrown.
    /// Returns how many were consumed (written or dropped); fewer than <paramref name="count"/> only on EAGAIN.</summary>
    int WriteBatch(PacketBatch batch, int start, int count);

    /// <summary>Writes the one packet described by <paramref name="packet"/> (writev: the receive thread's ranges
    /// in place, <see cref="PacketGather"/>); with <see cref="PacketGather.HasVirtioHeader"/> its header goes in front,
    /// otherwise a device with a vnet header puts a zeroed one. A failure is counted, not thrown. Returns false only on
    /// EAGAIN (nothing written: try again later).</summary>
    bool WriteGather(PacketGather packet);
}
