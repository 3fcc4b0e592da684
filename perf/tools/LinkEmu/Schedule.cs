namespace MptFast.Perf.LinkEmu;

/// <summary>The two directions of a link: a→b (frames read on the a-side interface, written to the b side) and b→a.</summary>
[Flags]
internal enum Directions
{
    AtoB = 1,
    BtoA = 2,
    Both = AtoB | BtoA,
}

/// <summary>One timed change: at <see cref="AtNs"/> after the schedule's zero, apply <see cref="Change"/> to
/// <see cref="Directions"/>; with <see cref="ForNs"/> &gt; 0, put the changed keys back that much later.</summary>
internal sealed record ScheduledChange(long AtNs, Directions Directions, LinkChange Change, long ForNs)
{
    /// <summary>Parses <c>[at] TIME [ab|ba|both] KEY VALUE… [for DURATION]</c>, e.g. <c>at 20s loss 100% for 5s</c>
    /// or <c>10s ab rate 5mbit</c>. TIME and DURATION take units (s, ms); a bare number is seconds here.</summary>
    public static ScheduledChange Parse(string line)
    {
        var words = new List<string>(LinkSpec.Split(line));
        if (words.Count > 0 && words[0].Equals("at", StringComparison.OrdinalIgnoreCase))
        {
            words.RemoveAt(0);
        }

        if (words.Count < 3)
        {
            throw new SpecException($"schedule '{line}': expected [at] TIME [ab|ba|both] KEY VALUE… [for DURATION]");
        }

        long at = Seconds("time", words[0]);
        words.RemoveAt(0);
        Directions dirs = ParseDirections(words[0]) is { } d ? d : Directions.Both;
        if (ParseDirections(words[0]) is not null)
        {
            words.RemoveAt(0);
        }

        long forNs = 0;
        int forAt = words.FindIndex(w => w.Equals("for", StringComparison.OrdinalIgnoreCase));
        if (forAt >= 0)
        {
            if (forAt != words.Count - 2)
            {
                throw new SpecException($"schedule '{line}': 'for DURATION' must end the line");
            }

            forNs = Seconds("for", words[^1]);
            if (forNs <= 0)
            {
                throw new SpecException($"schedule '{line}': 'for' needs a duration above zero");
            }

            words.RemoveRange(forAt, 2);
        }

        LinkChange change = LinkSpec.Parse(words);
        return change.Keys == LinkKeys.None
            ? throw new SpecException($"schedule '{line}': nothing to change")
            : new ScheduledChange(at, dirs, change, forNs);
    }

    public static Directions? ParseDirections(string word) => word.ToLowerInvariant() switch
    {
        "ab" or "a2b" => Directions.AtoB,
        "ba" or "b2a" => Directions.BtoA,
        "both" => Directions.Both,
        _ => null,
    };

    // A bare number is seconds in a schedule ("at 10 rate 5mbit").
    private static long Seconds(string what, string text) =>
        double.TryParse(text, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out double s)
            ? (long)Math.Round(s * 1e9)
            : Units.DurationNs(what, text);
}

/// <summary>A schedule: its changes sorted by time (stable: lines at the same time apply in the order written).</summary>
internal sealed class Schedule(IEnumerable<ScheduledChange> changes)
{
    public static readonly Schedule Empty = new([]);

    public IReadOnlyList<ScheduledChange> Changes { get; } = [.. changes.OrderBy(c => c.AtNs)];

    public static Schedule ParseFile(string path)
    {
        var changes = new List<ScheduledChange>();
        int n = 0;
        foreach (string raw in File.ReadLines(path))
        {
            n++;
            string line = raw.Split('#')[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                changes.Add(ScheduledChange.Parse(line));
            }
            catch (SpecException e)
            {
                throw new SpecException($"{path}:{n}: {e.Message}");
            }
        }

        return new Schedule(changes);
    }

    public Schedule With(ScheduledChange change) => new([.. Changes, change]);
}

/// <summary>
/// One direction's walk through a schedule: applies the changes that are due, in time order, and the reverts of
/// <c>for</c> changes (a revert puts back the values the keys had just before the change; at equal times reverts go
/// first). Runs on the forwarding thread only; allocates only when a change is applied.
/// </summary>
internal sealed class ScheduleCursor(Directions direction)
{
    private readonly List<(long At, LinkChange Revert)> _reverts = [];
    private Schedule _schedule = Schedule.Empty;
    private long _zero;
    private int _next;

    /// <summary>Absolute time (same clock as the <c>now</c> given to <see cref="Advance"/>) of the next change; long.MaxValue if none.</summary>
    public long NextAtNs
    {
        get
        {
            long next = _reverts.Count > 0 ? _reverts[0].At : long.MaxValue;
            for (int i = _next; i < _schedule.Changes.Count; i++)
            {
                if ((_schedule.Changes[i].Directions & direction) != 0)
                {
                    return Math.Min(next, _zero + _schedule.Changes[i].AtNs);
                }
            }

            return next;
        }
    }

    /// <summary>Starts <paramref name="schedule"/> with time zero at <paramref name="zero"/>; pending reverts of the old one are dropped
    /// (the caller resets the parameters to its base values).</summary>
    public void Start(Schedule schedule, long zero)
    {
        _schedule = schedule;
        _zero = zero;
        _next = 0;
        _reverts.Clear();
    }

    /// <summary>Swaps in <paramref name="schedule"/> (the same changes plus new ones) at the same zero; changes due at or
    /// before <paramref name="now"/> count as done (the caller has advanced to <paramref name="now"/> already).</summary>
    public void Extend(Schedule schedule, long now)
    {
        _schedule = schedule;
        _next = 0;
        while (_next < schedule.Changes.Count && _zero + schedule.Changes[_next].AtNs <= now)
        {
            _next++;
        }
    }

    /// <summary>Applies everything due at <paramref name="now"/> to <paramref name="current"/>; true if anything changed.</summary>
    public bool Advance(long now, ref LinkParams current)
    {
        bool changed = false;
        while (true)
        {
            while (_next < _schedule.Changes.Count && (_schedule.Changes[_next].Directions & direction) == 0)
            {
                _next++;
            }

            long revertAt = _reverts.Count > 0 ? _reverts[0].At : long.MaxValue;
            long changeAt = _next < _schedule.Changes.Count ? _zero + _schedule.Changes[_next].AtNs : long.MaxValue;
            if (Math.Min(revertAt, changeAt) > now)
            {
                return changed;
            }

            if (revertAt <= changeAt)
            {
                current = _reverts[0].Revert.ApplyTo(current);
                _reverts.RemoveAt(0);
            }
            else
            {
                ScheduledChange c = _schedule.Changes[_next++];
                if (c.ForNs > 0)
                {
                    long at = changeAt + c.ForNs;
                    int i = _reverts.FindIndex(r => r.At > at);
                    _reverts.Insert(i < 0 ? _reverts.Count : i, (at, c.Change.RevertOn(current)));
                }

                current = c.Change.ApplyTo(current);
            }

            changed = true;
        }
    }
}
