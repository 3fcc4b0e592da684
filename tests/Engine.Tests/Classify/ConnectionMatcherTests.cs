using System.Net;
using MptFast.Engine.Classify;
using MptFast.Engine.Config;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Classify;

public class ConnectionMatcherTests
{
    private static NetworkDescriptor Net(string src, int srcLen, string dst, int dstLen) =>
        new(IPAddress.Parse(src), srcLen, IPAddress.Parse(dst), dstLen);

    private static ConnectionDescriptor Conn(int ipVer, string local, string remote, params NetworkDescriptor[] nets) =>
        new(ipVer, IPAddress.Parse(local), IPAddress.Parse(remote), nets);

    private static byte[] V4(string src, string dst) => TestPackets.Ipv4(1, 0, 0, source: src, destination: dst);

    private static byte[] V6(string src, string dst) => TestPackets.Ipv6(58, 0, 0, source: src, destination: dst);

    [Fact]
    public void Ipv4_packet_between_the_tunnel_addresses_matches()
    {
        var matcher = new ConnectionMatcher([Conn(4, "198.19.0.1", "198.19.0.2")]);
        Assert.Equal(0, matcher.Match(V4("198.19.0.1", "198.19.0.2")));
        Assert.Equal(-1, matcher.Match(V4("198.19.0.2", "198.19.0.1")));
        Assert.Equal(-1, matcher.Match(V4("198.19.0.1", "198.19.0.3")));
    }

    [Fact]
    public void Test_vector_inner_packets_match_their_connection_family_only()
    {
        var matcher = new ConnectionMatcher([Conn(6, "fd00:ff::1", "fd00:ff::2"), Conn(4, "198.19.0.1", "198.19.0.2")]);
        Assert.Equal(1, matcher.Match(SharedFiles.LoadVector("data-ipv4-icmp-echo-seq0").AsSpan(8)));
        Assert.Equal(0, matcher.Match(SharedFiles.LoadVector("data-ipv6-icmp6-echo-noseq").AsSpan(4)));
    }

    [Fact]
    public void Ipv4_connection_without_networks_drops_ipv6_traffic()
    {
        var matcher = new ConnectionMatcher([Conn(4, "198.19.0.1", "198.19.0.2")]);
        Assert.Equal(-1, matcher.Match(V6("fd00:ff::1", "fd00:ff::2")));
    }

    [Fact]
    public void Network_prefixes_are_masked_on_both_sides()
    {
        // B17: a configured network with host bits set must still match its prefix.
        var matcher = new ConnectionMatcher([Conn(4, "198.19.0.1", "198.19.0.2", Net("10.1.2.3", 16, "198.18.10.5", 24))]);
        Assert.Equal(0, matcher.Match(V4("10.1.99.7", "198.18.10.200")));
        Assert.Equal(-1, matcher.Match(V4("10.2.0.1", "198.18.10.200")));
        Assert.Equal(-1, matcher.Match(V4("10.1.0.1", "198.18.11.1")));
    }

    [Fact]
    public void Source_and_destination_may_match_different_networks_as_the_original()
    {
        var matcher = new ConnectionMatcher([Conn(4, "198.19.0.1", "198.19.0.2", Net("10.1.0.0", 16, "10.2.0.0", 16), Net("10.3.0.0", 16, "10.4.0.0", 16))]);
        Assert.Equal(0, matcher.Match(V4("10.1.0.1", "10.4.0.1")));
        Assert.Equal(0, matcher.Match(V4("198.19.0.1", "10.2.0.9")));
        Assert.Equal(0, matcher.Match(V4("10.3.0.1", "198.19.0.2")));
    }

    [Fact]
    public void Ipv6_networks_match_the_packet_address_not_themselves()
    {
        // B16: the original matched any IPv6 packet as soon as a network had no host bits set.
        var matcher = new ConnectionMatcher([
            Conn(4, "198.19.0.1", "198.19.0.2", Net("fd00:10::", 32, "fd00:20::", 32)),
            Conn(6, "fd00:ff::1", "fd00:ff::2"),
        ]);
        Assert.Equal(0, matcher.Match(V6("fd00:10:1::5", "fd00:20:ffff::1")));
        Assert.Equal(1, matcher.Match(V6("fd00:ff::1", "fd00:ff::2")));
        Assert.Equal(-1, matcher.Match(V6("fd00:30::1", "fd00:20::1")));
    }

    [Fact]
    public void Networks_of_the_other_family_are_ignored()
    {
        var matcher = new ConnectionMatcher([Conn(6, "fd00:ff::1", "fd00:ff::2", Net("0.0.0.0", 0, "0.0.0.0", 0))]);
        Assert.Equal(0, matcher.Match(V4("1.2.3.4", "5.6.7.8")));
        Assert.Equal(-1, matcher.Match(V6("fd00:1::1", "fd00:ff::2")));
    }

