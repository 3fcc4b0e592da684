using System.Net;
using MptFast.Engine.Config;

namespace MptFast.Engine.Tests.Config;

/// <summary>Defaults, overrides and warnings of MPT-SPEC §5.4–§5.6, §9.9 and B46/B82.</summary>
public class ConnectionSemanticsTests
{
    private static ConfigParseResult<ConnectionConfig> Parse(string text) => ConnectionParser.Parse(text, "tunnel.conf");

    private static string[] Warnings(string text) => [.. Parse(text).Warnings.Select(w => w.ToString())];

    [Fact]
    public void Defaults_follow_the_original()
    {
        string text = "[connection]\nip_remote = ::1\npath_count = 1\n[path_0]\nremote_ipaddr = 198.18.1.2\n";

        ConnectionConfig c = Parse(text).GetValueOrThrow();

        Assert.Equal("connection", c.Name);
        Assert.Equal(6, c.IpVer);
        Assert.Equal(IPAddress.IPv6Any, c.IpLocal);
        Assert.Equal(65001, c.LocalCmdPort);
        Assert.Equal(65000, c.RemotePort);
        Assert.Equal(InterfaceConfig.DefaultCommandPort, c.RemoteCmdPort);
        Assert.Equal(128, c.Status);
        Assert.Equal(100, c.MaxBuffDelayMs);
        Assert.Equal(ConnectionConfig.DefaultAuthKey, c.AuthKey);
        PathConfig p = Assert.Single(c.Paths);
        Assert.Equal("unnamed_path", p.InterfaceName);
        Assert.Equal(4, p.IpVer);
        Assert.Equal(IPAddress.Any, p.PrivateAddress);
        Assert.Equal(1, p.WeightIn);
        Assert.Equal(1, p.WeightOut);
        Assert.Equal(PathStatus.Ok, p.Status);
        Assert.Empty(c.Networks);
    }

    [Theory]
    [InlineData("keepalive_time = 7", 21)]
    [InlineData("keepalive_time = 7\ndead_time = 0", 0)]
    [InlineData("", 0)]
    public void Dead_time_defaults_to_three_keepalives(string lines, int expected)
    {
        ConnectionConfig c = Parse(ConfigText.Connection(path0Extra: lines)).GetValueOrThrow();

        Assert.Equal(expected, c.Paths[0].DeadTime);
    }

    [Theory]
    [InlineData("max_buffdelay_msec = 0", 100)]
    [InlineData("max_buffdelay_msec = 250", 250)]
    [InlineData("", 100)]
    public void Max_buffdelay_zero_or_absent_means_100_ms(string line, int expected)
    {
        Assert.Equal(expected, Parse(ConfigText.Connection(connectionExtra: line)).GetValueOrThrow().MaxBuffDelayMs);
    }

    [Fact]
    public void Ip_ver_other_than_6_reads_as_4_with_a_warning()
    {
        ConfigParseResult<ConnectionConfig> result = Parse(ConfigText.Connection(connectionExtra: "ip_ver = 5"));

        Assert.Equal(4, result.GetValueOrThrow().IpVer);
        Assert.Contains("tunnel.conf:9: ip_ver: ip_ver = 5 reads as 4 (only 6 means IPv6)", result.Warnings.Select(w => w.ToString()));
    }

    [Fact]
    public void Path_ip_ver_is_independent_of_the_connection()
    {
        string text = ConfigText.Connection(path1Extra: "ip_ver = 6\nprivate_ipaddr = fd00:2::1\npublic_ipaddr = fd00:2::1\nremote_ipaddr = fd00:2::2");

        ConnectionConfig c = Parse(text).GetValueOrThrow();

        Assert.Equal(4, c.IpVer);
        Assert.Equal(6, c.Paths[1].IpVer);
        Assert.Equal(IPAddress.Parse("fd00:2::2"), c.Paths[1].RemoteAddress);
        Assert.Equal(IPAddress.IPv6Any, c.Paths[1].GatewayAddress);
    }

    [Fact]
    public void Public_address_word_copies_the_private_address()
    {
        ConnectionConfig c = Parse(ConfigText.Connection(path0Extra: "public_ipaddr = private_ipaddr")).GetValueOrThrow();

        Assert.True(c.Paths[0].PublicIsPrivate);
        Assert.Equal(IPAddress.Parse("198.18.1.1"), c.Paths[0].PublicAddress);
        Assert.False(c.Paths[1].PublicIsPrivate);
    }

