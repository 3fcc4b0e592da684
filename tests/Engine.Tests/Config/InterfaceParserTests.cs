using System.Net;
using MptFast.Engine.Config;

namespace MptFast.Engine.Tests.Config;

/// <summary><c>interface.conf</c>: MPT-SPEC §5.3, B71, B84, B89.</summary>
public class InterfaceParserTests
{
    private static ConfigParseResult<InterfaceConfig> Parse(string text) => InterfaceParser.Parse(text, "interface.conf");

    private static string[] Errors(string text) => [.. Parse(text).Errors.Select(e => e.ToString())];

    [Fact]
    public void Valid_file_reads_every_key()
    {
        InterfaceConfig c = Parse(ConfigText.Interface("accept_remote = 1\ncmd_timeout = 25\ninterface_num = 2", "mtu = 1464\nipv6_addr = fd00:ff::1/64")).GetValueOrThrow();

        Assert.True(c.AcceptRemote);
        Assert.Equal(60456, c.CommandPort);
        Assert.Equal(25, c.CommandTimeoutSeconds);
        Assert.Equal(2, c.InterfaceNum);
        Assert.Equal("tun0", c.TunName);
        Assert.Equal(1464, c.Mtu);
        Assert.Equal(new IpPrefix(IPAddress.Parse("198.19.0.1"), 24), c.Ipv4Address);
        Assert.Equal(new IpPrefix(IPAddress.Parse("fd00:ff::1"), 64), c.Ipv6Address);
    }

    [Fact]
    public void Defaults_use_the_one_command_port()
    {
        InterfaceConfig c = Parse("[general]\ntunnel_num = 1\n").GetValueOrThrow();

        Assert.Equal(InterfaceConfig.DefaultCommandPort, c.CommandPort);
        Assert.Equal(15, c.CommandTimeoutSeconds);
        Assert.Equal(1440, c.Mtu);
        Assert.Null(c.Ipv4Address);
        Assert.Null(c.Ipv6Address);
    }

    [Fact]
    public void Missing_tunnel_num_is_an_error()
    {
        Assert.Equal(["interface.conf:1: tunnel_num: missing required key in [general]"], Errors(ConfigText.Interface().Replace("tunnel_num = 1", "", StringComparison.Ordinal)));
    }

    [Fact]
    public void Tunnel_num_zero_is_an_error()
    {
        Assert.Equal(["interface.conf:4: tunnel_num: value 0 must be at least 1"], Errors(ConfigText.Interface("tunnel_num = 0")));
    }

    [Fact]
    public void Integer_beyond_32_bits_is_an_error()
    {
        Assert.Equal(["interface.conf:4: accept_remote: '99999999999' is too large"], Errors(ConfigText.Interface("accept_remote = 99999999999")));
    }

    [Fact]
    public void Interface_num_below_zero_is_an_error()
    {
        Assert.Equal(["interface.conf:4: interface_num: value -1 must be at least 0"], Errors(ConfigText.Interface("interface_num = -1")));
    }

    [Fact]
    public void Command_port_out_of_range_is_an_error_and_zero_is_ephemeral()
    {
        Assert.Equal(["interface.conf:4: cmdport_local: value 65536 is out of range 0-65535"], Errors(ConfigText.Interface("cmdport_local = 65536")));
        Assert.Equal(0, Parse(ConfigText.Interface("cmdport_local = 0")).GetValueOrThrow().CommandPort);
    }

