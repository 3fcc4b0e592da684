using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Mapping;

namespace MptFast.Engine.Tests.Config;

/// <summary>Layout details of <see cref="ConfigWriter"/> (MPT-SPEC §5.10); the byte-exact vector test is in ConfigFileTests.</summary>
public class ConfigWriterTests
{
    private static readonly ConnectionConfig Sample = new()
    {
        FileName = "s.conf",
        Name = "s",
        IpVer = 4,
        IpLocal = IPAddress.Parse("198.19.0.1"),
        IpRemote = IPAddress.Parse("198.19.0.2"),
        AuthType = 2,
        AuthKey = "secret;key",
        Paths = new[]
        {
            new PathConfig
            {
                InterfaceName = "veth1",
                CmdDefault = true,
                PrivateAddress = IPAddress.Parse("198.18.1.1"),
                PublicAddress = IPAddress.Parse("198.18.1.1"),
                PublicIsPrivate = true,
                RemoteAddress = IPAddress.Parse("198.18.1.2"),
                TcpDst = new[] { new PortRange(80, 80), new PortRange(8000, 8080) }.ToEquatableArray(),
            },
        }.ToEquatableArray(),
        Networks = new[]
        {
            new NetworkConfig(6, new IpPrefix(IPAddress.Parse("fd00:10::"), 48), new IpPrefix(IPAddress.IPv6Any, 0)),
        }.ToEquatableArray(),
    };

    [Fact]
    public void Full_format_appends_key_cmd_default_and_port_maps_to_their_sections()
    {
        string text = ConfigWriter.WriteConnection(Sample, ConnectionFormat.Full);

        Assert.Contains("auth_type        = 2\nauth_key         = \"secret;key\"\nscheduler        = adaptive\n" +
            "loss_recovery    = 1\nprobe_interval_msec = 20\nequalize_delay   = auto\n\n####", text, StringComparison.Ordinal);
        Assert.Contains("public_ipaddr    = private_ipaddr\n", text, StringComparison.Ordinal);
        Assert.Contains("status           = 0\ncmd_default      = 1\ntcp_dst          = 80 8000-8080\n\n####", text, StringComparison.Ordinal);
        Assert.EndsWith(
            "####################### NETWORKS #####################################\n\n[net_0]\n" +
            "ip_ver           = 6\nsrc_addr         = fd00:10::/48\ndst_addr         = ::/0\n",
            text,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Original_format_writes_the_resolved_public_address_and_no_extras()
    {
        string text = ConfigWriter.WriteConnection(Sample, ConnectionFormat.Original);

        Assert.StartsWith(";;;;;;;#################### Multipath Connection Information: ###############\n\n[connection]\nname             = s\n", text, StringComparison.Ordinal);
        Assert.Contains("public_ipaddr    = 198.18.1.1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("auth_key", text, StringComparison.Ordinal);
        Assert.DoesNotContain("cmd_default", text, StringComparison.Ordinal);
        Assert.DoesNotContain("tcp_dst", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain words", "plain words")]
    [InlineData("a;b", "\"a;b\"")]
    [InlineData("say \"hi\" #1", "'say \"hi\" #1'")]
    [InlineData(" lead", "\" lead\"")]
    [InlineData("ends\\", "\"ends\\\"")]
    [InlineData("'q'", "\"'q'\"")]
    public void Names_are_quoted_only_when_the_reader_would_change_them(string name, string written)
    {
        string text = ConfigWriter.WriteConnection(Sample with { Name = name }, ConnectionFormat.Full);

        Assert.Contains("\nname             = " + written + "\n", text, StringComparison.Ordinal);
        Assert.Equal(name, ConnectionParser.Parse(text, "s.conf").GetValueOrThrow().Name);
    }

    [Theory]
    [InlineData("line\nbreak")]
    [InlineData("both ' and \" ;")]
    public void Unrepresentable_values_are_refused(string name)
    {
        Assert.Throws<ArgumentException>(() => ConfigWriter.WriteConnection(Sample with { Name = name }, ConnectionFormat.Full));
    }

    [Fact]
    public void Interface_is_written_with_every_key_and_none_as_prefix_zero()
    {
        var config = new InterfaceConfig { AcceptRemote = true, Ipv4Address = new IpPrefix(IPAddress.Parse("198.19.0.1"), 24) };

        Assert.Equal(
            "[general]\ntunnel_num       = 1\naccept_remote    = 1\ncmdport_local    = 60456\ncmd_timeout      = 15\ninterface_num    = 0\n\n" +
            "[tun_0]\nname             = tun0\nmtu              = 1440\nipv4_addr        = 198.19.0.1/24\nipv6_addr        = ::/0\n",
            ConfigWriter.WriteInterface(config));
    }
}
