using System.Diagnostics;

namespace MptFast.Integration.Tests.Support;

/// <summary>Readiness waits: poll a condition instead of sleeping a fixed time (a fixed sleep is too short on a loaded
/// machine and too long on an idle one).</summary>
internal static class Wait
{
    /// <summary>Polls <paramref name="condition"/> every <paramref name="pollMs"/> until it holds; after
    /// <paramref name="timeout"/> throws a <see cref="TimeoutException"/> naming <paramref name="what"/> and, when given,
    /// the <paramref name="context"/> (e.g. a daemon's log). Returns how long it took.</summary>
    public static TimeSpan Until(Func<bool> condition, TimeSpan timeout, string what, Func<string>? context = null, int pollMs = 50)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"{what} not reached within {timeout.TotalSeconds:0.#} s" + (context is null ? "" : "\n" + context()));
            }

            Thread.Sleep(pollMs);
        }

        return sw.Elapsed;
    }
}
