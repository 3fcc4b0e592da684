using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Wire;

public class OuterHeadersTests
{
    [Theory]
    [InlineData(false, false, false, 32)]
    [InlineData(false, true, false, 36)]   // the original's data packets with sequence numbers: 1464 fits 1500
    [InlineData(false, true, true, 40)]    // toward an MptFast peer with loss recovery: 1460
    [InlineData(true, true, true, 60)]     // IPv6 path: 1440, the default MTU
    public void The_outer_length_is_ip_udp_and_the_gre_header_the_codec_writes(bool ipv6, bool sequence, bool key, int expected)
    {
        Assert.Equal(expected, OuterHeaders.Length(ipv6, sequence, key));

        // The GRE part is what GreCodec puts in front of the payload.
        byte[] buffer = new byte[64 + 20];
        buffer[64] = 0x45;
        Assert.Equal(GreEncodeStatus.Ok, GreCodec.Encapsulate(buffer, 64, 20, sequence, 7, key, 9, out int start));
        Assert.Equal(expected - (ipv6 ? OuterHeaders.Ipv6 : OuterHeaders.Ipv4) - OuterHeaders.Udp, 64 - start);
        Assert.Equal(1500 - expected, OuterHeaders.LargestTunnelMtu(1500, expected));
    }
}
