using System.Collections.Frozen;
using System.Text.RegularExpressions;
using MptFast.Engine.Config;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Config;

/// <summary>
/// mptfast.conf(5) (docs/mptfast.conf.5.md) documents exactly the keys the parser reads, section by section: a key
/// added to the parser without its line in the manual, or a documented key the parser does not know, fails here.
/// </summary>
public partial class ConfigManualTests
{
    public static TheoryData<string, string[]> Sections() => new()
    {
        { "[general]", [.. ConfigKeys.General] },
        { "[tun_0]", [.. ConfigKeys.Tunnel] },
        { "[connection]", [.. ConfigKeys.Connection] },
        { "[path_N]", [.. ConfigKeys.Path] },
        { "[net_N]", [.. ConfigKeys.Network] },
    };

    [Theory]
    [MemberData(nameof(Sections))]
    public void Manual_documents_every_key_of_the_section_and_no_other(string section, string[] parserKeys)
    {
        FrozenDictionary<string, string[]> documented = DocumentedKeys();
        Assert.True(documented.ContainsKey(section), $"mptfast.conf.5.md has no '### {section}' table");
        Assert.Equal(parserKeys.Order(StringComparer.Ordinal), documented[section].Order(StringComparer.Ordinal));
    }

    /// <summary>The keys in the first column of the table under each <c>### [section]</c> heading.</summary>
    private static FrozenDictionary<string, string[]> DocumentedKeys()
    {
        var keys = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        string? section = null;
        foreach (string line in File.ReadLines(Path.Combine(SharedFiles.RepoRoot, "docs", "mptfast.conf.5.md")))
        {
            if (line.StartsWith('#'))
            {
                Match heading = SectionHeading().Match(line);
                section = heading.Success ? heading.Groups[1].Value : null;
                if (section is not null)
                {
                    keys[section] = [];
                }
            }
            else if (section is not null && line.StartsWith("| `", StringComparison.Ordinal))
            {
                // "| `tcp_src`, `tcp_dst`, ... | default | meaning |": every key named in the first cell.
                string first = line.Split('|')[1];
                keys[section].AddRange(KeyInBackquotes().Matches(first).Select(m => m.Groups[1].Value));
            }
        }

        return keys.ToFrozenDictionary(k => k.Key, k => k.Value.ToArray(), StringComparer.Ordinal);
    }

    [GeneratedRegex(@"^###\s+(\[[a-z_0-9N]+\])\s*$")]
    private static partial Regex SectionHeading();

    [GeneratedRegex(@"`([a-z_0-9]+)`")]
    private static partial Regex KeyInBackquotes();
}
