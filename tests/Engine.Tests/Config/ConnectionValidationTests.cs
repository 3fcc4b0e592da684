using MptFast.Engine.Config;

namespace MptFast.Engine.Tests.Config;

/// <summary>Every error class of a connection file, asserted as the full <c>file:line: key: message</c> text.</summary>
public class ConnectionValidationTests
{
    private static string[] Errors(string text) =>
        [.. ConnectionParser.Parse(text, "tunnel.conf").Errors.Select(e => e.ToString())];

    private static string[] Warnings(string text) =>
        [.. ConnectionParser.Parse(text, "tunnel.conf").Warnings.Select(w => w.ToString())];

    [Fact]
    public void Base_text_is_valid()
    {
        ConfigParseResult<ConnectionConfig> result = ConnectionParser.Parse(ConfigText.Connection(), "conf/connections/tunnel.conf");

        Assert.Empty(result.Errors);
        Assert.Equal("tunnel.conf", result.Value!.FileName);
    }

    // Found by fuzzing (fuzz/README.md, config target): a lone CR inside a value was accepted, and then writing the
    // connection back (mpt save, a create reply) threw ArgumentException. Values are written one per line, so a control
    // character in one is an error naming its line and key.
    [Theory]
    [InlineData("name = \"a\rb\"", 9, "name")]
    [InlineData("name = a\u001bb", 9, "name")]
    public void A_control_character_in_a_string_value_is_an_error(string line, int lineNumber, string key)
    {
        Assert.Equal(
            [$"tunnel.conf:{lineNumber}: {key}: the value contains a control character (U+{(int)line.First(char.IsControl):X4}); values are written back one per line"],
            Errors(ConfigText.Connection(connectionExtra: line)));
    }

    [Fact]
    public void A_control_character_in_the_key_is_an_error_and_never_a_key()
    {
        string text = ConfigText.Connection().Replace("auth_key = 00112233445566778899AABBCCDDEEFF", "auth_key = 0\rFF", StringComparison.Ordinal);

        Assert.Equal(["tunnel.conf:11: auth_key: the value contains a control character (U+000D); values are written back one per line"], Errors(text));
    }

    [Fact]
    public void A_control_character_in_an_interface_name_is_one_error()
    {
        Assert.Equal(
            ["tunnel.conf:17: interface_name: the value contains a control character (U+000D); values are written back one per line"],
            Errors(ConfigText.Connection(path0Extra: "interface_name = \"ve\rth1\"")));
    }

    [Fact]
    public void Unknown_section_is_an_error()
    {
        Assert.Equal(
            ["tunnel.conf:26: [bogus]: unknown section (expected [connection], [path_N] or [net_N])"],
            Errors(ConfigText.Connection(tail: "[bogus]\nx = 1\n")));
    }

    [Fact]
    public void Path_section_with_leading_zero_index_is_unknown()
    {
        Assert.Equal(
            ["tunnel.conf:26: [path_01]: unknown section (expected [connection], [path_N] or [net_N])"],
            Errors(ConfigText.Connection(tail: "[path_01]\n")));
    }

    [Fact]
    public void Sections_beyond_the_counts_are_ignored_with_a_warning()
    {
        string text = ConfigText.Connection(tail: "[path_2]\nremote_ipaddr = junk\n[net_0]\n");

        Assert.Empty(Errors(text));
        Assert.Contains("tunnel.conf:26: [path_2]: ignored: path_count is 2", Warnings(text));
        Assert.Contains("tunnel.conf:28: [net_0]: ignored: network_count is 0", Warnings(text));
    }

