using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MptFast.Generators.Tests.Support;
using MptFast.Tests.Common;

namespace MptFast.Generators.Tests;

public class EmittedCodeTests
{
    private const int Tcp = 6;
    private const int Udp = 17;
    private const int Icmp = 1;
    private const byte NoPath = 0xFF;

    [Fact]
    public void No_config_files_emit_count_zero_that_compiles()
    {
        var (result, output, _) = GeneratorHarness.Run([]);
        Assert.Contains("public static int Count => 0;", GeneratorHarness.GeneratedSource(result), StringComparison.Ordinal);
        using Probe probe = Probe.Load(output);
        Assert.Equal(0, probe.Count);
        Assert.Equal(-1, probe.IndexOf("tunnel.conf"));
        Assert.Throws<ArgumentOutOfRangeException>(() => probe.RawTable(0));
    }

    [Fact]
    public void Readme_port_mapping_example_looks_up_source_before_destination()
    {
        string file = Path.Combine(SharedFiles.ExampleConfigDir, "port-mapping", "side-a", "conf", "connections", "tunnel.conf");
        var (_, output, _) = GeneratorHarness.Run([new InMemoryAdditionalText(file, File.ReadAllText(file))]);
        using Probe probe = Probe.Load(output);

        Assert.Equal(1, probe.Count);
        Assert.Equal("tunnel.conf", probe.FileName(0));
        Assert.Equal(0, probe.Lookup(0, Tcp, 40000, 443));     // tcp_dst 443 → path 0
        Assert.Equal(1, probe.Lookup(0, Tcp, 40000, 22));      // tcp_dst 22 → path 1
        Assert.Equal(1, probe.Lookup(0, Tcp, 5001, 443));      // tcp_src 5001 wins over tcp_dst
        Assert.Equal(0, probe.Lookup(0, Udp, 40000, 53));      // udp_dst 53 → path 0
        Assert.Equal(1, probe.Lookup(0, Udp, 40000, 123));
        Assert.Equal(NoPath, probe.Lookup(0, Udp, 40000, 443)); // 443 is a TCP mapping only
        Assert.Equal(NoPath, probe.Lookup(0, Tcp, 40000, 53));  // 53 is a UDP mapping only
        Assert.Equal(NoPath, probe.Lookup(0, Icmp, 5001, 53));  // other protocols never map
        Assert.Equal(NoPath, probe.Lookup(0, 0, 5001, 53));
        Assert.Equal(NoPath, probe.Lookup(0, 255, 5001, 53));
        Assert.Equal(NoPath, probe.Lookup(0, Tcp, 0, 0));        // no ports (FlowKey carries 0)
    }

    [Fact]
    public void Only_marked_connection_files_produce_tables()
    {
        string body = ConfigText.Connection(1, "[path_0]", "tcp_dst = 80");
        var files = new[]
        {
            ConfigText.File("a.conf", body),
            ConfigText.File("unmarked.conf", body),
            ConfigText.File("conf.template", body),
            ConfigText.File("b.conf.disabled", body),
            new InMemoryAdditionalText("/cfg/conf/interface.conf", "[general]\ntunnel_num = 1\n"),
            new InMemoryAdditionalText("/cfg/conf/connections/interface.conf", body),
            new InMemoryAdditionalText("/cfg/conf/other/c.conf", body),
            new InMemoryAdditionalText("C:\\cfg\\conf\\connections\\d.conf", body),
        };
        var (_, output, _) = GeneratorHarness.Run(files, unmarked: [ConfigText.Dir + "unmarked.conf"]);
        using Probe probe = Probe.Load(output);
        Assert.Equal(2, probe.Count);
        Assert.Equal(["a.conf", "d.conf"], Enumerable.Range(0, probe.Count).Select(probe.FileName));
    }

    [Fact]
    public void Path_count_limits_the_sections_read()
    {
        var (_, output, _) = GeneratorHarness.Run(
            [ConfigText.File("t.conf", ConfigText.Connection(2, "[path_1]", "tcp_dst = 80", "[path_2]", "tcp_dst = 81", "[path_0]", "tcp_dst = 82"))]);
        using Probe probe = Probe.Load(output);
        Assert.Equal(1, probe.Lookup(0, Tcp, 1, 80));
        Assert.Equal(NoPath, probe.Lookup(0, Tcp, 1, 81));
        Assert.Equal(0, probe.Lookup(0, Tcp, 1, 82));
    }

