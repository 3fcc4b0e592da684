namespace MptFast.Engine.Datapath;

/// <summary>TUN offload features probed at open (PERFORMANCE-NOTES lever 3). What is switched on afterwards is
/// <see cref="LinuxTunDevice.EnabledOffloads"/> (CSUM + TSO4 + TSO6 when the daemon runs with offload).</summary>
/// <param name="VnetHeader">The device was opened with IFF_VNET_HDR: every packet carries a 10-byte virtio_net_hdr.</param>
/// <param name="AcceptedOffloads">TUN_F_* bits TUNSETOFFLOAD accepted during the probe (0 without a vnet header).</param>
public sealed record TunCapabilities(bool VnetHeader, uint AcceptedOffloads)
{
    /// <summary>Size of <c>struct virtio_net_hdr</c> as configured with TUNSETVNETHDRSZ.</summary>
    public const int VnetHeaderSize = 10;

    /// <summary>TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 were all accepted (TCP super-packets possible).</summary>
    public bool TcpOffload => (AcceptedOffloads & 0x07) == 0x07;

    /// <summary>TUN_F_USO4 | TUN_F_USO6 were accepted (UDP super-packets possible, Linux 6.2+).</summary>
    public bool UdpOffload => (AcceptedOffloads & 0x60) == 0x60;
}