    [Theory]
    [InlineData("gw_ipaddr = 198.18.1", "tunnel.conf:17: gw_ipaddr: '198.18.1' is not a valid IPv4 address")]
    [InlineData("gw_ipaddr = 198.018.1.2", "tunnel.conf:17: gw_ipaddr: '198.018.1.2' is not a valid IPv4 address")]
    [InlineData("gw_ipaddr = fd00::1", "tunnel.conf:17: gw_ipaddr: 'fd00::1' is an IPv6 address but ip_ver is 4")]
    [InlineData("remote_ipaddr = fe80::1%eth0", "tunnel.conf:17: remote_ipaddr: 'fe80::1%eth0' is not a valid IPv4 address")]
    [InlineData("public_ipaddr = PRIVATE_IPADDR", "tunnel.conf:17: public_ipaddr: 'PRIVATE_IPADDR' is not a valid IPv4 address")]
    public void Bad_path_address_is_an_error(string line, string expected)
    {
        Assert.Equal([expected], Errors(ConfigText.Connection(path0Extra: line)));
    }

    [Fact]
    public void Ipv4_address_in_an_ipv6_connection_is_an_error()
    {
        string text = ConfigText.Connection(connectionExtra: "ip_ver = 6").Replace("ip_remote = 198.19.0.2", "ip_remote = fd00:ff::2", StringComparison.Ordinal);

        Assert.Equal(["tunnel.conf:4: ip_local: '198.19.0.1' is an IPv4 address but ip_ver is 6"], Errors(text));
    }

    [Theory]
    [InlineData("remote_cmd_port = 70000", "tunnel.conf:9: remote_cmd_port: value 70000 is out of range 1-65535")]
    [InlineData("remote_port = 0", "tunnel.conf:9: remote_port: value 0 is out of range 1-65535")]
    [InlineData("local_port = 65536", "tunnel.conf:9: local_port: value 65536 is out of range 0-65535")]
    [InlineData("path_count = 21", "tunnel.conf:9: path_count: value 21 is out of range 1-20")]
    [InlineData("path_count = 0", "tunnel.conf:9: path_count: value 0 is out of range 1-20")]
    [InlineData("network_count = 21", "tunnel.conf:9: network_count: value 21 is out of range 0-20")]
    [InlineData("network_count = -1", "tunnel.conf:9: network_count: value -1 is out of range 0-20")]
    [InlineData("reorder_window = 10001", "tunnel.conf:9: reorder_window: value 10001 is out of range 0-10000")]
    [InlineData("status = 256", "tunnel.conf:9: status: value 256 is out of range 0-255")]
    [InlineData("reorder_window = 12abc", "tunnel.conf:9: reorder_window: '12abc' is not a number (junk 'abc' after the digits)")]
    [InlineData("reorder_window = 08", "tunnel.conf:9: reorder_window: '08' is not a number (junk '8' after the digits; a leading 0 means octal)")]
    [InlineData("reorder_window = many", "tunnel.conf:9: reorder_window: 'many' is not a number")]
    [InlineData("name = " + "n123456789n123456789n123456789n123456789n123456789n123456789n123456789n123456789n123456789n123456789n123456789n123456789n1234567",
        "tunnel.conf:9: name: longer than 127 bytes")]
    public void Connection_value_out_of_range_is_an_error(string line, string expected)
    {
        Assert.Contains(expected, Errors(ConfigText.Connection(connectionExtra: line)));
    }

    [Fact]
    public void Local_port_zero_means_ephemeral_and_a_repeated_key_wins()
    {
        ConnectionConfig c = ConnectionParser.Parse(ConfigText.Connection(connectionExtra: "local_port = 0"), "t.conf").GetValueOrThrow();

        Assert.Equal(0, c.LocalPort);
    }

