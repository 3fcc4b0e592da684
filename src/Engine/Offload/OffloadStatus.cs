namespace MptFast.Engine.Offload;

/// <summary>Result of an offload operation on packet data (typed, never an exception).</summary>
public enum OffloadStatus : byte
{
    /// <summary>Done.</summary>
    Ok,

    /// <summary>The packet is shorter than its headers.</summary>
    Truncated,

    /// <summary>The transport protocol is not TCP (or IPv6 extension headers precede it).</summary>
    NotTcp,

    /// <summary>A GSO type this segmenter does not cut (UDP, UFO).</summary>
    UnsupportedGso,

    /// <summary>Inconsistent header: lengths, version vs GSO type, csum_start, gso_size 0.</summary>
    BadHeader,
}
