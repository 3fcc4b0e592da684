namespace MptFast.Perf.LinkEmu;

/// <summary>
/// Parses the link spec language, a list of KEY VALUE words (tc-netem-like, perf/tools/LinkEmu/README.md):
/// <code>delay 10ms jitter 5ms order keep|reorder rate 50mbit queue 64kib|50ms|auto loss 1% gemodel 1% 30% [100% [0%]]|off
/// dup 0.5% overhead 24</code>
/// Only the keys written are set (<see cref="LinkChange"/>), so the same words serve for the start values, a live
/// <c>set</c> and a scheduled change.
/// </summary>
internal static class LinkSpec
{
    public const string Keys = "delay, jitter, order, reorder, rate, queue, loss, gemodel, dup, overhead";

    public static LinkChange Parse(IReadOnlyList<string> words)
    {
        var keys = LinkKeys.None;
        var v = LinkParams.Default;
        for (int i = 0; i < words.Count; i++)
        {
            string key = words[i].ToLowerInvariant();
            if (key == "reorder")
            {
                (keys, v) = (keys | LinkKeys.Reorder, v with { Reorder = true });
                continue;
            }

            if (i + 1 >= words.Count)
            {
                throw new SpecException($"'{words[i]}' needs a value (keys: {Keys})");
            }

            string value = words[++i];
            switch (key)
            {
                case "delay":
                    (keys, v) = (keys | LinkKeys.Delay, v with { DelayNs = Units.DurationNs("delay", value) });
                    break;
                case "jitter":
                    (keys, v) = (keys | LinkKeys.Jitter, v with { JitterNs = Units.DurationNs("jitter", value) });
                    break;
                case "order":
                    bool reorder = value.ToLowerInvariant() switch
                    {
                        "keep" => false,
                        "reorder" => true,
                        _ => throw new SpecException($"order '{value}': expected keep or reorder"),
                    };
                    (keys, v) = (keys | LinkKeys.Reorder, v with { Reorder = reorder });
                    break;
                case "rate":
                    long rate = value is "0" or "unlimited" or "off" ? 0 : Units.RateBits("rate", value);
                    (keys, v) = (keys | LinkKeys.Rate, v with { RateBitsPerSecond = rate });
                    break;
                case "queue":
                    (keys, v) = (keys | LinkKeys.Queue, value == "auto" ? v with { QueueBytes = 0, QueueNs = 0 }
                        : Units.LooksLikeDuration(value) && !value.EndsWith('b')
                            ? v with { QueueBytes = 0, QueueNs = Positive("queue", value, Units.DurationNs("queue", value)) }
                            : v with { QueueBytes = Positive("queue", value, Units.Bytes("queue", value)), QueueNs = 0 });
                    break;
                case "loss":
                    (keys, v) = (keys | LinkKeys.Loss, v with { Loss = Units.Probability("loss", value) });
                    break;
                case "gemodel":
                    (keys, v) = (keys | LinkKeys.BurstLoss, v with { BurstLoss = ParseGilbertElliott(words, value, ref i) });
                    break;
                case "dup" or "duplicate":
                    (keys, v) = (keys | LinkKeys.Duplicate, v with { Duplicate = Units.Probability("dup", value) });
                    break;
                case "overhead":
                    if (!int.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out int overhead)
                        || overhead < -64 || overhead > 1024)
                    {
                        throw new SpecException($"overhead '{value}': expected whole bytes from -64 to 1024");
                    }

                    (keys, v) = (keys | LinkKeys.Overhead, v with { OverheadBytes = overhead });
                    break;
                default:
                    throw new SpecException($"unknown key '{words[i - 1]}' (keys: {Keys})");
            }
        }

        return new LinkChange(keys, v);
    }

    public static LinkChange Parse(string text) => Parse(Split(text));

    public static string[] Split(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    private static long Positive(string what, string text, long value) =>
        value > 0 ? value : throw new SpecException($"{what} '{text}': must be above zero (or auto)");

    // gemodel P [R [BAD [GOOD]]] | off — tc-netem's defaults: R = 1 - P, BAD = 100 %, GOOD = 0 %.
    private static GilbertElliott? ParseGilbertElliott(IReadOnlyList<string> words, string first, ref int i)
    {
        if (first == "off")
        {
            return null;
        }

        double p = Units.Probability("gemodel p", first);
        var rest = new List<double>();
        while (rest.Count < 3 && i + 1 < words.Count && words[i + 1].Length > 0 && char.IsAsciiDigit(words[i + 1][0]))
        {
            rest.Add(Units.Probability("gemodel", words[++i]));
        }

        double r = rest.Count > 0 ? rest[0] : 1 - p;
        return new GilbertElliott(p, r, rest.Count > 1 ? rest[1] : 1, rest.Count > 2 ? rest[2] : 0);
    }
}
