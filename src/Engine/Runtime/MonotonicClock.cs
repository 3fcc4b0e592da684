using System.Diagnostics;

namespace MptFast.Engine.Runtime;

/// <summary>The datapath's monotonic clock in the units the probes carry (µs, MPT-SPEC B31: never the wall clock).</summary>
public static class MonotonicClock
{
    private static readonly long s_ticksPerMicro = Math.Max(1, Stopwatch.Frequency / 1_000_000);

    /// <summary>Now, in µs.</summary>
    public static long NowMicros => ToMicros(Stopwatch.GetTimestamp());

    /// <summary>Stopwatch ticks to µs.</summary>
    public static long ToMicros(long ticks) => ticks / s_ticksPerMicro;

    /// <summary>µs to Stopwatch ticks.</summary>
    public static long FromMicros(long micros) => micros * s_ticksPerMicro;
}
