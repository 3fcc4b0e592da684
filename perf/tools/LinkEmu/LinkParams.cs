namespace MptFast.Perf.LinkEmu;

/// <summary>
/// What one direction of an emulated link does to the frames crossing it. Immutable: a change (command line,
/// control socket, schedule) makes a new instance that the forwarding thread swaps in between two batches.
/// </summary>
internal sealed record LinkParams
{
    /// <summary>Queue used when none is given: 50 ms at the link rate, at least 64 KiB (perf/tools/LinkEmu/README.md).</summary>
    public const long AutoQueueNs = 50_000_000;
    public const long MinAutoQueueBytes = 64 * 1024;

    public static readonly LinkParams Default = new();

    /// <summary>One-way delay added after the frame has been serialized onto the link.</summary>
    public long DelayNs { get; init; }

    /// <summary>Half-width of the uniform jitter added to <see cref="DelayNs"/> (the delay stays ≥ 0).</summary>
    public long JitterNs { get; init; }

    /// <summary>false (default): jitter never reorders (a frame leaves no earlier than the one before it, like a real
    /// link's FIFO); true: each frame gets its own delay and may overtake others (netem's behaviour).</summary>
    public bool Reorder { get; init; }

    /// <summary>Serialization rate in bit/s over the frame bytes (Ethernet header included, plus <see cref="OverheadBytes"/>);
    /// 0 = unlimited.</summary>
    public long RateBitsPerSecond { get; init; }

    /// <summary>Queue limit in bytes in front of the serializer (tail drop); 0 = given as time or automatic.</summary>
    public long QueueBytes { get; init; }

    /// <summary>Queue limit as time at the current rate (used when <see cref="QueueBytes"/> is 0); 0 = automatic.</summary>
    public long QueueNs { get; init; }

    /// <summary>Independent (Bernoulli) loss probability of an IP frame, 0..1.</summary>
    public double Loss { get; init; }

    /// <summary>Gilbert–Elliott burst loss, or null.</summary>
    public GilbertElliott? BurstLoss { get; init; }

    /// <summary>Probability that an IP frame is sent twice, 0..1.</summary>
    public double Duplicate { get; init; }

    /// <summary>Bytes added to every frame's length when the rate is charged (may be negative, e.g. -14 to count IP bytes).</summary>
    public int OverheadBytes { get; init; }

    /// <summary>The tail-drop limit in bytes: explicit, or time × rate, or the automatic size.</summary>
    public long QueueLimitBytes
    {
        get
        {
            if (QueueBytes > 0)
            {
                return QueueBytes;
            }

            long bytes = (long)(RateBitsPerSecond / 8.0 * (QueueNs > 0 ? QueueNs : AutoQueueNs) / 1e9);
            return QueueNs > 0 ? Math.Max(bytes, 1) : Math.Max(bytes, MinAutoQueueBytes);
        }
    }

    /// <summary>Nanoseconds the serializer needs for a frame of <paramref name="length"/> bytes (0 when unlimited).</summary>
    public long SerializationNs(int length) =>
        RateBitsPerSecond <= 0 ? 0 : (long)((length + OverheadBytes) * 8e9 / RateBitsPerSecond);

    /// <summary>The spec that reproduces these parameters (what `show` prints).</summary>
    public override string ToString()
    {
        var parts = new List<string>
        {
            $"delay {Units.Duration(DelayNs)}",
            $"jitter {Units.Duration(JitterNs)}",
            Reorder ? "order reorder" : "order keep",
            $"rate {(RateBitsPerSecond == 0 ? "unlimited" : Units.Rate(RateBitsPerSecond))}",
            QueueBytes > 0 ? $"queue {QueueBytes}b" : QueueNs > 0 ? $"queue {Units.Duration(QueueNs)}" : "queue auto",
            $"loss {Units.Percent(Loss)}",
            BurstLoss is { } ge ? $"gemodel {Units.Percent(ge.P)} {Units.Percent(ge.R)} {Units.Percent(ge.LossBad)} {Units.Percent(ge.LossGood)}" : "gemodel off",
            $"dup {Units.Percent(Duplicate)}",
            $"overhead {OverheadBytes}",
        };
        return string.Join(' ', parts) + (RateBitsPerSecond > 0 ? $" (queue limit {QueueLimitBytes} bytes)" : "");
    }
}

/// <summary>
/// Gilbert–Elliott loss (netem's <c>loss gemodel p r 1-h 1-k</c>): a good and a bad state; p = P(good → bad),
/// r = P(bad → good) per frame; a frame is lost with <see cref="LossBad"/> in the bad state and <see cref="LossGood"/>
/// in the good one. Mean loss = (r·LossGood + p·LossBad) / (p + r); mean burst length 1 / r frames.
/// </summary>
internal sealed record GilbertElliott(double P, double R, double LossBad, double LossGood)
{
    public double MeanLoss => P + R == 0 ? LossGood : (R * LossGood + P * LossBad) / (P + R);
}

/// <summary>The keys a <see cref="LinkChange"/> may set.</summary>
[Flags]
internal enum LinkKeys
{
    None = 0,
    Delay = 1,
    Jitter = 2,
    Reorder = 4,
    Rate = 8,
    Queue = 16,
    Loss = 32,
    BurstLoss = 64,
    Duplicate = 128,
    Overhead = 256,
}

/// <summary>A partial update: the keys named in <see cref="Keys"/> take their value from <see cref="Values"/>.</summary>
internal sealed record LinkChange(LinkKeys Keys, LinkParams Values)
{
    public static readonly LinkChange None = new(LinkKeys.None, LinkParams.Default);

    public LinkParams ApplyTo(LinkParams p) => p with
    {
        DelayNs = Has(LinkKeys.Delay) ? Values.DelayNs : p.DelayNs,
        JitterNs = Has(LinkKeys.Jitter) ? Values.JitterNs : p.JitterNs,
        Reorder = Has(LinkKeys.Reorder) ? Values.Reorder : p.Reorder,
        RateBitsPerSecond = Has(LinkKeys.Rate) ? Values.RateBitsPerSecond : p.RateBitsPerSecond,
        QueueBytes = Has(LinkKeys.Queue) ? Values.QueueBytes : p.QueueBytes,
        QueueNs = Has(LinkKeys.Queue) ? Values.QueueNs : p.QueueNs,
        Loss = Has(LinkKeys.Loss) ? Values.Loss : p.Loss,
        BurstLoss = Has(LinkKeys.BurstLoss) ? Values.BurstLoss : p.BurstLoss,
        Duplicate = Has(LinkKeys.Duplicate) ? Values.Duplicate : p.Duplicate,
        OverheadBytes = Has(LinkKeys.Overhead) ? Values.OverheadBytes : p.OverheadBytes,
    };

    /// <summary>The change that puts back, for the same keys, the values <paramref name="before"/> had.</summary>
    public LinkChange RevertOn(LinkParams before) => new(Keys, before);

    private bool Has(LinkKeys key) => (Keys & key) != 0;
}
