using System.Collections.Immutable;
using MptFast.Engine.Classify;
using MptFast.Engine.Config;
using MptFast.Engine.Mapping;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Mapping;

/// <summary>
/// Baked tables (what the generator emits: <see cref="PortMapLayout.Build"/> of <see cref="PortMapRules.BuildTable"/>,
/// wrapped by <see cref="PortMapTable.FromBaked"/>), which table a connection uses, and what a table costs.
/// Generators.Tests checks the same against the real generator's output.
/// </summary>
public class PortMapBakedTableTests
{
    private static readonly PathConfig[] s_paths =
    [
        new PathConfig { TcpDst = Ports(80, 443, 8080), UdpDst = Ports(53) },
        new PathConfig { TcpDst = Ports(22), UdpDst = Ports(123), TcpSrc = Ports(5001), UdpSrc = Ports(5001) },
    ];

    private static EquatableArray<PortRange> Ports(params int[] ports) => ports.Select(p => new PortRange(p, p)).ToEquatableArray();

    private static List<PortMapRule> RulesOf(IReadOnlyList<PathConfig> paths)
    {
        var rules = new List<PortMapRule>();
        for (int i = 0; i < paths.Count; i++)
        {
            foreach (PortMapKey key in Enum.GetValues<PortMapKey>())
            {
                if (paths[i].PortMap(key).Count > 0)
                {
                    rules.Add(new PortMapRule(i, key, paths[i].PortMap(key).AsImmutableArray()));
                }
            }
        }

        return rules;
    }

    /// <summary>As the generator bakes a connection.</summary>
    private static PortMapTable Bake(IReadOnlyList<PathConfig> paths)
    {
        List<PortMapRule> rules = RulesOf(paths);
        return PortMapTable.FromBaked(PortMapLayout.Build(PortMapRules.BuildTable(rules, null)), PortMapRules.Fingerprint(rules));
    }

    [Fact]
    public void A_connection_whose_rules_match_the_baked_ones_uses_the_baked_table()
    {
        PortMapTable baked = Bake(s_paths);
        PortMapTable used = PortMapTable.ForPaths(s_paths, baked);
        Assert.Same(baked, used);
        Assert.Equal(PortMapOrigin.Baked, used.Origin);
        Assert.Equal(1, used.Lookup(new FlowKey(4, FlowKey.Tcp, 5001, 443, true)));
    }

    [Fact]
    public void A_connection_whose_rules_differ_builds_its_table_at_load()
    {
        PortMapTable baked = Bake(s_paths);
        PathConfig[] edited = [s_paths[0] with { TcpDst = Ports(80, 444, 8080) }, s_paths[1]];
        PortMapTable used = PortMapTable.ForPaths(edited, baked);
        Assert.Equal(PortMapOrigin.BuiltAtLoad, used.Origin);
        Assert.Equal(PortMapRules.NoPath, used.Lookup(new FlowKey(4, FlowKey.Tcp, 40000, 443, true)));
        Assert.Equal(0, used.Lookup(new FlowKey(4, FlowKey.Tcp, 40000, 444, true)));
        Assert.Equal(PortMapOrigin.BuiltAtLoad, PortMapTable.ForPaths(s_paths, baked: null).Origin);
    }

    [Fact]
    public void Baked_and_built_tables_agree_on_all_4_x_65536_keys()
    {
        PortMapTable baked = Bake(s_paths);
        PortMapTable built = PortMapTable.FromPaths(s_paths, null);
        byte[] flat = PortMapRules.BuildTable(RulesOf(s_paths), null);
        foreach (byte protocol in new[] { FlowKey.Tcp, FlowKey.Udp })
        {
            int sourceKey = protocol == FlowKey.Tcp ? (int)PortMapKey.TcpSrc : (int)PortMapKey.UdpSrc;
            for (int port = 0; port < 65536; port++)
            {
                // Port 0 is never mapped, so it isolates one key: (port, 0) reads the source key, (0, port) the destination key.
                int fromSource = baked.Lookup(protocol, (ushort)port, 0);
                int fromDestination = baked.Lookup(protocol, 0, (ushort)port);
                Assert.True(fromSource == built.Lookup(protocol, (ushort)port, 0) && fromSource == flat[(sourceKey * 65536) + port], $"{protocol} src {port}");
                Assert.True(fromDestination == built.Lookup(protocol, 0, (ushort)port) && fromDestination == flat[((sourceKey + 1) * 65536) + port], $"{protocol} dst {port}");
            }
        }

        Assert.True(baked.ContentEquals(built));
    }

    [Fact]
    public void Fingerprint_follows_the_rules_not_their_ranges_spelling_only()
    {
        string a = PortMapTable.FromPaths(s_paths, null).Fingerprint;
        Assert.Equal(a, PortMapTable.FromPaths(s_paths, null).Fingerprint);
        Assert.Equal(64, a.Length);
        Assert.NotEqual(a, PortMapTable.FromPaths([s_paths[1], s_paths[0]], null).Fingerprint); // paths swapped
        Assert.NotEqual(a, PortMapTable.FromPaths([s_paths[0] with { TcpSrc = Ports(80, 443, 8080), TcpDst = EquatableArray<PortRange>.Empty }, s_paths[1]], null).Fingerprint); // key changed
        Assert.NotEqual(a, PortMapTable.FromPaths([s_paths[0], s_paths[1] with { UdpSrc = Ports(5002) }], null).Fingerprint); // port changed
        Assert.Equal(PortMapTable.Empty.Fingerprint, PortMapTable.FromPaths([new PathConfig(), new PathConfig()], null).Fingerprint);
    }

