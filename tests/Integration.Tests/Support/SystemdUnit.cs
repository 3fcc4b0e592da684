namespace MptFast.Integration.Tests.Support;

/// <summary>
/// The settings of a systemd unit file as systemd reads the list-valued ones: every <c>Key=</c> line of a section
/// adds its space-separated values, an empty assignment clears them (systemd.exec(5)). Enough to take the sandbox
/// of contrib/systemd/mptfast.service apart for the tests; not a general unit parser.
/// </summary>
internal sealed class SystemdUnit
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    private SystemdUnit()
    {
    }

    public static SystemdUnit Read(string path, string section = "Service")
    {
        var unit = new SystemdUnit();
        string? current = null;
        foreach (string raw in File.ReadLines(path))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                current = line[1..^1];
                continue;
            }

            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (current != section || eq < 0)
            {
                continue;
            }

            string key = line[..eq].Trim();
            string value = line[(eq + 1)..].Trim();
            if (!unit._values.TryGetValue(key, out List<string>? list))
            {
                unit._values[key] = list = [];
            }

            if (value.Length == 0)
            {
                list.Clear();
            }
            else
            {
                list.AddRange(value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
        }

        return unit;
    }

    public IReadOnlyList<string> Values(string key) => _values.TryGetValue(key, out List<string>? v) ? v : [];

    public string Single(string key) => Values(key) is [string only] ? only : throw new InvalidOperationException($"{key} has {Values(key).Count} values");

    /// <summary>The capability bits of <c>CapabilityBoundingSet=</c> (linux/capability.h numbers).</summary>
    public ulong CapabilityMask() => Values("CapabilityBoundingSet").Aggregate(0UL, (mask, name) => mask | (1UL << CapabilityNumber(name)));

    /// <summary>The set as setpriv's <c>--bounding-set</c> wants it: <c>-all,+net_admin,...</c>.</summary>
    public string SetprivBoundingSet() =>
        "-all" + string.Concat(Values("CapabilityBoundingSet").Select(c => ",+" + c["CAP_".Length..].ToLowerInvariant()));

    private static int CapabilityNumber(string name) => name switch
    {
        "CAP_NET_BIND_SERVICE" => 10,
        "CAP_NET_BROADCAST" => 11,
        "CAP_NET_ADMIN" => 12,
        "CAP_NET_RAW" => 13,
        _ => throw new InvalidOperationException("the test knows no number for " + name + " (add it from linux/capability.h)"),
    };

    /// <summary>
    /// The system calls <c>SystemCallFilter=</c> allows, its @groups expanded with <c>systemd-analyze syscall-filter</c>
    /// (this systemd's own tables). Only an allow-list is understood.
    /// </summary>
    public HashSet<string> AllowedSystemCalls()
    {
        Dictionary<string, List<string>> groups = SystemCallGroups();
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        foreach (string entry in Values("SystemCallFilter"))
        {
            if (entry.StartsWith('~'))
            {
                throw new InvalidOperationException("deny-list SystemCallFilter= entries are not understood by this test: " + entry);
            }

            Expand(entry, groups, allowed);
        }

        return allowed;
    }

    private static void Expand(string entry, Dictionary<string, List<string>> groups, HashSet<string> into)
    {
        if (!entry.StartsWith('@'))
        {
            into.Add(entry.Split(':')[0]); // "name:errno" keeps the name
            return;
        }

        if (!groups.TryGetValue(entry, out List<string>? members))
        {
            throw new InvalidOperationException($"systemd-analyze knows no system call group {entry}");
        }

        foreach (string member in members)
        {
            Expand(member, groups, into);
        }
    }

    private static Dictionary<string, List<string>> SystemCallGroups()
    {
        string text = Proc.Check(TimeSpan.FromSeconds(30), "systemd-analyze", "syscall-filter");
        var groups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        List<string>? current = null;
        foreach (string line in text.Split('\n'))
        {
            string item = line.Trim();
            if (item.Length == 0 || item.StartsWith('#'))
            {
                continue;
            }

            if (!char.IsWhiteSpace(line[0]))
            {
                groups[item] = current = [];
            }
            else
            {
                current?.Add(item);
            }
        }

        if (groups.Count == 0)
        {
            throw new InvalidOperationException("systemd-analyze syscall-filter listed no groups: " + text);
        }

        return groups;
    }

    public override string ToString() => string.Join(", ", _values.Select(kv => kv.Key + "=" + string.Join(' ', kv.Value)).Order(StringComparer.Ordinal));
}
