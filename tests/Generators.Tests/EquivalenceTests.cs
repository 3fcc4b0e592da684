using System.Security.Cryptography;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Mapping;
using MptFast.Generators.Tests.Support;
using MptFast.Tests.Common;
using Xunit.Abstractions;

namespace MptFast.Generators.Tests;

/// <summary>
/// The baked table — the generated array under the runtime's PortMapTable, as the daemon uses it — has the bytes of the
/// table the runtime builds at load from the same rules, expands to PortMapRules.BuildTable, looks up the same on all
/// 4 × 65 536 keys, and carries the fingerprint that makes the daemon pick it for the loaded file.
/// </summary>
public class EquivalenceTests(ITestOutputHelper log)
{
    private const int Tcp = 6;
    private const int Udp = 17;

    [Fact]
    public void Example_connection_files_bake_the_runtime_table()
    {
        string[] paths = Directory.EnumerateFiles(SharedFiles.ExampleConfigDir, "*.conf", SearchOption.AllDirectories)
            .Where(p => Path.GetFileName(Path.GetDirectoryName(p)) == "connections")
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.True(paths.Length >= 8, "example connection files not found");
        Assert.Contains(paths, p => p.Contains("port-mapping", StringComparison.Ordinal));

        var texts = paths.Select(File.ReadAllText).ToArray();
        var (result, output, _) = GeneratorHarness.Run(paths.Select((p, i) => new InMemoryAdditionalText(p, texts[i])));
        Assert.Empty(result.Diagnostics);
        using Probe probe = Probe.Load(output);
        Assert.Equal(paths.Length, probe.Count);

        int mapped = 0;
        for (int i = 0; i < paths.Length; i++)
        {
            List<PortMapRule> rules = RuntimeRules(texts[i]);
            mapped += PortMapRules.BuildTable(rules, null).Count(b => b != PortMapRules.NoPath);
            AssertEquivalent(probe, IndexByHash(probe, texts[i]), rules, null, paths[i]);
        }

        Assert.True(mapped >= 16, "the port-mapping example should map ports");
    }

    [Fact]
    public void The_daemon_picks_the_baked_table_for_example_files_as_its_loader_reads_them()
    {
        // As TunnelDaemon opens a connection: ConfigLoader (the runtime's parser), then PortMapTable.ForPaths with the
        // baked table of that file — it must be the baked one, so the fingerprints of generator and loader agree.
        string[] confDirs = Directory.GetDirectories(SharedFiles.ExampleConfigDir, "conf", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var files = confDirs.SelectMany(d => Directory.GetFiles(Path.Combine(d, "connections"), "*.conf")).ToArray();
        var (result, output, _) = GeneratorHarness.Run(files.Select(f => new InMemoryAdditionalText(f, File.ReadAllText(f))));
        Assert.Empty(result.Diagnostics);
        using Probe probe = Probe.Load(output);

        int checkedFiles = 0;
        foreach (string dir in confDirs)
        {
            foreach (ConnectionConfig c in ConfigLoader.LoadOrThrow(dir).Connections)
            {
                PortMapTable baked = probe.Baked(IndexByHash(probe, File.ReadAllText(Path.Combine(dir, "connections", c.FileName))));
                PortMapTable used = PortMapTable.ForPaths(c.Paths, baked);
                Assert.True(ReferenceEquals(baked, used) && used.Origin == PortMapOrigin.Baked, $"{dir}/{c.FileName}: built at load");
                Assert.True(used.ContentEquals(PortMapTable.FromPaths(c.Paths, null)), $"{dir}/{c.FileName}");
                checkedFiles++;
            }
        }

        Assert.Equal(files.Length, checkedFiles);
    }

    [Fact]
    public void Random_rule_sets_bake_the_runtime_table()
    {
        const int Cases = 200;
        const int PerCompilation = 40;
        for (int batch = 0; batch < Cases / PerCompilation; batch++)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            RandomPortMaps[] sets = Enumerable.Range(0, PerCompilation).Select(i => RandomPortMaps.Create(1000 + (batch * PerCompilation) + i)).ToArray();
            var (result, output, _) = GeneratorHarness.Run(sets.Select(s => ConfigText.File(s.FileName, s.Text)));
            Assert.All(result.Diagnostics, d => Assert.True(d.Id == "MPT0003", d.ToString())); // overlaps are expected, nothing else
            log.WriteLine($"gen {sw.ElapsedMilliseconds} ms");
            using Probe probe = Probe.Load(output);
            log.WriteLine($"load {sw.ElapsedMilliseconds} ms, pages {GeneratorHarness.GeneratedSource(result).Length / 1000} kB");
            foreach (RandomPortMaps set in sets)
            {
                var conflicts = new List<PortMapConflict>();
                string context = $"seed {set.Seed}";
                AssertEquivalent(probe, probe.IndexOf(set.FileName), set.Rules, conflicts, context);

                // Every clashing (key, path pair) is reported once, at this file.
                int reported = result.Diagnostics.Count(d => d.Location.GetLineSpan().Path.EndsWith("/" + set.FileName, StringComparison.Ordinal));
                int pairs = conflicts.Select(c => (c.Key, c.FirstPath, c.SecondPath)).Distinct().Count();
                Assert.True(reported == pairs, $"{context}: {reported} MPT0003 for {pairs} clashing key/path pairs");
            }

            log.WriteLine($"check {sw.ElapsedMilliseconds} ms");
        }
    }

