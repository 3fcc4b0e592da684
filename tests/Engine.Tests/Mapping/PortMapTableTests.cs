using System.Collections.Immutable;
using System.Text.RegularExpressions;
using MptFast.Engine.Classify;
using MptFast.Engine.Config;
using MptFast.Engine.Mapping;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Mapping;

public class PortMapTableTests
{
    private static EquatableArray<PortRange> Ports(params int[] ports)
    {
        var ranges = new PortRange[ports.Length];
        for (int i = 0; i < ports.Length; i++)
        {
            ranges[i] = new PortRange(ports[i], ports[i]);
        }

        return ranges.ToEquatableArray();
    }

    private static PortMapTable ReadmeTable() => PortMapTable.FromPaths(
        [
            new PathConfig { TcpDst = Ports(80, 443, 8080), UdpDst = Ports(53) },
            new PathConfig { TcpSrc = Ports(80), UdpSrc = Ports(53) },
            new PathConfig(),
        ],
        null);

    [Fact]
    public void Tcp_source_table_is_checked_before_the_destination_table()
    {
        PortMapTable table = ReadmeTable();
        Assert.Equal(1, table.Lookup(new FlowKey(4, 6, 80, 443, true)));
        Assert.Equal(0, table.Lookup(new FlowKey(4, 6, 50000, 443, true)));
        Assert.Equal(PortMapRules.NoPath, table.Lookup(new FlowKey(4, 6, 50000, 22, true)));
    }

    [Fact]
    public void Udp_uses_its_own_tables_in_the_same_order()
    {
        PortMapTable table = ReadmeTable();
        Assert.Equal(1, table.Lookup(new FlowKey(6, 17, 53, 53, true)));
        Assert.Equal(0, table.Lookup(new FlowKey(6, 17, 1024, 53, true)));
        Assert.Equal(PortMapRules.NoPath, table.Lookup(new FlowKey(6, 17, 1024, 80, true)));
        Assert.Equal(PortMapRules.NoPath, table.Lookup(new FlowKey(6, 6, 1024, 53, true)));
    }

    [Fact]
    public void Other_protocols_are_never_mapped()
    {
        PortMapTable table = ReadmeTable();
        for (int protocol = 0; protocol < 256; protocol++)
        {
            if (protocol is FlowKey.Tcp or FlowKey.Udp)
            {
                continue;
            }

            // Ports that TCP and UDP map, in both positions: only the protocol keeps them unmapped.
            Assert.True(table.Lookup((byte)protocol, 80, 443) == PortMapRules.NoPath, $"protocol {protocol}");
            Assert.True(table.Lookup((byte)protocol, 53, 53) == PortMapRules.NoPath, $"protocol {protocol}");
        }
    }

    [Fact]
    public void Packets_without_ports_are_never_mapped()
    {
        Assert.Equal(PortMapRules.NoPath, ReadmeTable().Lookup(new FlowKey(4, 6, 80, 443, false)));
    }

    [Fact]
    public void Lookup_agrees_with_a_plain_branching_lookup_for_random_flows()
    {
        var random = new Random(7);
        var rules = new List<PortMapRule>();
        for (int path = 0; path < 4; path++)
        {
            for (int key = 0; key < 4; key++)
            {
                int first = random.Next(1, 65000);
                rules.Add(new PortMapRule(path, (PortMapKey)key, ImmutableArray.Create(new PortRange(first, first + random.Next(0, 500)))));
            }
        }

        PortMapTable table = PortMapTable.FromRules(rules, conflicts: null);
        byte[] raw = PortMapRules.BuildTable(rules, null);
        for (int i = 0; i < 20_000; i++)
        {
            byte protocol = (byte)(random.Next(3) switch { 0 => 6, 1 => 17, _ => random.Next(256) });
            ushort src = (ushort)random.Next(65536);
            ushort dst = (ushort)random.Next(65536);
            byte expected = PortMapRules.NoPath;
            if (protocol is 6 or 17)
            {
                int srcKey = protocol == 6 ? 0 : 2;
                expected = raw[(srcKey * 65536) + src];
                if (expected == PortMapRules.NoPath)
                {
                    expected = raw[((srcKey + 1) * 65536) + dst];
                }
            }

            Assert.True(expected == table.Lookup(protocol, src, dst), $"case {i}: proto {protocol} {src}->{dst}");
        }
    }

