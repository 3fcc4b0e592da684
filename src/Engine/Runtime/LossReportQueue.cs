using MptFast.Engine.Wire;

namespace MptFast.Engine.Runtime;

/// <summary>
/// Loss reports the receive thread took out of the peer's probes, on their way to the transmit thread that keeps the
/// packets to retransmit: a bounded single-producer single-consumer ring. A full ring drops the report and counts it
/// (the peer reports a range twice). No allocation, no lock.
/// </summary>
public sealed class LossReportQueue
{
    private readonly Entry[] _ring;
    private readonly int _mask;
    private long _head; // next to read (consumer)
    private long _tail; // next to write (producer)
    private long _dropped;

    public LossReportQueue(int capacity = 1024)
    {
        if (capacity < 2 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a power of two ≥ 2");
        }

        _ring = new Entry[capacity];
        _mask = capacity - 1;
    }

    /// <summary>Reports dropped because the ring was full.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>True when nothing waits (consumer's view).</summary>
    public bool IsEmpty => Volatile.Read(ref _head) == Volatile.Read(ref _tail);

    /// <summary>Queues a report about connection <paramref name="connection"/> (producer thread only).</summary>
    public bool TryEnqueue(int connection, in LossRange range)
    {
        long tail = _tail;
        if (tail - Volatile.Read(ref _head) >= _ring.Length)
        {
            _dropped++;
            return false;
        }

        _ring[tail & _mask] = new Entry(connection, range);
        Volatile.Write(ref _tail, tail + 1);
        return true;
    }

    /// <summary>Takes the oldest report (consumer thread only).</summary>
    public bool TryDequeue(out int connection, out LossRange range)
    {
        long head = _head;
        if (head == Volatile.Read(ref _tail))
        {
            connection = -1;
            range = default;
            return false;
        }

        Entry e = _ring[head & _mask];
        Volatile.Write(ref _head, head + 1);
        connection = e.Connection;
        range = e.Range;
        return true;
    }

    private readonly record struct Entry(int Connection, LossRange Range);
}
