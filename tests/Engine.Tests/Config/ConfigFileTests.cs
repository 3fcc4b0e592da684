using System.Text;
using MptFast.Engine.Config;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Config;

/// <summary>The shared example configs and the capture configs of the test vectors.</summary>
public class ConfigFileTests
{
    public static TheoryData<string> ExampleConfDirs()
    {
        var data = new TheoryData<string>();
        foreach (string dir in Directory.EnumerateDirectories(SharedFiles.ExampleConfigDir, "conf", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(SharedFiles.ExampleConfigDir, dir));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ExampleConfDirs))]
    public void Example_config_loads_without_errors(string relativeConfDir)
    {
        ConfigLoadResult result = ConfigLoader.Load(Path.Combine(SharedFiles.ExampleConfigDir, relativeConfDir));

        Assert.Empty(result.Errors);
        Assert.NotNull(result.Config);
        Assert.NotNull(result.Config.Template);
        Assert.NotEmpty(result.Config.Connections);
    }

    [Fact]
    public void There_are_six_example_conf_dirs()
    {
        Assert.Equal(6, ExampleConfDirs().Count);
    }

    [Theory]
    [InlineData("ipv4-a")]
    [InlineData("ipv4-b")]
    [InlineData("ipv6-a")]
    [InlineData("ipv6-b")]
    public void Testvector_config_loads_without_errors(string name)
    {
        // The captures ran with conf.template = a copy of tunnel.conf (testvectors/README.md) and accept_remote = 1,
        // but the template is not stored: recreate it as during the capture.
        string source = Path.Combine(SharedFiles.TestVectorDir, "configs", name, "conf");
        using var temp = new TempConfDir();
        File.Copy(Path.Combine(source, "interface.conf"), Path.Combine(temp.Path, "interface.conf"));
        File.Copy(Path.Combine(source, "connections", "tunnel.conf"), Path.Combine(temp.ConnectionsPath, "tunnel.conf"));
        File.Copy(Path.Combine(source, "connections", "tunnel.conf"), Path.Combine(temp.ConnectionsPath, "conf.template"));

        ConfigLoadResult result = ConfigLoader.Load(temp.Path);

        Assert.Empty(result.Errors);
        MptConfig config = Assert.IsType<MptConfig>(result.Config);
        ConnectionConfig tunnel = Assert.Single(config.Connections);
        Assert.Equal("tunnel.conf", tunnel.FileName);
        Assert.Equal(2, tunnel.Paths.Count);
        Assert.True(tunnel.Paths[0].CmdDefault);
        Assert.Equal("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", tunnel.AuthKey);
    }

    [Fact]
    public void Original_format_reproduces_the_captured_create_body_byte_for_byte()
    {
        string conf = Path.Combine(SharedFiles.TestVectorDir, "configs", "ipv4-a", "conf");
        InterfaceConfig iface = InterfaceParser.Parse(File.ReadAllText(Path.Combine(conf, "interface.conf")), "interface.conf").GetValueOrThrow();
        ConnectionConfig parsed = ConnectionParser.Parse(File.ReadAllText(Path.Combine(conf, "connections", "tunnel.conf")), "tunnel.conf").GetValueOrThrow();

        // MPT-SPEC §5.9: at connection start the original sets local_cmd_port to the daemon's command port (the
        // file has none, so it parsed as 65001) and an IPv4 connection's ip_local to [tun_0] ipv4_addr.
        Assert.Equal(65001, parsed.LocalCmdPort);
        ConnectionConfig running = parsed with { LocalCmdPort = iface.CommandPort, IpLocal = iface.Ipv4Address!.Address };

        byte[] vector = SharedFiles.LoadVector("ctrl-create-r3");
        string expected = Encoding.ASCII.GetString(vector, 76, vector.Length - 76);

        Assert.Equal(expected, ConfigWriter.WriteConnection(running, ConnectionFormat.Original));
    }

    [Fact]
    public void Captured_create_body_parses_back_to_the_running_connection()
    {
        byte[] vector = SharedFiles.LoadVector("ctrl-create-r3");
        string body = Encoding.ASCII.GetString(vector, 76, vector.Length - 76);

        ConfigParseResult<ConnectionConfig> result = ConnectionParser.Parse(body, "peer_198_19_0_1.conf");

        ConnectionConfig c = Assert.IsType<ConnectionConfig>(result.Value);
        Assert.Equal("mpt_a", c.Name);
        Assert.Equal(60456, c.LocalCmdPort);
        Assert.Equal(ConnectionConfig.DefaultAuthKey, c.AuthKey); // B53: the body never carries the key
        Assert.False(c.Paths[0].CmdDefault);
    }
}
