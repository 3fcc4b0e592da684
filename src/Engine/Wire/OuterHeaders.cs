namespace MptFast.Engine.Wire;

/// <summary>
/// Bytes a data packet gains on a path (RFC 8086 GRE-in-UDP): the outer IPv4 (20) or IPv6 (40) header, UDP (8) and GRE
/// — 4, plus 4 for the sequence number when the connection sends it (reorder window on, MPT-SPEC §2.3), plus 4 for the
/// key in which MptFast numbers each path's datagrams toward an MptFast peer with loss recovery (the most it can be).
/// The tunnel MTU plus these must fit the path's MTU, or full-size packets leave fragmented.
/// </summary>
public static class OuterHeaders
{
    public const int Ipv4 = 20;
    public const int Ipv6 = 40;
    public const int Udp = 8;

    /// <summary>Outer bytes per data packet on a path of family <paramref name="ipv6"/>.</summary>
    public static int Length(bool ipv6, bool sequence, bool pathNumbers) =>
        (ipv6 ? Ipv6 : Ipv4) + Udp + GreCodec.EncodedHeaderLength(sequence, pathNumbers);

    /// <summary>The largest tunnel MTU whose packets fit <paramref name="pathMtu"/> with <paramref name="outer"/> bytes
    /// of outer headers.</summary>
    public static int LargestTunnelMtu(int pathMtu, int outer) => pathMtu - outer;
}