    [Fact]
    public void Example_configs_take_at_most_16_KiB_per_connection()
    {
        // "Typical" = the connection files of shared/spec/example-configs, read by the runtime's loader.
        var sizes = new Dictionary<string, int>();
        foreach (string conf in Directory.GetDirectories(SharedFiles.ExampleConfigDir, "conf", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            MptConfig config = ConfigLoader.LoadOrThrow(conf);
            foreach (ConnectionConfig c in config.Connections)
            {
                string name = Path.GetRelativePath(SharedFiles.ExampleConfigDir, conf) + "/" + c.FileName;
                sizes[name] = PortMapTable.FromPaths(c.Paths, null).ByteCount;
            }
        }

        Assert.True(sizes.Count >= 8, "example connection files not found");
        Assert.All(sizes, s => Assert.True(s.Value <= 16 * 1024, $"{s.Key}: {s.Value} bytes"));

        // The port-mapping example: 6 KiB first level + page 0 + 5 distinct pages (tcp_src/udp_src 5001 share one).
        Assert.Equal(PortMapLayout.IndexBytes + (6 * PortMapLayout.PageSize), sizes["port-mapping/side-a/conf/tunnel.conf"]);
        Assert.Equal(7680, sizes["port-mapping/side-a/conf/tunnel.conf"]);
        Assert.Equal(PortMapLayout.IndexBytes + PortMapLayout.PageSize, sizes["two-path-ipv4/side-a/conf/tunnel.conf"]); // no maps: page 0 only
    }

    [Fact]
    public void Ranges_cost_pages_only_where_they_start_or_end_mid_page()
    {
        // tcp_dst 1000-20000: whole pages 4..77 are all path 0 and shared; the partial first and last pages are two more.
        PortMapTable table = PortMapTable.FromRules([new PortMapRule(0, PortMapKey.TcpDst, ImmutableArray.Create(new PortRange(1000, 20000)))], null);
        Assert.Equal(PortMapLayout.IndexBytes + (4 * PortMapLayout.PageSize), table.ByteCount);
        Assert.Equal(0, table.Lookup(FlowKey.Tcp, 1, 20000));
        Assert.Equal(PortMapRules.NoPath, table.Lookup(FlowKey.Tcp, 1, 20001));
    }

    [Fact]
    public void A_baked_table_that_is_not_a_whole_valid_layout_is_rejected()
    {
        byte[] good = PortMapLayout.Build(PortMapRules.BuildTable(RulesOf(s_paths), null));
        Assert.Equal(PortMapOrigin.Baked, PortMapTable.FromBaked(good, "x").Origin);

        Assert.Throws<ArgumentException>(() => PortMapTable.FromBaked(new byte[100], "x"));
        Assert.Throws<ArgumentException>(() => PortMapTable.FromBaked(good.AsMemory(0, good.Length - 256), "x")); // not the whole array
        Assert.Throws<ArgumentException>(() => PortMapTable.FromBaked(good.AsMemory(1).ToArray(), "x")); // pages not whole
        Assert.Throws<ArgumentException>(() => PortMapTable.FromBaked(Corrupt(good, PortMapLayout.IndexBytes + 7, 0), "x")); // page 0 maps a port
        Assert.Throws<ArgumentException>(() => PortMapTable.FromBaked(Corrupt(good, good.Length - 1, PortMapRules.MaxPaths), "x")); // no such path

        // An entry pointing past the pages, one that is not page aligned, an other-protocol entry that is not page 0
        // (tcp_dst's page of ports 0..255 copied into row 4), and a page that maps port 0.
        Assert.Throws<ArgumentException>(() => PortMapTable.FromBaked(Corrupt(good, (4 * 3) + 1, 0x7F), "x"));
        Assert.Throws<ArgumentException>(() => PortMapTable.FromBaked(Corrupt(good, 4 * 5, (byte)(good[4 * 5] + 1)), "x"));
        byte[] otherRow = (byte[])good.Clone();
        Array.Copy(good, 4 * 256, otherRow, 4 * 4 * 256, 4);
        Assert.NotEqual(PortMapLayout.IndexBytes, PortMapLayout.PageOffset(otherRow, 4 * 256));
        Assert.Throws<ArgumentException>(() => PortMapTable.FromBaked(otherRow, "x"));
        Assert.Throws<ArgumentException>(() => PortMapTable.FromBaked(Corrupt(good, PortMapLayout.PageOffset(good, 256), 1), "x"));
    }

    [Fact]
    public void Port_0_cannot_be_mapped_so_keys_without_ports_never_are()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            PortMapRules.BuildTable([new PortMapRule(0, PortMapKey.TcpDst, ImmutableArray.Create(new PortRange(0, 10)))], null));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            PortMapRules.BuildTable([new PortMapRule(PortMapRules.MaxPaths, PortMapKey.TcpDst, ImmutableArray.Create(new PortRange(1, 10)))], null));
        var truncated = new FlowKey(4, FlowKey.Tcp, 5001, 443, hasPorts: false);
        Assert.Equal((0, 0), (truncated.SourcePort, truncated.DestinationPort));
        Assert.Equal(PortMapRules.NoPath, Bake(s_paths).Lookup(truncated));
    }

    private static byte[] Corrupt(byte[] table, int offset, byte value)
    {
        byte[] copy = (byte[])table.Clone();
        copy[offset] = value;
        return copy;
    }
}
