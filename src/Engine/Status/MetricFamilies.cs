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
    public void Add(string family, string type, string help, string labels, string value)
    {
        if (!_byName.TryGetValue(family, out Family? f))
        {
            f = new Family(family, type, help);
            _byName.Add(family, f);
            _order.Add(f);
        }

        f.Samples.Append(family);
        if (labels.Length > 0)
        {
            f.Samples.Append('{').Append(labels).Append('}');
        }

        f.Samples.Append(' ').Append(value).Append('\n');
    }

    public void Counter(string family, string help, string labels, long value) => Add(family, "counter", help, labels, Integer(value));

    public void Gauge(string family, string help, string labels, long value) => Add(family, "gauge", help, labels, Integer(value));

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
            (string name, double scale) = BaseUnit(Sanitize(c.Name));
            bool counter = c.Kind == CounterKind.Counter && !IsLevel(c.Name);
            int dropped = name.IndexOf("dropped_", StringComparison.Ordinal);
            if (dropped >= 0 && counter)
            {
                string family = prefix + name[..(dropped + "dropped".Length)] + "_total";
                string reason = Labels("reason", name[(dropped + "dropped_".Length)..]);
                Add(family, "counter", Help(family, () => $"{jsonPath}.*dropped_REASON of mptfast status --json, by reason"), Join(labels, reason), Integer(c.Value));
            }
            else
            {
                string value = scale == 1 ? Integer(c.Value) : (c.Value * scale).ToString(CultureInfo.InvariantCulture);
                string family = prefix + name + (counter ? "_total" : "");
                Add(family, counter ? "counter" : "gauge",
                    Help(family, () => $"{jsonPath}.{c.Name} of mptfast status --json" + (scale != 1 ? " in base units" : "")), labels, value);
            }
        }
    }

    // The help text is made once per family (this runs for every path of every connection).
    private string Help(string family, Func<string> make) => _byName.TryGetValue(family, out Family? f) ? f.Help : make();

    /// <summary>Every value of <paramref name="counters"/> as one sample of <paramref name="family"/> with its name as the
    /// <c>reason</c> label (drops and rejections by reason).</summary>
    public void ByReason(CounterSnapshot counters, string family, string help, string labels)
    {
        foreach (Counter c in counters)
        {
            Counter(family, help, Join(labels, Labels("reason", c.Name)), c.Value);
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

    private static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed class Family(string name, string type, string help)
    {
        public string Name { get; } = name;

        public string Type { get; } = type;

        public string Help { get; } = help;

        public StringBuilder Samples { get; } = new();
    }
}
