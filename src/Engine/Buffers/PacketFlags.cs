namespace MptFast.Engine.Buffers;

/// <summary>Per-packet conditions reported by a device.</summary>
[Flags]
public enum PacketFlags : byte
{
    None = 0,

    /// <summary>The datagram was longer than the slot and was cut (MSG_TRUNC): drop it (MPT-SPEC §10.1 B04).</summary>
    Truncated = 1,

    /// <summary>The kernel cut the ancillary data (MSG_CTRUNC).</summary>
    ControlTruncated = 2,

    /// <summary>The bytes in front of the data hold a filled virtio_net_hdr (TUN offload path; later work).</summary>
    VirtioHeader = 4,
}
