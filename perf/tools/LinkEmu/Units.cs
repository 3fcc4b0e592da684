using System.Globalization;

namespace MptFast.Perf.LinkEmu;

/// <summary>A link spec, schedule line or command line the emulator cannot use: the message names the culprit.</summary>
internal sealed class SpecException(string message) : Exception(message);

/// <summary>
/// Number + unit parsing and printing for specs: durations (<c>10ms</c>, <c>2.5ms</c>, <c>300us</c>, <c>1s</c>; a bare number
/// is milliseconds), rates (<c>50mbit</c>, <c>1.5gbit</c>, <c>800kbit</c>, <c>9600bit</c>; <c>/s</c> and <c>bps</c> spellings
/// accepted), sizes (<c>64kib</c>, <c>100kb</c>, <c>1500b</c>, <c>1mib</c>; a bare number is bytes) and percentages
/// (<c>1%</c>, <c>0.5%</c>; a bare number is percent).
/// </summary>
internal static class Units
{
    private static readonly (string Suffix, double Factor)[] s_durations = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)];
    private static readonly (string Suffix, double Factor)[] s_rates =
        [("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1), ("gbps", 1e9), ("mbps", 1e6), ("kbps", 1e3), ("bps", 1)];
    private static readonly (string Suffix, double Factor)[] s_sizes =
        [("kib", 1024), ("mib", 1 << 20), ("kb", 1000), ("mb", 1e6), ("k", 1024), ("b", 1)];

    public static long DurationNs(string what, string text) =>
        (long)Math.Round(Scaled(what, text, s_durations, 1e6, "a duration such as 10ms, 2.5ms, 300us or 1s"));

    public static long RateBits(string what, string text)
    {
        string t = text.EndsWith("/s", StringComparison.OrdinalIgnoreCase) ? text[..^2] : text;
        if (!s_rates.Any(u => t.EndsWith(u.Suffix, StringComparison.OrdinalIgnoreCase)))
        {
            throw new SpecException($"{what} '{text}': expected a rate with its unit, such as 50mbit, 1.5gbit or 800kbit");
        }

        return (long)Math.Round(Scaled(what, t, s_rates, 1, "a rate such as 50mbit"));
    }

    public static long Bytes(string what, string text) =>
        (long)Math.Round(Scaled(what, text, s_sizes, 1, "a size such as 64kib, 100kb or 1500b"));

    /// <summary>A percentage 0..100 as a probability 0..1.</summary>
    public static double Probability(string what, string text)
    {
        string t = text.EndsWith('%') ? text[..^1] : text;
        if (!double.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v) || v < 0 || v > 100)
        {
            throw new SpecException($"{what} '{text}': expected a percentage from 0 to 100, such as 1% or 0.5%");
        }

        return v / 100;
    }

    public static bool LooksLikeDuration(string text) =>
        text.Length > 0 && char.IsAsciiDigit(text[0]) && s_durations.Any(u => text.EndsWith(u.Suffix, StringComparison.OrdinalIgnoreCase));

    public static string Duration(long ns) => ns % 1_000_000 == 0
        ? $"{(ns / 1_000_000).ToString(CultureInfo.InvariantCulture)}ms"
        : $"{(ns / 1e6).ToString("0.###", CultureInfo.InvariantCulture)}ms";

    public static string Rate(long bits) => bits % 1_000_000 == 0
        ? $"{(bits / 1_000_000).ToString(CultureInfo.InvariantCulture)}mbit"
        : $"{(bits / 1e3).ToString("0.###", CultureInfo.InvariantCulture)}kbit";

    public static string Percent(double p) => $"{(p * 100).ToString("0.####", CultureInfo.InvariantCulture)}%";

    private static double Scaled(string what, string text, (string Suffix, double Factor)[] units, double bareFactor, string expected)
    {
        string number = text;
        double factor = bareFactor;
        foreach ((string suffix, double f) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                number = text[..^suffix.Length];
                factor = f;
                break;
            }
        }

        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v) || v < 0 || double.IsInfinity(v))
        {
            throw new SpecException($"{what} '{text}': expected {expected}");
        }

        return v * factor;
    }
}
