using System.Globalization;
using System.Text;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Status;

/// <summary>
/// Samples collected by metric family and written in the Prometheus text exposition format 0.0.4: one <c># HELP</c>
/// and <c># TYPE</c> per family, then all its samples together (the format forbids interleaving families, while the
/// status walks connection by connection). Also the generic rule that turns a <see cref="CounterSnapshot"/> into
/// families, so a counter added to its owner is a metric without an edit here.
/// </summary>
internal sealed class MetricFamilies
{
    private readonly Dictionary<string, Family> _byName = new(StringComparer.Ordinal);
    private readonly List<Family> _order = [];

    /// <summary>Adds one sample of <paramref name="family"/> (declared by its first sample).</summary>
    /// <param name="family">Metric name, counters with their <c>_total</c>.</param>
    /// <param name="type"><c>counter</c> or <c>gauge</c>.</param>
    /// <param name="help">The family's help text (of its first sample).</param>
    /// <param name="labels">Labels as <see cref="Labels"/> writes them, without braces; empty for none.</param>
    /// <param name="value">The value as the format writes it.</param>
    public void Add(string family, string type, string help, string labels, string value) =>
        Sample(family, type, help, labels, "").Append(value).Append('\n');

    /// <summary>As <see cref="Add(string, string, string, string, string)"/> with an integer value, and labels in two
    /// parts (<paramref name="more"/> after <paramref name="labels"/>), written without strings of their own.</summary>
    public void Add(string family, string type, string help, string labels, long value, string more = "") =>
        Sample(family, type, help, labels, more).Append(CultureInfo.InvariantCulture, $"{value}").Append('\n');

    // The family's samples with this sample's name and labels written; the value goes behind.
    private StringBuilder Sample(string family, string type, string help, string labels, string more)
    {
        if (!_byName.TryGetValue(family, out Family? f))
        {
            f = new Family(family, type, help);
            _byName.Add(family, f);
            _order.Add(f);
        }

        StringBuilder sb = f.Samples.Append(family);
        if (labels.Length > 0 || more.Length > 0)
        {
            sb.Append('{').Append(labels);
            if (labels.Length > 0 && more.Length > 0)
            {
                sb.Append(',');
            }

            sb.Append(more).Append('}');
        }

        return sb.Append(' ');
    }

    public void Counter(string family, string help, string labels, long value, string more = "") => Add(family, "counter", help, labels, value, more);

    public void Gauge(string family, string help, string labels, long value, string more = "") => Add(family, "gauge", help, labels, value, more);

    public void Gauge(string family, string help, string labels, double value) =>
        Add(family, "gauge", help, labels, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Every value of <paramref name="counters"/> as <c>PREFIX + name</c>: counters get <c>_total</c>, gauges do not; a
    /// name with <c>dropped_REASON</c> in it becomes the family <c>..._dropped_total</c> with a <c>reason</c> label;
    /// units become base units (<c>_us</c>, <c>_ms</c> → <c>_seconds</c>, <c>_ppm</c> → <c>_ratio</c>). A value in a
    /// unit of time, ratio or rate is a level (a delay, a loss rate, a throughput), so it is a gauge even where its owner
    /// published it with <see cref="CounterSnapshot.Add(string, long)"/>. The help names where <c>status --json</c>
    /// shows the value (<paramref name="jsonPath"/>).
    /// </summary>
    public void Snapshot(CounterSnapshot counters, string prefix, string labels, string jsonPath)
    {
        foreach (Counter c in counters)
        {
            Derived d = Derive(prefix, c.Name, c.Kind);
            if (d.Reason is { } reason)
            {
                string help = _byName.TryGetValue(d.Family, out Family? f) ? f.Help : $"{jsonPath}.*dropped_REASON of mptfast status --json, by reason";
                Add(d.Family, "counter", help, labels, c.Value, reason);
            }
            else
            {
                string help = _byName.TryGetValue(d.Family, out Family? f) ? f.Help
                    : $"{jsonPath}.{c.Name} of mptfast status --json" + (d.Scale != 1 ? " in base units" : "");
                if (d.Scale == 1)
                {
                    Add(d.Family, d.Counter ? "counter" : "gauge", help, labels, c.Value);
                }
                else
                {
                    Add(d.Family, d.Counter ? "counter" : "gauge", help, labels, (c.Value * d.Scale).ToString(CultureInfo.InvariantCulture));
                }
            }
        }
    }

    // What a published counter name becomes, per prefix: the same few dozen names come back for every path of every
    // connection at every scrape, so the names and labels are derived once (render threads share the cache).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Prefix, string Name, CounterKind Kind), Derived> s_derived = new();

    private static Derived Derive(string prefix, string published, CounterKind kind) =>
        s_derived.GetOrAdd((prefix, published, kind), static key =>
        {
            (string name, double scale) = BaseUnit(Sanitize(key.Name));
            bool counter = (key.Kind == CounterKind.Counter && !IsLevel(key.Name)) || key.Kind == CounterKind.Duration;
            int dropped = name.IndexOf("dropped_", StringComparison.Ordinal);
            return dropped >= 0 && counter
                ? new Derived(key.Prefix + name[..(dropped + "dropped".Length)] + "_total", Labels("reason", name[(dropped + "dropped_".Length)..]), 1, true)
                : new Derived(key.Prefix + name + (counter ? "_total" : ""), null, scale, counter);
        });

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Name, string Value), string> s_labels = new();

