namespace MptFast.Engine.Runtime;

/// <summary>Per-socket counters: plain fields bumped by the owning thread, read as a snapshot (STYLE.md hot paths).</summary>
public sealed class PathSocketCounters
{
    /// <summary>Datagrams handed to the kernel.</summary>
    public long Sent;

    /// <summary>Bytes handed to the kernel.</summary>
    public long SentBytes;

    /// <summary>UDP GSO sends (one sendmsg carrying several datagrams, counted in <see cref="Sent"/> one by one).</summary>
    public long GsoSends;

    /// <summary>Send calls that stopped on a full socket buffer (EAGAIN).</summary>
    public long SendWouldBlock;

    /// <summary>Datagrams dropped on ENOBUFS.</summary>
    public long SendNoBuffers;

    /// <summary>Datagrams dropped on ECONNREFUSED (an ICMP port unreachable from the peer).</summary>
    public long SendRefused;

    /// <summary>Datagrams dropped on any other send error.</summary>
    public long SendErrors;

    /// <summary>Datagrams received, truncated ones included.</summary>
    public long Received;

    /// <summary>Bytes received.</summary>
    public long ReceivedBytes;

    /// <summary>Datagrams longer than the slot (MSG_TRUNC, MPT-SPEC B04).</summary>
    public long Truncated;

    /// <summary>Receive calls that failed with anything but EAGAIN/EINTR.</summary>
    public long ReceiveErrors;

    /// <summary>Receives skipped because the pool had no free slot.</summary>
    public long PoolExhausted;
}
