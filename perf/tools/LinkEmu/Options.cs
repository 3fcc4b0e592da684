using System.Globalization;

namespace MptFast.Perf.LinkEmu;

/// <summary>What one emulator process does: the two interfaces, each direction's start values, the schedule and the knobs.</summary>
internal sealed record Options(string InterfaceA, string InterfaceB, LinkParams AtoB, LinkParams BtoA, Schedule Schedule,
    string? ControlPath, bool Ring, int Frames, ulong Seed, double Seconds)
{
    public const string Usage = """
        LinkEmu — user-space link emulator between two interfaces (MptFast perf/test testbeds, perf/tools/LinkEmu/README.md)

        usage:
          LinkEmu --a IF --b IF [--both "SPEC"] [--ab "SPEC"] [--ba "SPEC"] [--at "SCHEDULE LINE"]… [--schedule FILE]
                  [--control SOCKET] [--rx ring|mmsg] [--frames N] [--seed N] [--seconds S]
          LinkEmu --help

        Forwards every Ethernet frame arriving on interface --a out of --b (direction "ab") and every frame arriving on
        --b out of --a ("ba"), through a model of a link per direction: loss, duplication, a byte-limited queue in front
        of a serializer at the link rate (tail drop), then the one-way delay with jitter. Only the two interfaces named
        are opened, in the network namespace the process runs in (AF_PACKET, RX ring + sendmmsg; root or CAP_NET_RAW).
        Offloads must be off on the veths feeding it (tx/tso/gso; frames above 1982 bytes are counted and dropped).

        SPEC: KEY VALUE words; --both sets both directions, --ab/--ba one (applied after --both). Keys:
          delay 10ms            one-way delay (units ns, us, ms, s; bare number = ms; fractions allowed: 2.5ms)
          jitter 5ms            uniform jitter ±5ms around the delay (never below 0)
          order keep|reorder    keep (default): jitter never reorders; reorder: frames may overtake (netem-like)
          rate 50mbit           serializer rate over the Ethernet frame bytes (bit, kbit, mbit, gbit); 0 = unlimited
          queue 64kib|50ms|auto queue limit in bytes (b, kb, kib, mb, mib) or as time at the rate; auto (default) =
                                max(50ms × rate, 64 KiB); a frame that does not fit is dropped (tail drop)
          loss 1%               independent loss of IP frames (ARP and other protocols are never lost)
          gemodel P [R [B [G]]] Gilbert–Elliott burst loss of IP frames (netem's "loss gemodel p r 1-h 1-k"):
                                P good→bad, R bad→good (default 100%-P), loss B in bad (100%), G in good (0%); "gemodel off"
          dup 0.5%              duplicate IP frames
          overhead N            bytes added to each frame's length for the rate (e.g. -14: count IP bytes only)

        SCHEDULE LINE: [at] TIME [ab|ba|both] KEY VALUE… [for DURATION] — TIME after the start (or after the last
        "schedule restart"), e.g. --at "10s rate 5mbit" --at "20s loss 100% for 5s"; a bare number is seconds. "for"
        puts the changed keys back to the values they had just before. --schedule FILE: one line each, # comments.

        --control SOCKET   a Unix stream socket taking one command per line, answering one line ("ok …" or "error: …"):
                             set [ab|ba|both] KEY VALUE…     change now (also the base a restart returns to)
                             at TIME [ab|ba|both] KEY VALUE… [for D]   add a schedule line (TIME still ahead)
                             schedule restart | schedule clear   back to the base values; zero = now (clear: no lines)
                             show | stats | help             the values in force | the counters as JSON | this list
        --rx ring|mmsg     receive with a TPACKET_V2 RX ring (default) or with recvmmsg
        --frames N         frame slots per direction (default 16384, 2 KiB each): frames queued + on the delay line
        --seed N           random seed for loss, duplication and jitter (default: from the clock; printed when ready)
        --seconds S        stop after S seconds (default: run until SIGTERM/SIGINT)

        Prints "linkemu: ready a=IF b=IF zero=NS rx=… seed=N" on stderr once forwarding (NS: CLOCK_MONOTONIC of the
        schedule's zero). SIGUSR1 prints the counters as one JSON line on stdout; so does the exit. Counters per
        direction: received, forwarded, duplicated, drops by reason (loss, burst_loss, queue_full, pool_empty, too_big,
        send_error, ring_full), queue high water in bytes, frames in flight at most.

        exit status: 0 stopped (signal or --seconds); 1 a system call failed; 2 usage error.
        """;

    public static Options Parse(string[] args)
    {
        string? a = null, b = null, control = null;
        LinkChange both = LinkChange.None, ab = LinkChange.None, ba = LinkChange.None;
        var changes = new List<ScheduledChange>();
        bool ring = true;
        int frames = 16384;
        ulong seed = (ulong)DateTime.UtcNow.Ticks;
        double seconds = 0;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (i + 1 >= args.Length)
            {
                throw new SpecException($"{name} needs a value (see --help)");
            }

            string value = args[++i];
            try
            {
                switch (name)
                {
                    case "--a": a = Interface(name, value); break;
                    case "--b": b = Interface(name, value); break;
                    case "--both": both = LinkSpec.Parse(value); break;
                    case "--ab": ab = LinkSpec.Parse(value); break;
                    case "--ba": ba = LinkSpec.Parse(value); break;
                    case "--at": changes.Add(ScheduledChange.Parse(value)); break;
                    case "--schedule": changes.AddRange(Schedule.ParseFile(value).Changes); break;
                    case "--control": control = value; break;
                    case "--rx":
                        ring = value switch
                        {
                            "ring" => true,
                            "mmsg" => false,
                            _ => throw new SpecException($"expected ring or mmsg, got '{value}'"),
                        };
                        break;
                    case "--frames": frames = (int)Whole(value, 256, 1 << 20); break;
                    case "--seed": seed = (ulong)Whole(value, 0, long.MaxValue); break;
                    case "--seconds":
                        seconds = double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double s) && s > 0 && s <= 86400
                            ? s : throw new SpecException($"expected seconds above 0 and at most 86400, got '{value}'");
                        break;
                    default:
                        throw new SpecException("unknown option (see --help)");
                }
            }
            catch (SpecException e) when (!e.Message.StartsWith(name, StringComparison.Ordinal))
            {
                throw new SpecException($"{name}: {e.Message}");
            }
            catch (FileNotFoundException)
            {
                throw new SpecException($"{name}: no such file '{value}'");
            }
        }

        if (a is null || b is null)
        {
            throw new SpecException("both --a IF and --b IF are needed (see --help)");
        }

        if (a == b)
        {
            throw new SpecException($"--a and --b name the same interface '{a}'");
        }

        LinkParams common = both.ApplyTo(LinkParams.Default);
        return new Options(a, b, ab.ApplyTo(common), ba.ApplyTo(common), new Schedule(changes), control, ring, frames, seed, seconds);
    }

    private static string Interface(string name, string value) =>
        value.Length is > 0 and < 16 && !value.Contains('/') && !value.Any(char.IsWhiteSpace)
            ? value : throw new SpecException($"{name} '{value}': not an interface name (1–15 characters, no '/' or spaces)");

    private static long Whole(string text, long min, long max) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v) && v >= min && v <= max
            ? v : throw new SpecException($"expected a whole number from {min} to {max}, got '{text}'");
}