    [Theory]
    [InlineData("weight_out = 10001", "tunnel.conf:17: weight_out: value 10001 is out of range 0-10000")]
    [InlineData("weight_in = -1", "tunnel.conf:17: weight_in: value -1 is out of range 0-10000")]
    [InlineData("keepalive_time = 256", "tunnel.conf:17: keepalive_time: value 256 is out of range 0-255")]
    [InlineData("dead_time = 65536", "tunnel.conf:17: dead_time: value 65536 is out of range 0-65535")]
    [InlineData("status = 0x100", "tunnel.conf:17: status: value 256 is out of range 0-255")]
    [InlineData("interface_name = abcdefghijklmnop", "tunnel.conf:17: interface_name: interface name 'abcdefghijklmnop' is longer than 15 characters")]
    [InlineData("interface_name = eth0:1", "tunnel.conf:17: interface_name: 'eth0:1' is not a valid interface name")]
    [InlineData("tcp_dst = 80 http", "tunnel.conf:17: tcp_dst: invalid port list: 'http' is not a port number")]
    [InlineData("udp_src = 70000", "tunnel.conf:17: udp_src: invalid port list: port 70000 is out of range 1-65535")]
    [InlineData("udp_dst = 2000-1000", "tunnel.conf:17: udp_dst: invalid port list: port range '2000-1000' is reversed (first port above last)")]
    public void Path_value_out_of_range_is_an_error(string line, string expected)
    {
        Assert.Equal([expected], Errors(ConfigText.Connection(path0Extra: line)));
    }

    [Fact]
    public void Port_on_two_paths_under_one_key_names_the_port_the_key_and_both_paths()
    {
        string text = ConfigText.Connection(path0Extra: "tcp_dst = 443 80", path1Extra: "tcp_dst = 8080, 1-100");

        Assert.Equal(["tunnel.conf:24: tcp_dst: port 80 is mapped to path_0 (tunnel.conf:17) and path_1"], Errors(text));
    }

    [Fact]
    public void Same_port_under_different_keys_or_twice_on_one_path_is_fine()
    {
        string text = ConfigText.Connection(path0Extra: "tcp_dst = 80 80 1-100", path1Extra: "udp_dst = 80");

        Assert.Empty(Errors(text));
    }

    [Fact]
    public void Weight_out_zero_is_allowed_unless_every_path_has_it()
    {
        Assert.Empty(Errors(ConfigText.Connection(path0Extra: "weight_out = 0")));
        Assert.Equal(
            ["tunnel.conf:8: weight_out: every path has weight_out = 0, so no path could ever be chosen"],
            Errors(ConfigText.Connection(path0Extra: "weight_out = 0", path1Extra: "weight_out = 0")));
    }

    [Fact]
    public void Missing_ip_remote_is_an_error()
    {
        string text = ConfigText.Connection().Replace("ip_remote = 198.19.0.2", "", StringComparison.Ordinal);

        Assert.Equal(["tunnel.conf:1: ip_remote: missing required key in [connection]"], Errors(text));
    }

    [Fact]
    public void Missing_remote_ipaddr_is_an_error()
    {
        string text = ConfigText.Connection().Replace("remote_ipaddr = 198.18.2.2", "", StringComparison.Ordinal);

        Assert.Equal(["tunnel.conf:19: remote_ipaddr: missing required key in [path_1]"], Errors(text));
    }

    [Fact]
    public void Missing_path_section_is_an_error()
    {
        Assert.Equal(
            ["tunnel.conf:9: [path_2]: missing section: path_count is 3 and every path needs remote_ipaddr"],
            Errors(ConfigText.Connection(connectionExtra: "path_count = 3")));
    }

    [Fact]
    public void Missing_path_count_is_an_error()
    {
        string text = ConfigText.Connection().Replace("path_count = 2", "", StringComparison.Ordinal);

        Assert.Contains("tunnel.conf:1: path_count: missing required key in [connection]", Errors(text));
    }

    [Theory]
    [InlineData("3")]
    [InlineData("-1")]
    public void Auth_type_other_than_0_1_2_is_an_error(string value)
    {
        string text = ConfigText.Connection().Replace("auth_type = 2", "auth_type = " + value, StringComparison.Ordinal);

        Assert.Equal([$"tunnel.conf:10: auth_type: value {value} is not an auth type (0 none, 1 token, 2 SHA-256)"], Errors(text));
    }

