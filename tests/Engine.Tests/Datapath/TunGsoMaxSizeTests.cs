using MptFast.Engine.Daemon;
using MptFast.Engine.Offload;

namespace MptFast.Engine.Tests.Datapath;

public class TunGsoMaxSizeTests
{
    [Theory]
    [InlineData(1450)]
    [InlineData(1440)]
    [InlineData(1500)]
    [InlineData(9000)]
    [InlineData(576)]
    [InlineData(1280)]
    public void A_super_packet_of_that_size_fits_one_gso_train_after_encapsulation(int mtu)
    {
        int gsoMax = TunnelInterface.GsoMaxSize(mtu);
        Assert.InRange(gsoMax, mtu, 65536);

        // Linux TCP (tcp_tso_autosize) builds whole-MSS segments out of gso_max_size − 1 − MAX_TCP_HEADER bytes
        // (MAX_TCP_HEADER ≥ 320 on x86-64). Every header layout (IPv4/IPv6, with or without timestamps) must give a
        // super-packet whose segments, each ≤ MTU plus an 8-byte GRE header, fit one GSO train.
        foreach (int headers in new[] { 40, 52, 60, 72 })
        {
            int mss = mtu - headers;
            int built = Math.Max(1, (gsoMax - 1 - 320) / mss);
            Assert.True(built <= GsoRunList.MaxSegments, $"mtu {mtu}, headers {headers}: {built} segments");
            Assert.True(built * (mtu + 8) <= GsoRunList.MaxTrainBytes || built == 1,
                $"mtu {mtu}, headers {headers}: {built} segments of {mtu + 8} bytes");
        }
    }

    [Fact]
    public void The_default_tunnel_mtu_gives_44_segments()
    {
        // 65 000 / (1450 + 8) = 44 datagrams per train; 44 · (1450 − 72) + 321 bytes.
        Assert.Equal((44 * 1378) + 321, TunnelInterface.GsoMaxSize(1450));
    }
}