    [Fact]
    public void Every_path_index_comes_back_from_either_key()
    {
        // Path p maps tcp_src 1000 + p and tcp_dst 2000 + p: each of the 20 paths must survive the branch-free select.
        var rules = new List<PortMapRule>();
        for (int path = 0; path < PortMapRules.MaxPaths; path++)
        {
            rules.Add(new PortMapRule(path, PortMapKey.TcpSrc, ImmutableArray.Create(new PortRange(1000 + path, 1000 + path))));
            rules.Add(new PortMapRule(path, PortMapKey.TcpDst, ImmutableArray.Create(new PortRange(2000 + path, 2000 + path))));
        }

        PortMapTable table = PortMapTable.FromRules(rules, null);
        for (int path = 0; path < PortMapRules.MaxPaths; path++)
        {
            Assert.Equal(path, table.Lookup(FlowKey.Tcp, (ushort)(1000 + path), 3000));
            Assert.Equal(path, table.Lookup(FlowKey.Tcp, 3000, (ushort)(2000 + path)));
            Assert.Equal(path, table.Lookup(FlowKey.Tcp, (ushort)(1000 + path), (ushort)(2000 + ((path + 1) % PortMapRules.MaxPaths))));
        }
    }

    [Fact]
    public void Empty_table_is_flagged_empty_and_maps_nothing()
    {
        PortMapTable table = PortMapTable.FromPaths([new PathConfig(), new PathConfig()], null);
        Assert.True(table.IsEmpty);
        Assert.True(PortMapTable.Empty.IsEmpty);
        Assert.False(ReadmeTable().IsEmpty);
        Assert.Equal(PortMapRules.NoPath, table.Lookup(new FlowKey(4, 6, 80, 80, true)));
    }

    [Fact]
    public void Connections_without_port_maps_share_the_empty_table()
    {
        // Issue 15: a server with many clients builds no table per connection; one with a map still gets its own.
        Assert.Same(PortMapTable.Empty, PortMapTable.ForPaths([new PathConfig(), new PathConfig()], baked: null));
        PortMapTable mapped = PortMapTable.ForPaths([new PathConfig { TcpDst = Ports(80) }], baked: null);
        Assert.NotSame(PortMapTable.Empty, mapped);
        Assert.Equal(0, mapped.Lookup(FlowKey.Tcp, 1234, 80));
    }

    [Fact]
    public void Content_equality_compares_the_mapping()
    {
        PortMapTable a = ReadmeTable();
        PortMapTable b = ReadmeTable();
        Assert.NotSame(a, b);
        Assert.True(a.ContentEquals(b));
        Assert.False(a.ContentEquals(PortMapTable.Empty));
        Assert.False(a.ContentEquals(PortMapTable.FromPaths([new PathConfig { TcpDst = Ports(80, 443, 8080) }, new PathConfig { TcpSrc = Ports(81), UdpSrc = Ports(53) }], null)));
    }

    [Fact]
    public void Runtime_table_expands_to_the_shared_builder_output()
    {
        var rules = new[]
        {
            new PortMapRule(2, PortMapKey.UdpDst, ImmutableArray.Create(new PortRange(1000, 2000))),
            new PortMapRule(0, PortMapKey.TcpSrc, ImmutableArray.Create(new PortRange(65535, 65535), new PortRange(1, 1))),
        };
        var flat = new byte[PortMapRules.KeyCount * PortMapRules.PortsPerKey];
        PortMapTable.FromRules(rules, null).CopyTo(flat);
        Assert.True(flat.AsSpan().SequenceEqual(PortMapRules.BuildTable(rules, null)));
    }

    [Fact]
    public void Conflicting_ports_are_reported()
    {
        var conflicts = new List<PortMapConflict>();
        PortMapTable table = PortMapTable.FromPaths([new PathConfig { TcpDst = Ports(80) }, new PathConfig { TcpDst = Ports(80) }], conflicts);
        Assert.Single(conflicts);
        Assert.Equal(0, table.Lookup(6, 1, 80));
    }

    [Fact]
    public void Lookup_has_no_data_dependent_branches()
    {
        // A branch on "source port mapped?" mispredicts on a mix of flows (bench/README: 5 ns with it, < 2 ns without).
        string source = File.ReadAllText(Path.Combine(SharedFiles.RepoRoot, "src", "Engine", "Mapping", "PortMapTable.cs"));
        Match lookup = Regex.Match(source, @"private static int Lookup\(ref byte table.*?\n(\s*)\{\n(.*?)\n\1\}", RegexOptions.Singleline);
        Assert.True(lookup.Success, "the lookup body was not found");
        string code = string.Join("\n", lookup.Groups[2].Value.Split('\n').Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)));
        Assert.Contains("fromSource & (fromDestination | ~unmapped)", code, StringComparison.Ordinal);
        foreach (string branch in new[] { "if", "switch", "?", "&&", "||", "for", "foreach", "while", "goto", "throw", "Math" })
        {
            Assert.False(Regex.IsMatch(code, @"(^|\W)" + Regex.Escape(branch) + @"(\W|$)"), $"'{branch}' in Lookup:\n{code}");
        }
    }

    [Fact]
    public void Lookup_does_not_allocate()
    {
        PortMapTable table = ReadmeTable();
        var key = new FlowKey(4, 6, 1234, 443, true);
        int sum = table.Lookup(key);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            sum += table.Lookup(key);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, sum);
    }
}
