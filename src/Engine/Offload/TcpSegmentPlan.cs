namespace MptFast.Engine.Offload;

/// <summary>How a TCP super-packet splits (see <see cref="TcpSegmenter.TryPlan"/>).</summary>
/// <param name="IpVersion">4 or 6.</param>
/// <param name="IpHeaderLength">Bytes in front of the TCP header: IPv4 IHL × 4, or 40 + IPv6 options headers.</param>
/// <param name="HeaderLength">IP + TCP header bytes copied in front of every segment.</param>
/// <param name="SegmentPayload">TCP payload per segment (gso_size, the MSS); the last may carry less.</param>
/// <param name="PayloadLength">TCP payload of the whole super-packet.</param>
/// <param name="SegmentCount">Number of segments (≥ 1).</param>
public readonly record struct TcpSegmentPlan(int IpVersion, int IpHeaderLength, int HeaderLength, int SegmentPayload,
    int PayloadLength, int SegmentCount)
{
    /// <summary>Length of segment <paramref name="index"/> (headers + its payload).</summary>
    public int SegmentLength(int index) =>
        HeaderLength + Math.Min(SegmentPayload, PayloadLength - (index * SegmentPayload));
}
