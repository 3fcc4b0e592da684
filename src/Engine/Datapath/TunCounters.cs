namespace MptFast.Engine.Datapath;

/// <summary>TUN counters: read-side fields belong to the reading thread, write-side to the writing thread.</summary>
public sealed class TunCounters
{
    /// <summary>Packets read from the device.</summary>
    public long Read;

    /// <summary>Bytes read.</summary>
    public long ReadBytes;

    /// <summary>Reads that failed with anything but EAGAIN/EINTR.</summary>
    public long ReadErrors;

    /// <summary>Reads skipped because the pool had no free slot.</summary>
    public long PoolExhausted;

    /// <summary>Packets written to the device.</summary>
    public long Written;

    /// <summary>Bytes written.</summary>
    public long WrittenBytes;

    /// <summary>Packets the device refused (EINVAL for a malformed packet, EIO…), dropped.</summary>
    public long WriteErrors;

    /// <summary>Write calls that stopped on EAGAIN.</summary>
    public long WriteWouldBlock;

    /// <summary>The errno of the most recent counted error.</summary>
    public Interop.Errno LastError;
}
