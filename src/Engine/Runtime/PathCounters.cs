namespace MptFast.Engine.Runtime;

/// <summary>
/// Per-path counters. Each field has exactly one writer thread (named per group) and is read by the control
/// plane with <see cref="Volatile.Read(ref long)"/> — plain increments, no locks, no interlocked (STYLE.md "Hot paths").
/// </summary>
public sealed class PathCounters
{
    // Written by the transmit thread.
    public long TxPackets;
    public long TxBytes;
    public long TxSendErrors;

    // Written by the receive thread.
    public long RxPackets;
    public long RxBytes;
    public long KeepalivesReceived;
    public long DropUnknownSource;
    public long DropMalformed;
    public long DropTruncated;
    public long DropCommandOnDataPort;
    public long DropKeepaliveMismatch;

    // Written by the control thread.
    public long KeepalivesSent;
    public long KeepaliveSendErrors;
}
