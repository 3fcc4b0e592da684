using System.Globalization;
using System.Text.RegularExpressions;

namespace MptFast.Tests.Common;

/// <summary>The samples of a Prometheus text exposition, keyed <c>name{labels}</c> as written (tests of the metrics).</summary>
internal static partial class PrometheusText
{
    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$""")]
    private static partial Regex SampleLine();

    /// <summary>Every sample line's series and value; throws on a line that is neither a sample nor a comment.</summary>
    public static Dictionary<string, string> Samples(string text)
    {
        var samples = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')))
        {
            Match m = SampleLine().Match(line);
            if (!m.Success)
            {
                throw new FormatException("not a sample line: " + line);
            }

            samples[m.Groups["name"].Value + "{" + m.Groups["labels"].Value + "}"] = m.Groups["value"].Value;
        }

        return samples;
    }

    /// <summary>The metric name of a sample line.</summary>
    public static string NameOf(string line) => SampleLine().Match(line).Groups["name"].Value;

    public static double Number(string value) => double.Parse(value, CultureInfo.InvariantCulture);
}