    [Fact]
    public void Tunnel_addresses_compare_only_for_the_connection_ip_version()
    {
        // An IPv6 connection whose addresses are IPv4 (nonsense config) carries no IPv4 packets by address.
        var matcher = new ConnectionMatcher([Conn(6, "198.19.0.1", "198.19.0.2")]);
        Assert.Equal(-1, matcher.Match(V4("198.19.0.1", "198.19.0.2")));
    }

    [Fact]
    public void First_matching_connection_in_list_order_wins()
    {
        var matcher = new ConnectionMatcher([
            Conn(4, "198.19.0.1", "198.19.0.9"),
            Conn(4, "198.19.0.1", "198.19.0.2", Net("0.0.0.0", 0, "0.0.0.0", 0)),
            Conn(4, "198.19.0.1", "198.19.0.2"),
        ]);
        Assert.Equal(1, matcher.Match(V4("198.19.0.1", "198.19.0.2")));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x45, 0, 0, 20 })]
    [InlineData(new byte[] { 0x60, 0, 0, 0, 0, 0, 0, 0 })]
    public void Short_packets_do_not_match(byte[] packet)
    {
        var matcher = new ConnectionMatcher([Conn(4, "0.0.0.0", "0.0.0.0", Net("0.0.0.0", 0, "0.0.0.0", 0)), Conn(6, "::", "::", Net("::", 0, "::", 0))]);
        Assert.Equal(-1, matcher.Match(packet));
    }

    [Fact]
    public void Version_nibble_other_than_4_or_6_never_matches()
    {
        // B18: the original looked such packets up with the IPv6 matcher at IPv4 offsets.
        var matcher = new ConnectionMatcher([Conn(4, "0.0.0.0", "0.0.0.0", Net("0.0.0.0", 0, "0.0.0.0", 0)), Conn(6, "::", "::", Net("::", 0, "::", 0))]);
        byte[] packet = V6("fd00::1", "fd00::2");
        packet[0] = 0x50;
        Assert.Equal(-1, matcher.Match(packet));
        packet[0] = 0x60;
        Assert.Equal(1, matcher.Match(packet));
    }

    [Fact]
    public void Factory_takes_the_config_model()
    {
        var config = new ConnectionConfig
        {
            IpVer = 4,
            IpLocal = IPAddress.Parse("198.19.0.1"),
            IpRemote = IPAddress.Parse("198.19.0.2"),
            Networks = new[] { new NetworkConfig(4, new IpPrefix(IPAddress.Parse("10.0.0.0"), 8), new IpPrefix(IPAddress.Parse("172.16.0.0"), 12)) }.ToEquatableArray(),
        };
        ConnectionMatcher matcher = ConnectionMatcher.FromConfigs([config]);
        Assert.Equal(0, matcher.Match(V4("10.9.9.9", "172.31.0.1")));
        Assert.Equal(-1, matcher.Match(V4("10.9.9.9", "172.32.0.1")));
    }

    [Fact]
    public void Matching_does_not_allocate()
    {
        var matcher = new ConnectionMatcher([Conn(4, "198.19.0.1", "198.19.0.2", Net("10.0.0.0", 8, "10.0.0.0", 8)), Conn(6, "fd00:ff::1", "fd00:ff::2")]);
        byte[] v4 = V4("10.1.1.1", "10.2.2.2");
        byte[] v6 = V6("fd00:ff::1", "fd00:ff::2");
        int sum = matcher.Match(v4) + matcher.Match(v6);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            sum += matcher.Match(v4) + matcher.Match(v6);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1001, sum);
    }

    [Fact]
    public void Indexed_lookup_returns_what_a_scan_in_list_order_returns_for_hosts_and_prefixes_mixed()
    {
        // 300 clients (hosts), with a /16 network connection and a duplicate host placed in between: list order decides.
        var connections = new List<ConnectionDescriptor>();
        for (int c = 0; c < 300; c++)
        {
            if (c == 120)
            {
                connections.Add(Conn(4, "198.19.0.1", "198.19.9.9", Net("0.0.0.0", 0, "198.19.0.0", 16)));
            }

            connections.Add(Conn(4, "198.19.0.1", $"198.19.{1 + (c / 250)}.{1 + (c % 250)}", Net("0.0.0.0", 0, $"198.19.{1 + (c / 250)}.{1 + (c % 250)}", 32)));
        }

        connections.Add(Conn(4, "198.19.0.1", "198.19.1.5")); // a later duplicate of client 4: never chosen
        var matcher = new ConnectionMatcher(connections);
        Assert.Equal(4, matcher.Match(V4("198.19.0.1", "198.19.1.5")));
        Assert.Equal(4, matcher.Match(V4("198.19.0.2", "198.19.1.5"))); // the net's any-source
        Assert.Equal(120, matcher.Match(V4("198.19.0.1", "198.19.1.200"))); // client 199 comes after the /16 connection
        Assert.Equal(119, matcher.Match(V4("198.19.0.1", "198.19.1.120")));
        Assert.Equal(120, matcher.Match(V4("198.19.0.1", "198.19.200.1"))); // only the prefix
        Assert.Equal(-1, matcher.Match(V4("198.19.0.1", "198.20.0.1")));
    }
}
