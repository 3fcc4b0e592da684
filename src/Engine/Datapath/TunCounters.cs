using System.Runtime.InteropServices;
using MptFast.Engine.Interop;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Datapath;

/// <summary>
/// TUN counters, one section per writer thread: <see cref="Read"/> (the transmit thread reads the device) and
/// <see cref="Write"/> (the receive thread writes it), <see cref="PathCounters.SectionBytes"/> apart so the two never
/// write one cache line.
/// </summary>
[StructLayout(LayoutKind.Explicit)]
public sealed class TunCounters
{
    /// <summary>Written by the reading (transmit) thread.</summary>
    [FieldOffset(0)]
    public TunReadCounters Read;

    /// <summary>Written by the writing (receive) thread.</summary>
    [FieldOffset(PathCounters.SectionBytes)]
    public TunWriteCounters Write;
}

/// <summary>The reading thread's TUN counters.</summary>
[StructLayout(LayoutKind.Sequential, Size = PathCounters.SectionBytes)]
public struct TunReadCounters
{
    /// <summary>Packets read from the device.</summary>
    public long Packets;

    /// <summary>Bytes read.</summary>
    public long Bytes;

    /// <summary>Reads that failed with anything but EAGAIN/EINTR.</summary>
    public long Errors;

    /// <summary>Reads skipped because the pool had no free slot.</summary>
    public long PoolExhausted;

    /// <summary>The errno of the most recent counted read error.</summary>
    public Errno LastError;
}

/// <summary>The writing thread's TUN counters.</summary>
[StructLayout(LayoutKind.Sequential, Size = PathCounters.SectionBytes)]
public struct TunWriteCounters
{
    /// <summary>Packets written to the device.</summary>
    public long Packets;

    /// <summary>Bytes written.</summary>
    public long Bytes;

    /// <summary>Packets the device refused (EINVAL for a malformed packet, EIO…), dropped.</summary>
    public long Errors;

    /// <summary>Write calls that stopped on EAGAIN.</summary>
    public long WouldBlock;

    /// <summary>The errno of the most recent counted write error (read back by the writer's downgrade check).</summary>
    public Errno LastError;
}
