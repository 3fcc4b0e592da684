using MptFast.Engine.Buffers;

namespace MptFast.Engine.Runtime;

/// <summary>
/// One path's UDP socket, seen by the pump loops as batches in and batches out (STYLE.md: wireguard-go
/// <c>conn/bind_std.go</c>). Every send goes to the path's fixed peer: remote address + remote port (MPT-SPEC §2.1).
/// </summary>
/// <remarks>Receive calls belong to the receive thread, batch sends to the transmit thread; <see cref="Send"/> may be
/// called from a third (keepalives, control thread).</remarks>
public interface IPathSocket : IDisposable
{
    /// <summary>Descriptor to poll for readability (an eventfd for in-memory sockets).</summary>
    int Fd { get; }

    /// <summary>Locally bound port (the ephemeral one when opened with port 0).</summary>
    ushort LocalPort { get; }

    /// <summary>Offload support probed at open; downgraded at run time when the kernel refuses.</summary>
    UdpOffloadCapabilities Capabilities { get; }

    /// <summary>Traffic and error counters, written by the owning thread.</summary>
    PathSocketCounters Counters { get; }

    /// <summary>
    /// Receives pending datagrams without blocking into the batch's entries (rents slots as needed); each lands at
    /// <see cref="PacketPool.Headroom"/> with length, source address/port and <see cref="PacketFlags.Truncated"/> set
    /// (MPT-SPEC B04). Sets and returns <see cref="PacketBatch.Count"/>; 0 when nothing is pending.
    /// </summary>
    int ReceiveBatch(PacketBatch batch);

    /// <summary>
    /// Sends entries [start, start + count) to the peer without blocking. Returns how many were consumed — sent, or
    /// dropped with the error counted (ENOBUFS, ECONNREFUSED, EMSGSIZE…); entries after that were not attempted because
    /// the socket buffer is full (EAGAIN). Never throws on packet data.
    /// </summary>
    int SendBatch(PacketBatch batch, int start, int count);

    /// <summary>
    /// Sends entries [start, start + count) as ONE UDP GSO send (UDP_SEGMENT = <paramref name="segmentSize"/>;
    /// PERFORMANCE-NOTES lever 1): every entry but the last must be exactly <paramref name="segmentSize"/> bytes, the
    /// last at most that; count ≤ <see cref="UdpOffloadCapabilities.GsoSegments"/>; total ≤ 64 KiB. Without GSO (or
    /// after a run-time downgrade on EIO/EINVAL) the entries go out as <see cref="SendBatch"/> would send them. Returns
    /// how many were consumed, as <see cref="SendBatch"/>: 0 when the socket buffer is full.
    /// </summary>
    int SendGso(PacketBatch batch, int start, int count, int segmentSize);

    /// <summary>Sends one datagram to the peer (thread-safe; for keepalives). Counts nothing in <see cref="Counters"/>,
    /// whose fields belong to the datapath threads: the caller counts the outcome on its own thread.</summary>
    PathSendResult Send(ReadOnlySpan<byte> datagram);

    /// <summary>
    /// Sends to <paramref name="address"/>:<paramref name="port"/> from now on (a peer found behind NAT, see
    /// <see cref="PathMoves"/>). Any thread; sends under way finish to the old or the new peer, never a mix of both.
    /// Allocates nothing. Sockets without a fixed peer ignore it.
    /// </summary>
    void Retarget(System.Net.IPAddress address, ushort port)
    {
    }
}

/// <summary>What became of one <see cref="IPathSocket.Send"/>.</summary>
public enum PathSendResult : byte
{
    /// <summary>Handed to the kernel.</summary>
    Sent,

    /// <summary>The socket buffer is full (EAGAIN); nothing was sent.</summary>
    WouldBlock,

    /// <summary>The peer's port answered ICMP port unreachable earlier (ECONNREFUSED).</summary>
    Refused,

    /// <summary>Any other error.</summary>
    Failed,
}