    [Fact]
    public void Metadata_names_files_in_order_with_their_hash()
    {
        string a = ConfigText.Connection(1, "[path_0]", "udp_src = 5000-5010");
        string b = ConfigText.Connection(1);
        var (_, output, _) = GeneratorHarness.Run([ConfigText.File("zeta.conf", a), ConfigText.File("alpha.conf", b)]);
        using Probe probe = Probe.Load(output);
        Assert.Equal(2, probe.Count);
        Assert.Equal("alpha.conf", probe.FileName(0));
        Assert.Equal(1, probe.IndexOf("zeta.conf"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(a))), probe.Hash(1));
        Assert.Equal(0, probe.Lookup(1, Udp, 5010, 1));
        Assert.Equal(NoPath, probe.Lookup(0, Udp, 5010, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => probe.FileName(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => probe.RawTable(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => probe.Fingerprint(-1));
    }

    [Fact]
    public void Per_connection_classes_have_unique_names_and_agree_with_the_indexed_data()
    {
        string usage = Probe.Source + """

            public static class PerConnection
            {
                public static int A() => MptFast.Generated.BakedPortMaps.A_bMap.Index;
                public static int B() => MptFast.Generated.BakedPortMaps.A_b_2Map.Index;
                public static int C() => MptFast.Generated.BakedPortMaps._10_0_0_1Map.Index;
                public static string F() => MptFast.Generated.BakedPortMaps.A_b_2Map.PortMapFingerprint;
                public static string N() => MptFast.Generated.BakedPortMaps.LookupMap.FileName;
            }
            """;
        var files = new[]
        {
            ConfigText.File("a-b.conf", ConfigText.Connection(1, "[path_0]", "tcp_dst = 1")),
            ConfigText.File("a_b.conf", ConfigText.Connection(2, "[path_1]", "tcp_dst = 1")),
            ConfigText.File("10.0.0.1.conf", ConfigText.Connection(3, "[path_2]", "tcp_dst = 1")),
            ConfigText.File("lookup.conf", ConfigText.Connection(1)),
        };
        var (_, output, _) = GeneratorHarness.Run(files, usage);
        using Probe probe = Probe.Load(output);
        Type type = probe.Assembly.GetType("PerConnection", throwOnError: true)!;
        object? Call(string name) => type.GetMethod(name)!.Invoke(null, null);
        int[] indices = [(int)Call("A")!, (int)Call("B")!, (int)Call("C")!];
        Assert.Equal([0, 1, 2], indices.Select(i => probe.Lookup(i, Tcp, 9, 1)));
        Assert.Equal(probe.IndexOf("a-b.conf"), indices[0]);
        Assert.Equal(probe.Fingerprint(indices[1]), Call("F"));
        Assert.Equal("lookup.conf", Call("N"));
    }

    [Fact]
    public void Generated_code_is_data_only_the_lookup_is_the_runtimes()
    {
        // One port-map path: the generated class holds tables and metadata; PortMapTable.Lookup (branch-free, see
        // Engine.Tests PortMapTableTests.Lookup_has_no_data_dependent_branches) is the only lookup.
        var (result, _, _) = GeneratorHarness.Run([ConfigText.File("t.conf", ConfigText.Connection(1, "[path_0]", "tcp_dst = 80"))]);
        string source = GeneratorHarness.GeneratedSource(result);
        Assert.DoesNotContain("Lookup", source, StringComparison.Ordinal);
        string code = string.Join("\n", source.Split('\n').Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)));
        Assert.DoesNotMatch(@"(^|\W)(if|for|while|goto)(\W|$)", code);
        Assert.Contains("public static global::System.ReadOnlyMemory<byte> Table(int connection)", source, StringComparison.Ordinal);
    }

    [Fact]
    public void Tables_are_private_arrays_with_deduplicated_pages_and_shared_between_equal_maps()
    {
        var files = Enumerable.Range(0, 3).Select(i => ConfigText.File($"c{i}.conf", ConfigText.Connection(1, "[path_0]", "tcp_dst = 80", "udp_dst = 80", "tcp_src = 1000-3000")))
            .Append(ConfigText.File("d.conf", ConfigText.Connection(1, "[path_0]", "tcp_dst = 81")))
            .ToArray();
        var (result, output, _) = GeneratorHarness.Run(files);
        string source = GeneratorHarness.GeneratedSource(result);

        // c0..c2 have one table: page 0, the page of port 80 (tcp_dst and udp_dst share it), 1000-3000's partial first
        // and last pages and its full pages 4..10 (all one page) = 5 pages; d has its own.
        Assert.Contains("private static readonly byte[] s_table0 = new byte[]", source, StringComparison.Ordinal);
        Assert.Contains("/// <summary>7424 bytes: the first level and 5 distinct pages.</summary>", source, StringComparison.Ordinal);
        Assert.Contains("private static readonly byte[] s_table1 = new byte[]", source, StringComparison.Ordinal);
        Assert.DoesNotContain("s_table2", source, StringComparison.Ordinal);
        using Probe probe = Probe.Load(output);
        Assert.True(probe.RawTable(0).Equals(probe.RawTable(2)), "equal maps share one array");
        Assert.Equal(7424, probe.Baked(2).ByteCount);
        Assert.Equal((0, 0, 0, 0), (probe.Lookup(2, Tcp, 1, 80), probe.Lookup(2, Udp, 1, 80), probe.Lookup(2, Tcp, 1000, 1), probe.Lookup(2, Tcp, 3000, 1)));
        Assert.Equal(0, probe.Lookup(probe.IndexOf("d.conf"), Tcp, 1, 81));
        Assert.Equal(NoPath, probe.Lookup(probe.IndexOf("d.conf"), Tcp, 1, 80));
    }
}
