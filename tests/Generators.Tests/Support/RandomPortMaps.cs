using System.Text;
using MptFast.Engine.Mapping;

namespace MptFast.Generators.Tests.Support;

/// <summary>A random rule set (seeded) and its connection-file text, for the equivalence property.</summary>
internal sealed class RandomPortMaps
{
    private static readonly string[] s_separators = [" ", ",", ":", "\t", ", ", " : ", ",,"];

    private RandomPortMaps(int seed, string text, List<PortMapRule> rules)
    {
        Seed = seed;
        Text = text;
        Rules = rules;
    }

    public int Seed { get; }

    public string Text { get; }

    /// <summary>The rules the runtime would read (sections below path_count only), in path then key order.</summary>
    public List<PortMapRule> Rules { get; }

    public string FileName => $"r{Seed}.conf";

    public static RandomPortMaps Create(int seed)
    {
        var random = new Random(seed);
        int sections = random.Next(4) == 0 ? random.Next(1, 21) : random.Next(1, 5);
        int pathCount = random.Next(5) == 0 ? random.Next(0, sections + 1) : sections; // sometimes sections past path_count
        var text = new StringBuilder();
        text.Append("[connection]\nname = random\npath_count = ").Append(pathCount).Append('\n');
        var rules = new List<PortMapRule>();

        // Sections in random order (the INI reader does not care), rules in path order (BuildTable does).
        int[] order = Enumerable.Range(0, sections).OrderBy(_ => random.Next()).ToArray();
        var bySection = new SortedDictionary<int, List<PortMapRule>>();
        foreach (int path in order)
        {
            text.Append("\n[path_").Append(path).Append("]\ninterface_name = veth").Append(path).Append('\n');
            var pathRules = new List<PortMapRule>();
            foreach (PortMapKey key in Enum.GetValues<PortMapKey>().OrderBy(_ => random.Next()))
            {
                if (random.NextDouble() < 0.55)
                {
                    continue;
                }

                var ranges = new List<PortRange>();
                int tokens = random.Next(1, 6);
                for (int t = 0; t < tokens; t++)
                {
                    ranges.Add(RandomRange(random));
                }

                string value = string.Join("", ranges.Select((r, i) => (i == 0 ? "" : s_separators[random.Next(s_separators.Length)]) + r));
                if (random.Next(8) == 0)
                {
                    value = "\"" + value + "\"";
                }

                text.Append(PortMapRules.KeyName(key)).Append(random.Next(2) == 0 ? " = " : "=").Append(value).Append('\n');
                pathRules.Add(new PortMapRule(path, key, ranges));
            }

            bySection[path] = pathRules;
        }

        foreach (var (path, pathRules) in bySection)
        {
            if (path < pathCount)
            {
                rules.AddRange(pathRules.OrderBy(r => r.Key));
            }
        }

        return new RandomPortMaps(seed, text.ToString(), rules);
    }

    private static PortRange RandomRange(Random random)
    {
        int kind = random.Next(10);
        if (kind < 6)
        {
            int port = random.Next(8) == 0 ? (random.Next(2) == 0 ? 1 : 65535) : random.Next(1, 65536);
            return new PortRange(port, port);
        }

        int length = kind < 9 ? random.Next(1, 600) : random.Next(600, 30000);
        int first = random.Next(1, 65536 - length);
        return new PortRange(first, first + length);
    }
}
