using MptFast.Engine.Config;

namespace MptFast.Engine.Tests.Config;

/// <summary>The <c>conf/</c> folder as a whole (MPT-SPEC §5.1, B77), with temporary directories.</summary>
public class ConfigLoaderTests
{
    private static readonly string Template = "[connection]\nip_ver = 4\npath_count = 1\n[path_0]\ninterface_name = veth1\nprivate_ipaddr = 198.18.1.1\npublic_ipaddr = 198.18.1.1\n";

    [Fact]
    public void Missing_interface_conf_is_an_error_with_line_0()
    {
        using var dir = new TempConfDir();
        dir.WriteConnection("tunnel.conf", ConfigText.Connection());

        ConfigLoadResult result = ConfigLoader.Load(dir.Path);

        Assert.Null(result.Config);
        Assert.Equal([Path.Combine(dir.Path, "interface.conf") + ":0: file: not found"], result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Template_is_optional_without_accept_remote()
    {
        using var dir = new TempConfDir();
        dir.WriteInterface(ConfigText.Interface());
        dir.WriteConnection("tunnel.conf", ConfigText.Connection());

        MptConfig config = ConfigLoader.LoadOrThrow(dir.Path);

        Assert.Null(config.Template);
        Assert.Single(config.Connections);
    }

    [Fact]
    public void Template_is_mandatory_with_accept_remote()
    {
        using var dir = new TempConfDir();
        dir.WriteInterface(ConfigText.Interface("accept_remote = 1"));

        ConfigLoadResult result = ConfigLoader.Load(dir.Path);

        string interfacePath = Path.Combine(dir.Path, "interface.conf");
        string templatePath = Path.Combine(dir.ConnectionsPath, "conf.template");
        Assert.Equal(
            [$"{interfacePath}:4: accept_remote: accept_remote is set but {templatePath} is missing (it is the template for remote creates, B77)"],
            result.Errors.Select(e => e.ToString()));
        ConfigException ex = Assert.Throws<ConfigException>(() => ConfigLoader.LoadOrThrow(dir.Path));
        Assert.Single(ex.Errors);
    }

    [Fact]
    public void Template_is_loaded_when_present()
    {
        using var dir = new TempConfDir();
        dir.WriteInterface(ConfigText.Interface("accept_remote = 1"));
        dir.WriteConnection("conf.template", Template);

        MptConfig config = ConfigLoader.LoadOrThrow(dir.Path);

        Assert.Equal("conf.template", config.Template!.FileName);
        Assert.Empty(config.Connections);
    }

    [Fact]
    public void Only_dot_conf_files_are_connections_in_ordinal_order()
    {
        using var dir = new TempConfDir();
        dir.WriteInterface(ConfigText.Interface());
        dir.WriteConnection("b.conf", ConfigText.Connection().Replace("local_port = 23456", "local_port = 23457", StringComparison.Ordinal));
        dir.WriteConnection("B.conf", ConfigText.Connection().Replace("local_port = 23456", "local_port = 23458", StringComparison.Ordinal));
        dir.WriteConnection("a.conf", ConfigText.Connection());
        dir.WriteConnection("x.conf.disabled", "garbage");
        dir.WriteConnection("y.CONF", "garbage");
        dir.WriteConnection("notes.txt", "garbage");
        dir.WriteConnection("conf.template", Template);
        Directory.CreateDirectory(Path.Combine(dir.ConnectionsPath, "dir.conf"));

        MptConfig config = ConfigLoader.LoadOrThrow(dir.Path);

        Assert.Equal(["B.conf", "a.conf", "b.conf"], config.Connections.Select(c => c.FileName));
    }

    [Fact]
    public void Errors_of_every_file_are_collected()
    {
        using var dir = new TempConfDir();
        dir.WriteInterface(ConfigText.Interface(tunExtra: "mtu = 1"));
        dir.WriteConnection("a.conf", ConfigText.Connection(connectionExtra: "path_count = 30"));
        dir.WriteConnection("b.conf", ConfigText.Connection(path0Extra: "weight_out = -5"));

        ConfigLoadResult result = ConfigLoader.Load(dir.Path);

        Assert.Null(result.Config);
        Assert.Equal(
            [
                Path.Combine(dir.Path, "interface.conf") + ":8: mtu: value 1 is out of range 68-65535",
                Path.Combine(dir.ConnectionsPath, "a.conf") + ":9: path_count: value 30 is out of range 1-20",
                Path.Combine(dir.ConnectionsPath, "b.conf") + ":17: weight_out: value -5 is out of range 0-10000",
            ],
            result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Ip_local_differing_from_the_tunnel_address_is_a_warning()
    {
        using var dir = new TempConfDir();
        dir.WriteInterface(ConfigText.Interface().Replace("198.19.0.1/24", "198.19.0.9/24", StringComparison.Ordinal));
        dir.WriteConnection("tunnel.conf", ConfigText.Connection());

        ConfigLoadResult result = ConfigLoader.Load(dir.Path);

        Assert.Empty(result.Errors);
        Assert.Contains(
            Path.Combine(dir.ConnectionsPath, "tunnel.conf") + ":4: ip_local: ip_local 198.19.0.1 is replaced by the tunnel's ipv4_addr 198.19.0.9 from interface.conf (as the original does: one daemon, one IPv4 tunnel address)",
            result.Warnings.Select(w => w.ToString()));
    }

    [Fact]
    public void Two_connections_with_the_same_tunnel_pair_are_a_warning_at_the_later_ip_remote()
    {
        // b.conf's ip_local differs, but the daemon uses the tunnel's IPv4 address for both: the same pair.
        using var dir = new TempConfDir();
        dir.WriteInterface(ConfigText.Interface());
        dir.WriteConnection("a.conf", ConfigText.Connection());
        dir.WriteConnection("b.conf", ConfigText.Connection()
            .Replace("name = t\n", "name = second\n", StringComparison.Ordinal)
            .Replace("ip_local = 198.19.0.1", "ip_local = 198.19.0.7", StringComparison.Ordinal)
            .Replace("198.18.1.1", "198.18.1.7", StringComparison.Ordinal)
            .Replace("198.18.2.1", "198.18.2.7", StringComparison.Ordinal));

        ConfigLoadResult result = ConfigLoader.Load(dir.Path);

        Assert.Empty(result.Errors);
        Assert.Equal(2, result.Config!.Connections.Count);
        Assert.Contains(
            Path.Combine(dir.ConnectionsPath, "b.conf") + ":5: ip_remote: connection 'second' has the same tunnel pair 198.19.0.1 -> 198.19.0.2 " +
            "as 't' (a.conf): packets to 198.19.0.2 all leave through the first, and the peer cannot tell the two apart",
            result.Warnings.Select(w => w.ToString()));
    }

    [Fact]
    public void Connections_to_different_remote_tunnel_addresses_are_no_warning()
    {
        using var dir = new TempConfDir();
        dir.WriteInterface(ConfigText.Interface());
        dir.WriteConnection("a.conf", ConfigText.Connection());
        dir.WriteConnection("b.conf", ConfigText.Connection()
            .Replace("ip_remote = 198.19.0.2", "ip_remote = 198.19.0.3", StringComparison.Ordinal)
            .Replace("198.18.1.1", "198.18.1.7", StringComparison.Ordinal)
            .Replace("198.18.2.1", "198.18.2.7", StringComparison.Ordinal));

        ConfigLoadResult result = ConfigLoader.Load(dir.Path);

        Assert.Empty(result.Errors);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Two_paths_binding_one_address_and_port_are_an_error_at_the_later_private_ipaddr()
    {
        // B85: a.conf's path_0 and b.conf's path_0 bind 198.18.1.1:23456; b.conf's path_1 binds path_0's address too.
        using var dir = new TempConfDir();
        dir.WriteInterface(ConfigText.Interface());
        dir.WriteConnection("a.conf", ConfigText.Connection());
        dir.WriteConnection("b.conf", ConfigText.Connection()
            .Replace("ip_remote = 198.19.0.2", "ip_remote = 198.19.0.3", StringComparison.Ordinal)
            .Replace("198.18.2.1", "198.18.1.1", StringComparison.Ordinal));

        ConfigLoadResult result = ConfigLoader.Load(dir.Path);

        Assert.Null(result.Config);
        Assert.Equal(
            [
                Path.Combine(dir.ConnectionsPath, "b.conf") + ":14: private_ipaddr: path_0 binds 198.18.1.1 port 23456 as path_0 of 't' (a.conf) does: " +
                "two sockets on one address and port split the datagrams between them (B85); give one of them another private_ipaddr or local_port",
                Path.Combine(dir.ConnectionsPath, "b.conf") + ":21: private_ipaddr: path_1 binds 198.18.1.1 port 23456 as path_0 of 't' (a.conf) does: " +
                "two sockets on one address and port split the datagrams between them (B85); give one of them another private_ipaddr or local_port",
            ],
            result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Paths_on_one_address_with_different_ports_or_an_ephemeral_port_are_fine()
    {
        using var dir = new TempConfDir();
        dir.WriteInterface(ConfigText.Interface());
        dir.WriteConnection("a.conf", ConfigText.Connection());
        dir.WriteConnection("b.conf", ConfigText.Connection()
            .Replace("ip_remote = 198.19.0.2", "ip_remote = 198.19.0.3", StringComparison.Ordinal)
            .Replace("local_port = 23456", "local_port = 23457", StringComparison.Ordinal));
        dir.WriteConnection("c.conf", ConfigText.Connection()
            .Replace("ip_remote = 198.19.0.2", "ip_remote = 198.19.0.4", StringComparison.Ordinal)
            .Replace("local_port = 23456", "local_port = 0", StringComparison.Ordinal));

        ConfigLoadResult result = ConfigLoader.Load(dir.Path);

        Assert.Empty(result.Errors);
    }
}