    [Theory]
    [InlineData("ipv4_addr = 198.19.0.1", "interface.conf:8: ipv4_addr: '198.19.0.1' has no prefix length (write addr/len, B71)")]
    [InlineData("ipv4_addr = 198.19.0.1/33", "interface.conf:8: ipv4_addr: prefix length 33 is out of range 0-32")]
    [InlineData("ipv4_addr = 198.19.0.1/2x", "interface.conf:8: ipv4_addr: '2x' is not a prefix length")]
    [InlineData("ipv4_addr = fd00::1/64", "interface.conf:8: ipv4_addr: 'fd00::1' is an IPv6 address but ip_ver is 4")]
    [InlineData("ipv6_addr = fd00:ff::1/129", "interface.conf:8: ipv6_addr: prefix length 129 is out of range 0-128")]
    [InlineData("ipv6_addr = fd00:ff::1", "interface.conf:8: ipv6_addr: 'fd00:ff::1' has no prefix length (write addr/len, B71)")]
    [InlineData("name = averyveryverylongname", "interface.conf:8: name: interface name 'averyveryverylongname' is longer than 15 characters")]
    [InlineData("mtu = 20", "interface.conf:8: mtu: value 20 is out of range 68-65535")]
    public void Tunnel_values_are_validated(string line, string expected)
    {
        Assert.Equal([expected], Errors(ConfigText.Interface(tunExtra: line)));
    }

    [Fact]
    public void Prefix_length_zero_means_no_address()
    {
        InterfaceConfig c = Parse(ConfigText.Interface(tunExtra: "ipv6_addr = FE::1/0").Replace("198.19.0.1/24", "0.0.0.0/0", StringComparison.Ordinal)).GetValueOrThrow();

        Assert.Null(c.Ipv4Address);
        Assert.Null(c.Ipv6Address);
    }

    [Fact]
    public void Several_tunnels_use_tun_0_with_warnings()
    {
        ConfigParseResult<InterfaceConfig> result = Parse(ConfigText.Interface("tunnel_num = 2", "[tun_1]\nname = other"));

        Assert.Equal("tun0", result.GetValueOrThrow().TunName);
        Assert.Equal(
            [
                "interface.conf:4: tunnel_num: tunnel_num = 2: only one tunnel exists; [tun_0] is used (B84)",
                "interface.conf:8: [tun_1]: ignored: only [tun_0] is used (B84)",
            ],
            result.Warnings.Select(w => w.ToString()));
    }

    [Fact]
    public void Unknown_section_and_key()
    {
        ConfigParseResult<InterfaceConfig> result = Parse(ConfigText.Interface("gateway = 1", "[connection]"));

        Assert.Equal(["interface.conf:8: [connection]: unknown section (expected [general] or [tun_0])"], result.Errors.Select(e => e.ToString()));
        Assert.Equal(["interface.conf:4: gateway: unknown key ignored"], result.Warnings.Select(w => w.ToString()));
    }

    [Theory]
    [InlineData("9477", "127.0.0.1:9477")] // a port alone listens on loopback
    [InlineData("0.0.0.0:9477", "0.0.0.0:9477")]
    [InlineData("198.18.1.1:9100", "198.18.1.1:9100")]
    [InlineData("[::1]:9477", "[::1]:9477")]
    [InlineData(" [::]:9477 ", "[::]:9477")]
    public void Metrics_listen_takes_a_port_or_an_address_with_a_port(string value, string expected)
    {
        InterfaceConfig c = Parse(ConfigText.Interface("metrics_listen = " + value)).GetValueOrThrow();
        Assert.Equal(expected, c.MetricsListen!.ToString());
        Assert.Equal(c, Parse(ConfigWriter.WriteInterface(c)).GetValueOrThrow()); // written back as read
    }

    [Theory]
    [InlineData("0", "'0': '0' is not a port number (1-65535)")]
    [InlineData("70000", "'70000': '70000' is not a port number (1-65535)")]
    [InlineData("localhost:9477", "'localhost:9477': 'localhost' is not an IP address (PORT, ADDR:PORT or [ADDR]:PORT)")]
    [InlineData("::1:9477", "'::1:9477': write an IPv6 address in brackets, [ADDR]:PORT")]
    [InlineData("127.0.0.1:", "'127.0.0.1:': '' is not a port number (1-65535)")]
    public void Metrics_listen_errors_name_the_line_and_the_key(string value, string problem)
    {
        Assert.Equal(["interface.conf:4: metrics_listen: " + problem], Errors(ConfigText.Interface("metrics_listen = " + value)));
    }

    [Fact]
    public void Without_metrics_listen_there_is_no_endpoint() => Assert.Null(Parse(ConfigText.Interface()).GetValueOrThrow().MetricsListen);
}
