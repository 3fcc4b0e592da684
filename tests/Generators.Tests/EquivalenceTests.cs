using System.Security.Cryptography;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Mapping;
using MptFast.Generators.Tests.Support;
using MptFast.Tests.Common;
using Xunit.Abstractions;

namespace MptFast.Generators.Tests;

/// <summary>The baked table (via CopyTable and via Lookup on every port) equals PortMapRules.BuildTable of the same rules.</summary>
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
            byte[] expected = PortMapRules.BuildTable(RuntimeRules(texts[i]), null);
            mapped += expected.Count(b => b != PortMapRules.NoPath);
            AssertEquivalent(probe, IndexByHash(probe, texts[i]), expected, paths[i]);
        }

        Assert.True(mapped >= 16, "the port-mapping example should map ports");
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
                byte[] expected = PortMapRules.BuildTable(set.Rules, conflicts);
                string context = $"seed {set.Seed}";
                AssertEquivalent(probe, probe.IndexOf(set.FileName), expected, context);

                // Every clashing (key, path pair) is reported once, at this file.
                int reported = result.Diagnostics.Count(d => d.Location.GetLineSpan().Path.EndsWith("/" + set.FileName, StringComparison.Ordinal));
                int pairs = conflicts.Select(c => (c.Key, c.FirstPath, c.SecondPath)).Distinct().Count();
                Assert.True(reported == pairs, $"{context}: {reported} MPT0003 for {pairs} clashing key/path pairs");
            }

            log.WriteLine($"check {sw.ElapsedMilliseconds} ms");
        }
    }

    private static void AssertEquivalent(Probe probe, int connection, byte[] expected, string context)
    {
        Assert.True(connection >= 0, context + ": connection not baked");
        byte[] copied = probe.Table(connection);
        if (!copied.AsSpan().SequenceEqual(expected))
        {
            int at = Enumerable.Range(0, expected.Length).First(i => copied[i] != expected[i]);
            Assert.Fail($"{context}: CopyTable differs at key {at >> 16} port {at & 0xFFFF}: {copied[at]} != {expected[at]}");
        }

        Func<int, int, int, int, byte> lookup = probe.Lookup;
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
                byte want = expected[srcBase + src] != PortMapRules.NoPath ? expected[srcBase + src] : expected[dstBase + dst];
                byte got = lookup(connection, protocol, src, dst);
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
