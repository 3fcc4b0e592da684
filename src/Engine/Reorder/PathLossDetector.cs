using MptFast.Engine.Wire;

namespace MptFast.Engine.Reorder;

/// <summary>
/// Receive side of the tunnel's loss recovery on one path: an MptFast peer numbers the datagrams of each path in the
/// GRE key field (per-path sequence, consecutive on the path, unlike the connection's sequence number which is spread
/// over all paths), so a gap here is a loss on this path — or a reordering inside it, which a short tolerance absorbs.
/// Gaps become <see cref="LossRange"/>s that the receive thread reports to the peer in a probe; the peer retransmits
/// those packets (with their connection sequence numbers, on its best path) and the reorder buffer fills the hole.
/// Each range is reported <see cref="ReportsPerRange"/> times (a report may be lost) and forgotten after
/// <see cref="ForgetAfterMicros"/>. Bounded memory (<see cref="Capacity"/> ranges; the oldest go first). One thread
/// (the receive thread) owns it; no allocation after construction. Times in µs.
/// </summary>
public sealed class PathLossDetector
{
    /// <summary>Ranges of missing numbers kept per path.</summary>
    public const int Capacity = 64;

    /// <summary>A jump of at least this many numbers is a restart of the peer's counter, not a loss.</summary>
    public const uint ResyncDistance = 1 << 16;

    /// <summary>Reports per missing range.</summary>
    public const int ReportsPerRange = 2;

    /// <summary>Missing ranges are forgotten after this long (reported or not).</summary>
    public const long ForgetAfterMicros = 2_000_000;

    private readonly Gap[] _gaps = new Gap[Capacity];
    private int _count;
    private uint _expected;
    private bool _synchronised;

    /// <summary>How long a gap waits before it is reported: a reordering on the path fills it meanwhile.</summary>
    public long ToleranceMicros { get; set; } = 1_000;

    /// <summary>How long after a report the same range is reported again (about a round-trip time: the report or the
    /// retransmission may have been lost).</summary>
    public long RepeatAfterMicros { get; set; } = 20_000;

    /// <summary>Packets received with a per-path sequence number.</summary>
    public long Received { get; private set; }

    /// <summary>Numbers found missing (each counted once).</summary>
    public long Missing { get; private set; }

    /// <summary>Missing numbers that arrived after all (reordered on the path).</summary>
    public long Reordered { get; private set; }

    /// <summary>Missing numbers dropped from the table unreported because it was full.</summary>
    public long Overflowed { get; private set; }

    /// <summary>Restarts of the peer's counter (a jump of <see cref="ResyncDistance"/> or more).</summary>
    public long Resyncs { get; private set; }

    /// <summary>Missing ranges currently tracked.</summary>
    public int Count => _count;

    /// <summary>Largest delay with which a reordered packet filled its gap (a hint for <see cref="ToleranceMicros"/>).</summary>
    public long MaxReorderMicros { get; private set; }

    /// <summary>Takes per-path number <paramref name="sequence"/> received at <paramref name="nowMicros"/>.</summary>
    public void OnReceive(uint sequence, long nowMicros)
    {
        Received++;
        if (!_synchronised)
        {
            _synchronised = true;
            _expected = sequence + 1;
            return;
        }

        uint ahead = sequence - _expected;
        if (ahead == 0)
        {
            _expected++;
            return;
        }

        if (ahead < ResyncDistance)
        {
            Add(_expected, ahead, nowMicros);
            _expected = sequence + 1;
            return;
        }

        uint behind = _expected - sequence;
        if (behind <= ResyncDistance)
        {
            Fill(sequence, nowMicros);
            return;
        }

        Resyncs++;
        _count = 0;
        _expected = sequence + 1;
    }

    /// <summary>
    /// Writes the ranges due for a report at <paramref name="nowMicros"/> into <paramref name="destination"/> (path
    /// index <paramref name="peerPathIndex"/>, the peer's numbering) and returns how many; forgets old ranges.
    /// </summary>
    public int TakeReports(long nowMicros, byte peerPathIndex, Span<LossRange> destination)
    {
        int written = 0;
        int kept = 0;
        for (int i = 0; i < _count; i++)
        {
            Gap g = _gaps[i];
            if (nowMicros - g.Detected > ForgetAfterMicros || g.Reports >= ReportsPerRange)
            {
                continue;
            }

            if (nowMicros >= g.Due && written < destination.Length)
            {
                destination[written++] = new LossRange(peerPathIndex, g.Count, g.First);
                g.Reports++;
                g.Due = nowMicros + RepeatAfterMicros;
            }

            if (g.Reports < ReportsPerRange)
            {
                _gaps[kept++] = g;
            }
        }

        _count = kept;
        return written;
    }

    /// <summary>True when some range is waiting for its (first or repeated) report.</summary>
    public bool HasPending => _count > 0;

    /// <summary>When the next report is due (long.MaxValue when none).</summary>
    public long NextDueMicros
    {
        get
        {
            long due = long.MaxValue;
            for (int i = 0; i < _count; i++)
            {
                due = Math.Min(due, _gaps[i].Due);
            }

            return due;
        }
    }

    private void Add(uint first, uint count, long nowMicros)
    {
        Missing += count;
        while (count > 0)
        {
            ushort n = (ushort)Math.Min(count, ushort.MaxValue);
            if (_count == Capacity)
            {
                Overflowed += _gaps[0].Count;
                Array.Copy(_gaps, 1, _gaps, 0, Capacity - 1);
                _count--;
            }

            _gaps[_count++] = new Gap(first, n, nowMicros, nowMicros + ToleranceMicros, 0);
            first += n;
            count -= n;
        }
    }

    private void Fill(uint sequence, long nowMicros)
    {
        for (int i = 0; i < _count; i++)
        {
            Gap g = _gaps[i];
            uint offset = sequence - g.First;
            if (offset >= g.Count)
            {
                continue;
            }

            Reordered++;
            MaxReorderMicros = Math.Max(MaxReorderMicros, nowMicros - g.Detected);
            if (g.Count == 1)
            {
                Array.Copy(_gaps, i + 1, _gaps, i, _count - i - 1);
                _count--;
            }
            else if (offset == 0)
            {
                _gaps[i] = g with { First = g.First + 1, Count = (ushort)(g.Count - 1) };
            }
            else if (offset == g.Count - 1u)
            {
                _gaps[i] = g with { Count = (ushort)(g.Count - 1) };
            }
            else
            {
                // Split: the head stays, the tail becomes a range of its own (or is lost when the table is full).
                _gaps[i] = g with { Count = (ushort)offset };
                if (_count < Capacity)
                {
                    _gaps[_count++] = g with { First = sequence + 1, Count = (ushort)(g.Count - offset - 1) };
                }
                else
                {
                    Overflowed += g.Count - offset - 1;
                }
            }

            return;
        }
    }

    private record struct Gap(uint First, ushort Count, long Detected, long Due, int Reports);
}
