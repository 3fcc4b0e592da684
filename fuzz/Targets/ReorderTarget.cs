using MptFast.Engine.Reorder;

namespace MptFast.Fuzz;

/// <summary>
/// The reorder buffer (MPT-SPEC §7 with §7.6 "Required", B20–B29) driven by sequence numbers an outsider chooses (the
/// GRE S field). Invariants: every pushed packet comes back exactly once, delivered or dropped with a reason, and the
/// buffer's counters agree with what the sink saw (pushed = delivered + late + duplicate + reset + held); between two
/// resynchronisations deliveries are strictly in sequence order — but for a given-up number that arrived after all,
/// delivered late (behind the last delivery, once); a packet at the expected number is delivered at once,
/// one inside the window ahead is held (or delivered), only a packet behind is dropped as late, and nothing is held
/// past its deadline after <see cref="ReorderBuffer.Expire{TSink}"/>.
/// </summary>
/// <remarks>Input: [window][hold], then 3 bytes per operation: [op][a][b] — push at the last sequence number + a
/// signed step, push at an absolute number, let time pass, expire, flush, reset, give up a range (the peer's notice).</remarks>
internal static class ReorderTarget
{
    private const int MaxOperations = 2000;

    public static void Run(ReadOnlySpan<byte> data)
    {
        var reader = new FuzzReader(data);
        int window = 1 + (reader.Byte() % 128);
        long hold = reader.Byte() * 10L;
        var buffer = new ReorderBuffer(window, hold);
        var log = new Log { Buffer = buffer };
        var sink = new Sink(log);
        long now = 0;
        uint last = 0;
        for (int i = 0; i < MaxOperations && !reader.AtEnd; i++)
        {
            byte op = reader.Byte(), a = reader.Byte(), b = reader.Byte();
            switch (op % 8)
            {
                case 0 or 1 or 2 or 3:
                    last += (uint)(sbyte)a;
                    Push(buffer, log, ref sink, last, now);
                    break;
                case 4:
                    last = (uint)((a << 24) | (b << 8) | a);
                    Push(buffer, log, ref sink, last, now);
                    break;
                case 5:
                    now += a * (b + 1L);
                    break;
                case 6:
                    Expire(buffer, ref sink, now);
                    break;
                default:
                    if ((op & 0x80) != 0)
                    {
                        buffer.Reset(ref sink);
                        log.Epoch++;
                    }
                    else if ((op & 0x40) != 0)
                    {
                        int marked = buffer.GiveUp(last + (uint)(sbyte)a, b, ref sink);
                        Fuzz.Require(marked >= 0 && marked <= Math.Min(b, buffer.Window), "reorder: gave up more than the range or the window");
                    }
                    else
                    {
                        buffer.Flush(ref sink);
                    }

                    break;
            }

            CheckCounters(buffer, log);
        }

        buffer.Flush(ref sink);
        CheckCounters(buffer, log);
        Fuzz.Require(buffer.Held == 0, "reorder: packets held after a flush");
        for (int h = 0; h < log.Outcomes.Count; h++)
        {
            Fuzz.Require(log.Outcomes[h] != 0, $"reorder: packet {h} never came back");
        }
    }

    private static void Push(ReorderBuffer buffer, Log log, ref Sink sink, uint seq, long now)
    {
        Expire(buffer, ref sink, now);
        bool synchronised = buffer.IsSynchronised;
        int d = (int)(seq - buffer.Expected);
        bool heldBefore = buffer.IsHeld(seq);
        int handle = log.Outcomes.Count;
        log.Outcomes.Add(0);
        log.Sequences.Add(seq);
        int heldCount = buffer.Held;
        buffer.Push(seq, handle, now, ref sink);
        byte outcome = log.Outcomes[handle];
        if (!synchronised || d == 0)
        {
            Fuzz.Require(outcome == Log.Delivered, $"reorder: the expected packet {seq} was not delivered at once");
        }
        else if (d > 0 && d < buffer.Window)
        {
            Fuzz.Require(heldBefore ? outcome == (byte)ReorderDrop.Duplicate : outcome == Log.Delivered || (outcome == 0 && buffer.Held == heldCount + 1),
                $"reorder: packet {seq} inside the window ahead was neither held nor delivered ({outcome})");
            FuzzReach.ReorderHeld += outcome == 0 ? 1 : 0;
        }
        else if (d >= buffer.Window)
        {
            Fuzz.Require(outcome == Log.Delivered, $"reorder: a jump to {seq} was not delivered");
        }
        else
        {
            Fuzz.Require(outcome is (byte)ReorderDrop.Late or Log.Delivered, $"reorder: a packet behind expected came back as {outcome}");
        }
    }

