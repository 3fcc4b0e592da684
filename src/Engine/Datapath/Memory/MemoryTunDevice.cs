using System.Collections.Concurrent;
using MptFast.Engine.Buffers;
using MptFast.Engine.Datapath.Linux;

namespace MptFast.Engine.Datapath.Memory;

/// <summary>
/// An in-memory <see cref="ITunDevice"/> for testing the pump loops without root: packets given to
/// <see cref="Inject"/> are what <see cref="ReadBatch"/> returns, and what <see cref="WriteBatch"/> writes is collected
/// for <see cref="TryTakeWritten"/>. <see cref="Fd"/> is an eventfd readable while injected packets wait.
/// </summary>
public sealed class MemoryTunDevice : ITunDevice
{
    private readonly ConcurrentQueue<byte[]> _toRead = new();
    private readonly ConcurrentQueue<byte[]> _written = new();
    private readonly WakeEvent _ready = new();

    /// <summary>Creates a device named <paramref name="name"/>.</summary>
    public MemoryTunDevice(string name = "memtun0")
    {
        Name = name;
    }

    /// <inheritdoc/>
    public int Fd => _ready.Fd;

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public TunCounters Counters { get; } = new();

    /// <summary>Packets written and not yet taken.</summary>
    public int WrittenCount => _written.Count;

    /// <summary>Reads that found the device empty: the system calls a real TUN's drain would have spent on EAGAIN.</summary>
    public long EmptyReads { get; private set; }

    /// <summary>Packets injected and not yet read.</summary>
    public int PendingReads => _toRead.Count;

    /// <summary>Queues a packet as if the kernel routed it into the tunnel.</summary>
    public void Inject(ReadOnlySpan<byte> packet)
    {
        _toRead.Enqueue(packet.ToArray());
        _ready.Signal();
    }

    /// <summary>Takes the oldest packet the datapath wrote to the device.</summary>
    public bool TryTakeWritten(out byte[] packet) => _written.TryDequeue(out packet!);

    /// <inheritdoc/>
    public int ReadBatch(PacketBatch batch, int limit = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(batch);
        _ready.Reset(); // reset before draining: a packet queued after this re-signals
        int count = 0;
        int most = Math.Min(batch.Capacity, limit);
        while (count < most)
        {
            if (_toRead.IsEmpty)
            {
                EmptyReads++; // where a real TUN's last read finds nothing (EAGAIN)
                break;
            }

            if (batch.EnsureSlots(count + 1) <= count)
            {
                Counters.Read.PoolExhausted++;
                break;
            }

            if (!_toRead.TryDequeue(out byte[]? packet))
            {
                break;
            }

            int length = Math.Min(packet.Length, batch.Pool.PacketCapacity); // a real TUN read cuts silently too
            packet.AsSpan(0, length).CopyTo(batch.SlotSpan(count)[PacketPool.Headroom..]);
            batch.SetPacket(count, PacketPool.Headroom, length);
            Counters.Read.Bytes += length;
            count++;
        }

        if (!_toRead.IsEmpty)
        {
            _ready.Signal();
        }

        Counters.Read.Packets += count;
        batch.Count = count;
        return count;
    }

    /// <inheritdoc/>
    public int WriteBatch(PacketBatch batch, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)start + (uint)count, (uint)batch.Capacity, nameof(count));
        for (int i = start; i < start + count; i++)
        {
            byte[] packet = batch.Data(i).ToArray();
            _written.Enqueue(packet);
            Counters.Write.Packets++;
            Counters.Write.Bytes += packet.Length;
        }

        return count;
    }

    /// <inheritdoc/>
    /// <remarks>Records the packet bytes without the virtio header, as <see cref="WriteBatch"/> does.</remarks>
    public bool WriteGather(PacketGather packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        byte[] bytes = packet.ToArray();
        _written.Enqueue(bytes);
        Counters.Write.Packets++;
        Counters.Write.Bytes += bytes.Length;
        return true;
    }

    /// <summary>Closes the eventfd.</summary>
    public void Dispose() => _ready.Dispose();
}
