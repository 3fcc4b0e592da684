using System.Globalization;

namespace MptFast.Integration.Tests.Support;

/// <summary>
/// One emulated path of a <see cref="Testbed"/>, alike in both directions (perf/tools/LinkEmu/README.md): rate in
/// Mbit/s over Ethernet frame bytes (0 = unlimited), one-way delay in ms (fractions allowed), jitter, loss, and any
/// further LinkEmu spec words (<see cref="Extra"/>, e.g. "gemodel 1% 30%" or "dup 1%"). <see cref="Schedule"/> lines
/// ("10s rate 5mbit", "20s loss 100% for 5s") count from the emulator's start or from
/// <see cref="EmulatedLink.RestartSchedule"/>.
/// </summary>
internal sealed record LinkSpec(double RateMbit = 0, double DelayMs = 0)
{
    public double JitterMs { get; init; }

    /// <summary>Jitter may reorder frames (netem-like); by default the link keeps its order.</summary>
    public bool Reorder { get; init; }

    public double LossPercent { get; init; }

    /// <summary>Queue limit in LinkEmu words ("64kib", "50ms"); null = automatic, max(50 ms × rate, 64 KiB).</summary>
    public string? Queue { get; init; }

    public string? Extra { get; init; }

    public IReadOnlyList<string> Schedule { get; init; } = [];

    /// <summary>The LinkEmu spec words for both directions.</summary>
    public string Words()
    {
        var w = new List<string>
        {
            RateMbit > 0 ? $"rate {F(RateMbit)}mbit" : "rate 0",
            $"delay {F(DelayMs)}ms",
            $"jitter {F(JitterMs)}ms",
            Reorder ? "order reorder" : "order keep",
            $"loss {F(LossPercent)}%",
            $"queue {Queue ?? "auto"}",
        };
        if (!string.IsNullOrWhiteSpace(Extra))
        {
            w.Add(Extra);
        }

        return string.Join(' ', w);
    }

    private static string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
}
