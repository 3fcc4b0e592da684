namespace MptFast.Engine.Runtime;

/// <summary>
/// A value of several fields that one thread writes and others read whole, without locks: a sequence lock (the
/// writer makes the version odd, writes, makes it even; a reader retries while the version is odd or changed under
/// it). For the measurement state the receive thread publishes to the transmit and control threads. The single writer
/// is the caller's contract. No allocation.
/// </summary>
public sealed class SeqLocked<T>
    where T : struct
{
    private int _version;
    private T _value;

    /// <summary>Publishes <paramref name="value"/> (one writer thread only).</summary>
    public void Write(in T value)
    {
        int v = _version;
        Volatile.Write(ref _version, v + 1);
        Interlocked.MemoryBarrier();
        _value = value;
        Volatile.Write(ref _version, v + 2);
    }

    /// <summary>The last value published, read consistently (any thread).</summary>
    public T Read()
    {
        var spin = default(SpinWait);
        while (true)
        {
            int before = Volatile.Read(ref _version);
            if ((before & 1) == 0)
            {
                T value = _value;
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref _version) == before)
                {
                    return value;
                }
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>Times a value was published (even numbers of the version, halved).</summary>
    public int Publications => Volatile.Read(ref _version) >> 1;
}