    [Fact]
    public void Several_ipv6_paths_need_explicit_private_addresses()
    {
        string text =
            "[connection]\nip_ver = 6\nip_local = fd00:ff::1\nip_remote = fd00:ff::2\npath_count = 3\nauth_type = 2\nauth_key = k\n" + // 1-7
            "[path_0]\nip_ver = 6\nprivate_ipaddr = fd00:1::1\nremote_ipaddr = fd00:1::2\n" +   // 8-11
            "[path_1]\nip_ver = 6\nremote_ipaddr = fd00:2::2\n" +                              // 12-14
            "[path_2]\nip_ver = 6\nprivate_ipaddr = ::\nremote_ipaddr = fd00:3::2\n";          // 15-18

        Assert.Equal(
            [
                "tunnel.conf:12: private_ipaddr: path_1 needs an explicit address other than :: when the connection has 3 IPv6 paths (B85)",
                "tunnel.conf:17: private_ipaddr: path_2 needs an explicit address other than :: when the connection has 3 IPv6 paths (B85)",
            ],
            Errors(text));
    }

    [Fact]
    public void Two_ipv6_paths_on_the_wildcard_are_already_too_many()
    {
        // The smallest case of B85 (a mutation of the "fewer than 2" test survived: only 3 paths were tested).
        string text =
            "[connection]\nip_ver = 6\nip_local = fd00:ff::1\nip_remote = fd00:ff::2\npath_count = 2\nauth_type = 2\nauth_key = k\n" + // 1-7
            "[path_0]\nip_ver = 6\nprivate_ipaddr = fd00:1::1\nremote_ipaddr = fd00:1::2\n" +   // 8-11
            "[path_1]\nip_ver = 6\nremote_ipaddr = fd00:2::2\n";                             // 12-14

        Assert.Equal(["tunnel.conf:12: private_ipaddr: path_1 needs an explicit address other than :: when the connection has 2 IPv6 paths (B85)"],
            Errors(text));
    }

    [Fact]
    public void One_ipv6_path_may_bind_the_wildcard()
    {
        string text = "[connection]\nip_ver = 6\nip_remote = fd00:ff::2\npath_count = 1\n[path_0]\nip_ver = 6\nremote_ipaddr = fd00:1::2\n";

        Assert.Empty(Errors(text));
    }

    [Fact]
    public void Net_section_values_are_validated()
    {
        string text = ConfigText.Connection(connectionExtra: "network_count = 2",
            tail: "[net_0]\nsrc_addr = 198.18.10.0/33\ndst_addr = fd00::/64\n[net_1]\nip_ver = 5\n");

        Assert.Equal(
            [
                "tunnel.conf:27: src_addr: prefix length 33 is out of range 0-32",
                "tunnel.conf:28: dst_addr: 'fd00::' is an IPv6 address but ip_ver is 4",
                "tunnel.conf:30: ip_ver: value 5 is not 4 or 6",
            ],
            Errors(text));
    }

    [Fact]
    public void All_errors_of_a_file_are_collected_in_line_order()
    {
        string text = ConfigText.Connection(connectionExtra: "reorder_window = 99999", path0Extra: "weight_out = x", path1Extra: "gw_ipaddr = nope")
            .Replace("ip_remote = 198.19.0.2", "oops", StringComparison.Ordinal);

        Assert.Equal(
            [
                "tunnel.conf:1: ip_remote: missing required key in [connection]",
                "tunnel.conf:5: syntax: expected 'key = value', '[section]' or a comment",
                "tunnel.conf:9: reorder_window: value 99999 is out of range 0-10000",
                "tunnel.conf:17: weight_out: 'x' is not a number",
                "tunnel.conf:24: gw_ipaddr: 'nope' is not a valid IPv4 address",
            ],
            Errors(text));
    }

    [Fact]
    public void Template_needs_no_remote_addresses_or_path_sections()
    {
        string text = "[connection]\nip_ver = 4\nlocal_port = 23500\npath_count = 2\n[path_0]\ninterface_name = veth1\n";

        ConfigParseResult<ConnectionConfig> template = ConnectionParser.ParseTemplate(text, "conf.template");

        Assert.Empty(template.Errors);
        Assert.Equal(2, template.Value!.Paths.Count);
        Assert.Equal("unnamed_path", template.Value.Paths[1].InterfaceName);
        Assert.NotEmpty(ConnectionParser.Parse(text, "conf.template").Errors);
    }
}