    private static void Expire(ReorderBuffer buffer, ref Sink sink, long now)
    {
        buffer.Expire(now, ref sink);
        Fuzz.Require(buffer.Held == 0 || buffer.NextDeadline > now, "reorder: a packet is held past its deadline after expire");
    }

    private static void CheckCounters(ReorderBuffer buffer, Log log)
    {
        long pushed = log.Outcomes.Count;
        Fuzz.Require(buffer.Delivered == log.Counts[Log.Delivered] && buffer.DroppedLate == log.Counts[(int)ReorderDrop.Late]
            && buffer.DroppedDuplicate == log.Counts[(int)ReorderDrop.Duplicate] && buffer.DroppedByReset == log.Counts[(int)ReorderDrop.Reset],
            "reorder: counters differ from what the sink saw");
        Fuzz.Require(pushed == buffer.Delivered + buffer.DroppedLate + buffer.DroppedDuplicate + buffer.DroppedByReset + buffer.Held,
            $"reorder: {pushed} pushed but delivered + dropped + held = {buffer.Delivered + buffer.DroppedLate + buffer.DroppedDuplicate + buffer.DroppedByReset + buffer.Held}");
        Fuzz.Require(buffer.Held >= 0 && buffer.Held < buffer.Window, "reorder: more held than the window");
    }

    /// <summary>What became of each handle (0 = still out, 4 = delivered, else the <see cref="ReorderDrop"/>).</summary>
    private sealed class Log
    {
        public const byte Delivered = 4;

        public List<byte> Outcomes { get; } = [];

        public List<uint> Sequences { get; } = [];

        public long[] Counts { get; } = new long[5];

        public ReorderBuffer? Buffer { get; init; }

        public int Epoch { get; set; }

        public long LastEpochKey { get; set; } = -1;

        public uint LastDelivered { get; set; }

        public long LastLateCount { get; set; }

        public void Record(int handle, byte outcome)
        {
            Fuzz.Require(handle >= 0 && handle < Outcomes.Count && Outcomes[handle] == 0, $"reorder: handle {handle} came back twice or was never pushed");
            Outcomes[handle] = outcome;
            Counts[outcome]++;
            if (outcome != Delivered)
            {
                return;
            }

            // Between two resynchronisations (or resets) deliveries go strictly up in serial order, but for a number given
            // up and then arriving after all: that one is behind the expected number (and when it is behind the last
            // delivery too, leaves it where it was).
            uint seq = Sequences[handle];
            long late = Buffer?.DeliveredLate ?? 0;
            if (late != LastLateCount)
            {
                // Behind the stream's next expected number (it was passed without it); it may be ahead of the last
                // delivery when the numbers between were all given up.
                uint expected = Buffer!.Expected;
                Fuzz.Require(late == LastLateCount + 1 && (int)(seq - expected) < 0, $"reorder: late delivery of {seq} not behind expected {expected}");
                LastLateCount = late;
                if ((int)(seq - LastDelivered) <= 0)
                {
                    return;
                }
            }

            long key = ((long)Epoch << 32) | (uint)(Buffer?.Resyncs ?? 0);
            Fuzz.Require(key != LastEpochKey || (int)(seq - LastDelivered) > 0, $"reorder: delivered {seq} after {LastDelivered}");
            LastEpochKey = key;
            LastDelivered = seq;
        }
    }

    private readonly struct Sink(Log log) : IReorderSink
    {
        public void Deliver(int handle) => log.Record(handle, Log.Delivered);

        public void Drop(int handle, ReorderDrop reason) => log.Record(handle, (byte)reason);
    }
}