    private static void AssertEquivalent(Probe probe, int connection, List<PortMapRule> rules, List<PortMapConflict>? conflicts, string context)
    {
        Assert.True(connection >= 0, context + ": connection not baked");
        byte[] expected = PortMapRules.BuildTable(rules, conflicts);
        byte[] copied = probe.Table(connection);
        if (!copied.AsSpan().SequenceEqual(expected))
        {
            int at = Enumerable.Range(0, expected.Length).First(i => copied[i] != expected[i]);
            Assert.Fail($"{context}: the baked table differs at key {at >> 16} port {at & 0xFFFF}: {copied[at]} != {expected[at]}");
        }

        // One layout: the generated array is byte for byte what the runtime builds at load, and the fingerprints agree.
        PortMapTable built = PortMapTable.FromRules(rules, null);
        Assert.True(probe.RawTable(connection).Span.SequenceEqual(PortMapLayout.Build(expected)), context + ": baked bytes differ from PortMapLayout.Build");
        Assert.Equal(built.Fingerprint, probe.Fingerprint(connection));
        Assert.Same(probe.Baked(connection), PortMapTable.ForPaths(PathsOf(rules), probe.Baked(connection)));

        // All 4 × 65 536 keys through the datapath's lookup, baked against built at load (port 0 is never mapped, so
        // (port, 0) reads only the source key and (0, port) only the destination key).
        PortMapTable baked = probe.Baked(connection);
        foreach (byte protocol in new byte[] { Tcp, Udp })
        {
            int srcKey = protocol == Tcp ? 0 : 2;
            for (int port = 0; port < 65536; port++)
            {
                int bySource = baked.Lookup(protocol, (ushort)port, 0);
                int byDestination = baked.Lookup(protocol, 0, (ushort)port);
                if (bySource != built.Lookup(protocol, (ushort)port, 0) || bySource != expected[(srcKey * 65536) + port] ||
                    byDestination != built.Lookup(protocol, 0, (ushort)port) || byDestination != expected[((srcKey + 1) * 65536) + port])
                {
                    Assert.Fail($"{context}: protocol {protocol} port {port}: baked {bySource}/{byDestination}, built {built.Lookup(protocol, (ushort)port, 0)}/{built.Lookup(protocol, 0, (ushort)port)}");
                }
            }
        }

        Func<int, int, int, int, int> lookup = probe.Lookup;
        foreach (int protocol in new[] { Tcp, Udp })
        {
            int srcBase = protocol == Tcp ? 0 : 2 * 65536;
            int dstBase = srcBase + 65536;
            int unmappedSrc = Array.IndexOf(expected, PortMapRules.NoPath, srcBase, 65536) - srcBase; // -1 when the source table is full
            for (int port = 0; port < 65536; port++)
            {
                int other = (port * 40503) & 0xFFFF;
                Check(port, port);
                Check(port, other);
                if (unmappedSrc >= 0)
                {
                    Check(unmappedSrc, port); // every destination entry seen through Lookup
                }
            }

            void Check(int src, int dst)
            {
                int want = expected[srcBase + src] != PortMapRules.NoPath ? expected[srcBase + src] : expected[dstBase + dst];
                int got = lookup(connection, protocol, src, dst);
                if (got != want)
                {
                    Assert.Fail($"{context}: Lookup(protocol {protocol}, src {src}, dst {dst}) = {got}, want {want}");
                }
            }
        }

        for (int port = 0; port < 65536; port += 97)
        {
            Assert.True(lookup(connection, 1, port, port) == PortMapRules.NoPath, context + ": ICMP mapped");
        }
    }

    /// <summary>PathConfigs carrying <paramref name="rules"/> (path then key order, as listed), for PortMapTable.ForPaths.</summary>
    private static PathConfig[] PathsOf(List<PortMapRule> rules)
    {
        var paths = new PathConfig[rules.Count == 0 ? 0 : rules.Max(r => r.PathIndex) + 1];
        for (int i = 0; i < paths.Length; i++)
        {
            paths[i] = new PathConfig();
        }

        foreach (PortMapRule rule in rules)
        {
            EquatableArray<PortRange> ranges = rule.Ranges.ToEquatableArray();
            paths[rule.PathIndex] = rule.Key switch
            {
                PortMapKey.TcpSrc => paths[rule.PathIndex] with { TcpSrc = ranges },
                PortMapKey.TcpDst => paths[rule.PathIndex] with { TcpDst = ranges },
                PortMapKey.UdpSrc => paths[rule.PathIndex] with { UdpSrc = ranges },
                _ => paths[rule.PathIndex] with { UdpDst = ranges },
            };
        }

        return paths;
    }

    private static int IndexByHash(Probe probe, string text)
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        return Enumerable.Range(0, probe.Count).Single(i => probe.Hash(i) == hash);
    }

    /// <summary>How the runtime reads port maps: IniDocument, path_count (§5.5), PortMapRules.TryParse (§5.7).</summary>
    private static List<PortMapRule> RuntimeRules(string text)
    {
        IniDocument doc = IniDocument.Parse(text);
        Assert.Empty(doc.Errors);
        Assert.True(doc.TryGetSection("connection", out IniSection connection));
        Assert.True(connection.TryGet("path_count", out IniEntry countEntry));
        int pathCount = (int)IniDocument.ParseCInteger(countEntry.Value, out _, out _);
        var rules = new List<PortMapRule>();
        for (int path = 0; path < pathCount; path++)
        {
            if (!doc.TryGetSection("path_" + path, out IniSection section))
            {
                continue;
            }

            foreach (PortMapKey key in Enum.GetValues<PortMapKey>())
            {
                if (section.TryGet(PortMapRules.KeyName(key), out IniEntry entry))
                {
                    var ranges = new List<PortRange>();
                    Assert.True(PortMapRules.TryParse(entry.Value, ranges, out _), entry.Value);
                    rules.Add(new PortMapRule(path, key, ranges));
                }
            }
        }

        return rules;
    }
}
