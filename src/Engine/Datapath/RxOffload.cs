namespace MptFast.Engine.Datapath;

/// <summary>Receive-side offloads an <see cref="RxPump"/> may use (PERFORMANCE-NOTES levers 2 and 3). All off is the
/// plain path: one datagram per entry, one TUN write per packet, no virtio header filled.</summary>
/// <param name="UdpGro">Sockets whose <see cref="UdpOffloadCapabilities.GroSupported"/> is true may deliver glued
/// datagrams: receive them into 64 KiB slots and cut them into datagrams in place (views, no copy).</param>
/// <param name="TcpCoalescing">The TUN was opened with IFF_VNET_HDR: merge in-order TCP segments of a batch into GSO
/// super-packets (<see cref="Offload.TcpCoalescer"/>).</param>
public readonly record struct RxOffload(bool UdpGro, bool TcpCoalescing)
{
    /// <summary>No offload (<c>--no-offload</c>, or a kernel without the features).</summary>
    public static RxOffload None => default;
}
