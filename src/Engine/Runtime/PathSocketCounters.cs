using System.Runtime.InteropServices;

namespace MptFast.Engine.Runtime;

/// <summary>
/// Per-socket counters, one section per writer thread: <see cref="Send"/> (transmit thread: the batch and GSO sends)
/// and <see cref="Receive"/> (receive thread), <see cref="PathCounters.SectionBytes"/> apart so the two threads never
/// write one cache line. Single keepalives (<see cref="IPathSocket.Send"/>) are counted by their sender, not here.
/// </summary>
[StructLayout(LayoutKind.Explicit)]
public sealed class PathSocketCounters
{
    /// <summary>Written by the transmit thread.</summary>
    [FieldOffset(0)]
    public SocketSendCounters Send;

    /// <summary>Written by the receive thread.</summary>
    [FieldOffset(PathCounters.SectionBytes)]
    public SocketReceiveCounters Receive;

    /// <summary>Every counter of the socket (the path's <c>socket</c> block in the status).</summary>
    public CounterSnapshot Snapshot() => new CounterSnapshot()
        .Add("sent", ref Send.Datagrams)
        .Add("sent_bytes", ref Send.Bytes)
        .Add("gso_sends", ref Send.GsoSends)
        .Add("send_would_block", ref Send.WouldBlock)
        .Add("send_no_buffers", ref Send.NoBuffers)
        .Add("send_refused", ref Send.Refused)
        .Add("send_errors", ref Send.Errors)
        .Add("received", ref Receive.Datagrams)
        .Add("received_bytes", ref Receive.Bytes)
        .Add("truncated", ref Receive.Truncated)
        .Add("receive_errors", ref Receive.Errors)
        .Add("pool_exhausted", ref Receive.PoolExhausted);
}

/// <summary>The transmit thread's socket counters.</summary>
[StructLayout(LayoutKind.Sequential, Size = PathCounters.SectionBytes)]
public struct SocketSendCounters
{
    /// <summary>Datagrams handed to the kernel.</summary>
    public long Datagrams;

    /// <summary>Bytes handed to the kernel.</summary>
    public long Bytes;

    /// <summary>UDP GSO sends (one sendmsg carrying several datagrams, counted in <see cref="Datagrams"/> one by one).</summary>
    public long GsoSends;

    /// <summary>Send calls that stopped on a full socket buffer (EAGAIN).</summary>
    public long WouldBlock;

    /// <summary>Datagrams dropped on ENOBUFS.</summary>
    public long NoBuffers;

    /// <summary>Datagrams dropped on ECONNREFUSED (an ICMP port unreachable from the peer).</summary>
    public long Refused;

    /// <summary>Datagrams dropped on any other send error.</summary>
    public long Errors;
}

/// <summary>The receive thread's socket counters.</summary>
[StructLayout(LayoutKind.Sequential, Size = PathCounters.SectionBytes)]
public struct SocketReceiveCounters
{
    /// <summary>Datagrams received, truncated ones included; a GRO message counts as the datagrams it carries, a cut
    /// one as one. Every one of them is then a data packet, a keepalive or a drop reason of the path.</summary>
    public long Datagrams;

    /// <summary>Bytes received.</summary>
    public long Bytes;

    /// <summary>Datagrams longer than the slot (MSG_TRUNC, MPT-SPEC B04).</summary>
    public long Truncated;

    /// <summary>Receive calls that failed with anything but EAGAIN/EINTR.</summary>
    public long Errors;

    /// <summary>Receives skipped because the pool had no free slot.</summary>
    public long PoolExhausted;
}