    [Theory]
    [InlineData("public_ipaddr = 0.0.0.0", 17)]
    [InlineData("", 12)]
    public void Unset_ipv4_public_address_means_same_as_private_with_a_warning(string line, int warningLine)
    {
        string text = ConfigText.Connection(path0Extra: line).Replace("public_ipaddr = 198.18.1.1\n", "\n", StringComparison.Ordinal);

        ConfigParseResult<ConnectionConfig> result = Parse(text);

        Assert.Equal(IPAddress.Any, result.GetValueOrThrow().Paths[0].PublicAddress);
        Assert.Equal(
            [$"tunnel.conf:{warningLine}: public_ipaddr: unset (0.0.0.0) means \"same as private_ipaddr\"; MptFast never asks outside services (B82)"],
            result.Warnings.Select(w => w.ToString()).Where(w => w.Contains("public_ipaddr", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("gateway_ipaddr = 198.18.1.2", "tunnel.conf:17: gateway_ipaddr: unknown key ignored (did you mean gw_ipaddr?)")]
    [InlineData("default_cmd = 1", "tunnel.conf:17: default_cmd: unknown key ignored (did you mean cmd_default?)")]
    [InlineData("colour = blue", "tunnel.conf:17: colour: unknown key ignored")]
    public void Unknown_keys_are_warnings_with_hints(string line, string expected)
    {
        ConfigParseResult<ConnectionConfig> result = Parse(ConfigText.Connection(path0Extra: line));

        Assert.Empty(result.Errors);
        Assert.Contains(expected, result.Warnings.Select(w => w.ToString()));
    }

    [Theory]
    [InlineData("auth_type = 0", "tunnel.conf:10: auth_type: auth_type 0: control messages are not authenticated (B46)")]
    [InlineData("auth_type = 1", "tunnel.conf:10: auth_type: auth_type 1 only checks a token, it does not authenticate (B46)")]
    public void Weak_auth_types_are_warned_about(string line, string expected)
    {
        Assert.Contains(expected, Warnings(ConfigText.Connection().Replace("auth_type = 2", line, StringComparison.Ordinal)));
    }

    [Fact]
    public void Default_key_with_sha256_is_warned_about()
    {
        string text = ConfigText.Connection().Replace("auth_key = 00112233445566778899AABBCCDDEEFF", "auth_key = " + ConnectionConfig.DefaultAuthKey, StringComparison.Ordinal);

        Assert.Equal(["tunnel.conf:11: auth_key: the default key is public: set a secret auth_key (B46)"], Warnings(text));
        Assert.Empty(Warnings(ConfigText.Connection()));
    }

    [Fact]
    public void Auth_key_may_have_any_length()
    {
        string text = ConfigText.Connection().Replace("auth_key = 00112233445566778899AABBCCDDEEFF", "auth_key = 0", StringComparison.Ordinal);

        Assert.Equal("0", Parse(text).GetValueOrThrow().AuthKey);
    }

    [Fact]
    public void Port_maps_accept_the_original_separators_tab_and_ranges()
    {
        ConnectionConfig c = Parse(ConfigText.Connection(path0Extra: "tcp_dst = 80 443,8080:22\t53 1000-2000")).GetValueOrThrow();

        Assert.Equal(
            [new(80, 80), new(443, 443), new(8080, 8080), new(22, 22), new(53, 53), new(1000, 2000)],
            c.Paths[0].TcpDst.ToArray<MptFast.Engine.Mapping.PortRange>());
    }

    [Fact]
    public void Networks_are_read_in_their_own_family()
    {
        string text = ConfigText.Connection(connectionExtra: "network_count = 2",
            tail: "[net_0]\nsrc_addr = 198.18.10.0/24\ndst_addr = 198.18.20.0\n[net_1]\nip_ver = 6\ndst_addr = fd00:20::/48\n");

        ConfigParseResult<ConnectionConfig> result = Parse(text);
        ConnectionConfig c = result.GetValueOrThrow();

        Assert.Equal(new NetworkConfig(4, new IpPrefix(IPAddress.Parse("198.18.10.0"), 24), new IpPrefix(IPAddress.Parse("198.18.20.0"), 0)), c.Networks[0]);
        Assert.Equal(new NetworkConfig(6, new IpPrefix(IPAddress.IPv6Any, 0), new IpPrefix(IPAddress.Parse("fd00:20::"), 48)), c.Networks[1]);
        Assert.Contains("tunnel.conf:28: dst_addr: '198.18.20.0' has no prefix length: read as /0 (every address), as the original",
            result.Warnings.Select(w => w.ToString()));
    }

    [Fact]
    public void Permission_absent_means_send_and_receive()
    {
        ConfigParseResult<ConnectionConfig> result = Parse(ConfigText.Connection().Replace("permission", "; permission", StringComparison.Ordinal));
        Assert.Equal(3, result.GetValueOrThrow().Permission);
    }

    [Fact]
    public void Permission_outside_the_manual_range_is_kept_with_a_warning()
    {
        ConfigParseResult<ConnectionConfig> result = Parse(ConfigText.Connection(connectionExtra: "permission = 7"));

        Assert.Equal(7, result.GetValueOrThrow().Permission);
        Assert.Contains("tunnel.conf:9: permission: value 7 is outside the manual's range 0-3 (only bits 0 and 1 count)", result.Warnings.Select(w => w.ToString()));
    }

    [Fact]
    public void Config_error_and_exception_format_every_error()
    {
        var errors = new[] { new ConfigError("a.conf", 3, "[path_3]", "first"), new ConfigError("b.conf", 0, "file", "second") };

        var ex = new ConfigException(errors);

        Assert.Equal("a.conf:3: [path_3]: first", errors[0].ToString());
        Assert.Equal("b.conf:0: file: second", new ConfigWarning("b.conf", 0, "file", "second").ToString());
        Assert.Equal("a.conf:3: [path_3]: first\nb.conf:0: file: second", ex.Message);
        Assert.Same(errors, ex.Errors);
    }
}