    /// <summary><c>reason="NAME"</c>, made once per name.</summary>
    public static string Reason(string name) => Label("reason", name);

    /// <summary><c>NAME="VALUE"</c> for a value from a small fixed set (reasons, states, directions), made once.</summary>
    public static string Label(string name, string value) =>
        s_labels.GetOrAdd((name, value), static key => Labels(key.Name, key.Value));

    private sealed record Derived(string Family, string? Reason, double Scale, bool Counter);

    /// <summary>Every value of <paramref name="counters"/> as one sample of <paramref name="family"/> with its name as the
    /// <c>reason</c> label (drops and rejections by reason).</summary>
    public void ByReason(CounterSnapshot counters, string family, string help, string labels)
    {
        foreach (Counter c in counters)
        {
            Counter(family, help, labels, c.Value, Reason(c.Name));
        }
    }

    /// <summary><c>name="value"</c> pairs, values escaped as the format says (backslash, quote, newline).</summary>
    public static string Labels(params ReadOnlySpan<string> namesAndValues)
    {
        var sb = new StringBuilder();
        for (int i = 0; i + 1 < namesAndValues.Length; i += 2)
        {
            sb.Append(sb.Length > 0 ? "," : "").Append(namesAndValues[i]).Append("=\"");
            foreach (char ch in namesAndValues[i + 1])
            {
                _ = ch switch
                {
                    '\\' => sb.Append("\\\\"),
                    '"' => sb.Append("\\\""),
                    '\n' => sb.Append("\\n"),
                    _ => sb.Append(ch),
                };
            }

            sb.Append('"');
        }

        return sb.ToString();
    }

    public static string Join(string first, string second) => first.Length == 0 ? second : second.Length == 0 ? first : first + "," + second;

    /// <summary>Characters <see cref="WriteTo"/> writes (to size the buffer once).</summary>
    public int Length => _order.Sum(f => f.Samples.Length + (2 * f.Name.Length) + f.Help.Length + 24);

    public void WriteTo(StringBuilder sb)
    {
        foreach (Family f in _order)
        {
            sb.Append("# HELP ").Append(f.Name).Append(' ').Append(f.Help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
            sb.Append("# TYPE ").Append(f.Name).Append(' ').Append(f.Type).Append('\n');
            sb.Append(f.Samples);
        }
    }

    /// <summary>A published name whose unit makes it a level, not a count of events.</summary>
    internal static bool IsLevel(string name) =>
        name.EndsWith("_us", StringComparison.Ordinal) || name.EndsWith("_ms", StringComparison.Ordinal)
        || name.EndsWith("_ppm", StringComparison.Ordinal) || name.EndsWith("_per_second", StringComparison.Ordinal);

    /// <summary>The metric name of a published counter name: <c>_us</c>/<c>_ms</c> → <c>_seconds</c>, <c>_ppm</c> →
    /// <c>_ratio</c>, with the factor to apply (Prometheus names carry base units).</summary>
    internal static (string Name, double Scale) BaseUnit(string name) =>
        name.EndsWith("_us", StringComparison.Ordinal) ? (name[..^3] + "_seconds", 1e-6)
        : name.EndsWith("_ms", StringComparison.Ordinal) ? (name[..^3] + "_seconds", 1e-3)
        : name.EndsWith("_ppm", StringComparison.Ordinal) ? (name[..^4] + "_ratio", 1e-6)
        : (name, 1);

    // Metric names are [a-zA-Z_:][a-zA-Z0-9_:]*; published names are snake_case already, this only guards.
    private static string Sanitize(string name)
    {
        if (!name.AsSpan().ContainsAnyExcept(MetricNameChars))
        {
            return name;
        }

        var sb = new StringBuilder(name.Length);
        foreach (char ch in name)
        {
            sb.Append(char.IsAsciiLetterOrDigit(ch) ? char.ToLowerInvariant(ch) : '_');
        }

        return sb.ToString();
    }

    private static readonly System.Buffers.SearchValues<char> MetricNameChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789_");

    private sealed class Family(string name, string type, string help)
    {
        public string Name { get; } = name;

        public string Type { get; } = type;

        public string Help { get; } = help;

        public StringBuilder Samples { get; } = new();
    }
}
