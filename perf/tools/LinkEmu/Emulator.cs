using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MptFast.Perf.LinkEmu;

/// <summary>
/// The two directions of one emulated link and what can be asked of them: run, stop, report counters, and the
/// control commands (shared by the control socket and tests). Commands post messages to the forwarding threads and
/// wait until both have applied them, so "ok" means the change is in force.
/// </summary>
internal sealed class Emulator : IDisposable
{
    private static readonly TimeSpan s_applyTimeout = TimeSpan.FromSeconds(2);
    private readonly Options _options;
    private readonly Forwarder[] _directions;
    private readonly Thread[] _threads;
    private readonly Lock _control = new();
    private Schedule _schedule;
    private long _zero;

    public Emulator(Options options)
    {
        _options = options;
        _schedule = options.Schedule;
        _zero = MonotonicClock.NowNs;
        var ab = new Forwarder(Directions.AtoB, options.InterfaceA, options.InterfaceB, options.AtoB, _schedule, _zero,
            options.Ring, options.Frames, options.Seed);
        try
        {
            _directions = [ab, new Forwarder(Directions.BtoA, options.InterfaceB, options.InterfaceA, options.BtoA, _schedule, _zero,
                options.Ring, options.Frames, options.Seed ^ 0x5DEECE66DUL)];
        }
        catch
        {
            ab.Dispose();
            throw;
        }

        _threads = [.. _directions.Select(d => new Thread(d.Run) { Name = "linkemu-" + d.Name, IsBackground = true })];
    }

    /// <summary>CLOCK_MONOTONIC of the schedule's time zero.</summary>
    public long Zero => Volatile.Read(ref _zero);

    public void Start()
    {
        foreach (Thread t in _threads)
        {
            t.Start();
        }
    }

    public void Stop()
    {
        foreach (Forwarder d in _directions)
        {
            d.Stop();
        }

        foreach (Thread t in _threads)
        {
            t.Join();
        }
    }

    /// <summary>All counters as one JSON object (one line).</summary>
    public string StatsJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("a", _options.InterfaceA);
            json.WriteString("b", _options.InterfaceB);
            json.WriteNumber("now_ns", MonotonicClock.NowNs);
            json.WriteNumber("zero_ns", Zero);
            foreach (Forwarder d in _directions)
            {
                d.CollectKernelDrops();
                d.Counters.Write(json, d.Name, d.Current);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Runs one control command line; returns the one-line answer ("ok …" or "error: …").</summary>
    public string Execute(string line)
    {
        string[] words = LinkSpec.Split(line);
        if (words.Length == 0)
        {
            return "error: empty command (try help)";
        }

        try
        {
            lock (_control)
            {
                return words[0].ToLowerInvariant() switch
                {
                    "set" => Set(words[1..]),
                    "at" => At(line),
                    "schedule" when words.Length == 2 && words[1] is "restart" or "clear" => Restart(clear: words[1] == "clear"),
                    "show" => "ok " + string.Join("; ", _directions.Select(d => $"{d.Name}: {d.Current}")) +
                              $"; schedule: {_schedule.Changes.Count} lines, t = {Seconds(MonotonicClock.NowNs - Zero)} s",
                    "stats" => StatsJson(),
                    "help" => "ok commands: set [ab|ba|both] KEY VALUE… | at TIME [ab|ba|both] KEY VALUE… [for D] | " +
                              "schedule restart | schedule clear | show | stats | help",
                    _ => $"error: unknown command '{words[0]}' (try help)",
                };
            }
        }
        catch (SpecException e)
        {
            return "error: " + e.Message;
        }
    }

    public void Dispose()
    {
        foreach (Forwarder d in _directions)
        {
            d.Dispose();
        }
    }

    private string Set(string[] words)
    {
        Directions dirs = words.Length > 0 && ScheduledChange.ParseDirections(words[0]) is { } d ? d : Directions.Both;
        LinkChange change = LinkSpec.Parse(dirs == Directions.Both && words.Length > 0 && words[0] != "both" ? words : words[1..]);
        if (change.Keys == LinkKeys.None)
        {
            return "error: set: nothing to change";
        }

        long at = Post(dirs, new ControlMessage.Set(change));
        return $"ok applied_ns={at.ToString(CultureInfo.InvariantCulture)}";
    }

    private string At(string line)
    {
        ScheduledChange change = ScheduledChange.Parse(line);
        long now = MonotonicClock.NowNs - Zero;
        if (change.AtNs <= now)
        {
            return $"error: at: {Seconds(change.AtNs)} s is already past (t = {Seconds(now)} s since the schedule's zero)";
        }

        _schedule = _schedule.With(change);
        Post(Directions.Both, new ControlMessage.Extend(_schedule));
        return $"ok {_schedule.Changes.Count} lines";
    }

    private string Restart(bool clear)
    {
        if (clear)
        {
            _schedule = Schedule.Empty;
        }

        long zero = MonotonicClock.NowNs;
        Volatile.Write(ref _zero, zero);
        Post(Directions.Both, new ControlMessage.Restart(_schedule, zero));
        return $"ok zero_ns={zero.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>Posts to the chosen directions and waits until they have applied it; returns the clock afterwards.</summary>
    private long Post(Directions dirs, ControlMessage message)
    {
        foreach (Forwarder d in _directions.Where(d => (d.Direction & dirs) != 0))
        {
            if (!d.WaitApplied(d.Post(message), s_applyTimeout))
            {
                throw new SpecException($"direction {d.Name} did not apply the change within {s_applyTimeout.TotalSeconds} s");
            }
        }

        return MonotonicClock.NowNs;
    }

    private static string Seconds(long ns) => (ns / 1e9).ToString("0.000", CultureInfo.InvariantCulture);
}
