namespace MptFast.Engine.Scheduling;

/// <summary>
/// The weighted path-selection list of a connection (MPT-SPEC §6.1), built with the exact rational
/// formulation: the next entry is the path minimising (cᵢ + 1) / wᵢ, compared by 64-bit
/// cross-multiplication, ties to the lowest index; the cycle is Σwᵢ / gcd(w) entries long.
/// Weight 0 = never chosen by weight (B13); the list is sized dynamically (B14) and cannot overflow (B15).
/// </summary>
public static class SelectionList
{
    /// <summary>Most paths a connection has (MPT-SPEC §2.8, <c>MAX_PATH</c>).</summary>
    public const int MaxPaths = 20;

    /// <summary>Largest accepted <c>weight_out</c>: with <see cref="MaxPaths"/> this caps the cycle at 200 000 entries.</summary>
    public const int MaxWeight = 10_000;

    /// <summary>Builds the cycle of path indices; all weights 0 (or no paths) → an empty list.</summary>
    public static int[] Build(ReadOnlySpan<int> weights)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(weights.Length, MaxPaths, nameof(weights));
        int gcd = 0;
        foreach (int w in weights)
        {
            if (w < 0 || w > MaxWeight)
            {
                throw new ArgumentOutOfRangeException(nameof(weights), w, $"a path weight must be 0..{MaxWeight}");
            }

            gcd = Gcd(gcd, w);
        }

        if (gcd == 0)
        {
            return [];
        }

        Span<long> reduced = stackalloc long[weights.Length];
        Span<long> taken = stackalloc long[weights.Length];
        long length = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            reduced[i] = weights[i] / gcd;
            length += reduced[i];
        }

        var list = new int[length];
        for (int n = 0; n < list.Length; n++)
        {
            int best = -1;
            for (int i = 0; i < reduced.Length; i++)
            {
                if (reduced[i] == 0)
                {
                    continue;
                }

                // (taken[i] + 1) / reduced[i] < (taken[best] + 1) / reduced[best], strict: ties keep the lower index.
                if (best < 0 || (taken[i] + 1) * reduced[best] < (taken[best] + 1) * reduced[i])
                {
                    best = i;
                }
            }

            list[n] = best;
            taken[best]++;
        }

        return list;
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}
