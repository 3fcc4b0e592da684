using System.Globalization;
using System.Text.Json;
using MptFast.Integration.Tests.Support;

namespace MptFast.Integration.Tests;

/// <summary>
/// perf/tools/LinkEmu on real interfaces, through <see cref="Testbed.Create"/>'s emulated paths: the testbed still pings
/// across every path, and the emulator does what its spec says within the issue's tolerances — idle RTT = 2 × delay
/// ± 0.3 ms, TCP through a 50 Mbit/s link at that rate ± 3 %, random loss within its 4-sigma binomial bound, and a
/// scheduled change in force within 10 ms of its time. Each test also checks the emulator's own counters, so a test
/// cannot pass with traffic that bypassed the emulator.
/// </summary>
public class LinkEmuTests
{
    private static string Probe => Path.Combine(TestEnvironment.ScriptsDir, "timed_udp.py");

    [Fact]
    public void Emulated_two_path_testbed_pings_across_both_paths_through_the_emulators()
    {
        using Testbed tb = Testbed.Create(paths: 2, emulated: [new LinkSpec(15, 1), new LinkSpec(5, 25)]);
        foreach ((int path, double minRtt) in new[] { (1, 2.0), (2, 50.0) })
        {
            foreach (string target in (string[])[$"198.18.{path}.2", $"fd00:{path}::2"])
            {
                ProcResult r = tb.Exec('a', TimeSpan.FromSeconds(30), "ping", "-n", "-c", "3", "-i", "0.2", "-w", "10", target);
                Assert.True(r.ExitCode == 0, $"ping {target}: {r.All}");
                Assert.All(Rtts(r.Stdout), rtt => Assert.True(rtt >= minRtt, $"{target}: RTT {rtt} ms below 2 × the path's delay"));
            }

            JsonElement stats = tb.Link(path).Stats();
            Assert.True(stats.GetProperty("ab").GetProperty("forwarded").GetInt64() >= 6, $"path {path}: {stats}");
            Assert.True(stats.GetProperty("ba").GetProperty("forwarded").GetInt64() >= 6, $"path {path}: {stats}");
        }

        Assert.True(File.Exists($"/run/netns/{tb.E}"));
    }

    [Fact]
    public void The_tunnel_runs_over_emulated_paths_and_a_path_changed_at_run_time_shows_in_its_rtt()
    {
        using var fx = new TunnelFixture(new TunnelSpec([new PathSpec(1), new PathSpec(2)]),
            [new LinkSpec(20, 1), new LinkSpec(20, 1)]);
        fx.Ping('a', v6: false);
        fx.Ping('a', v6: true);
        // Both paths 30 ms each way, set while the daemons run: every tunnel ping now takes at least 60 ms.
        fx.Testbed.Link(1).Set("delay 30ms");
        fx.Testbed.Link(2).Set("delay 30ms");
        ProcResult r = fx.Testbed.Exec('a', TimeSpan.FromSeconds(30), "ping", "-n", "-c", "4", "-i", "0.2", "-w", "10", TunnelSpec.TunnelAddress('b'));
        Assert.True(r.ExitCode == 0, r.All);
        Assert.All(Rtts(r.Stdout), rtt => Assert.InRange(rtt, 60, 200));
        Assert.True(fx.Testbed.Link(2).Stats().GetProperty("ab").GetProperty("forwarded").GetInt64() > 0, "no tunnel traffic on path 2");
    }

    [Fact]
    public void Idle_ping_rtt_is_twice_the_one_way_delay_within_0_3_ms()
    {
        const double Delay = 7.5;   // fractional milliseconds, each way
        using Testbed tb = Testbed.Create(paths: 1, emulated: [new LinkSpec(0, Delay)], v6: false);
        ProcResult r = tb.Exec('a', TimeSpan.FromSeconds(30), "ping", "-n", "-c", "21", "-i", "0.1", "198.18.1.2");
        Assert.True(r.ExitCode == 0, r.All);
        double[] rtts = [.. Rtts(r.Stdout).Skip(1)];   // the first one may include a neighbour lookup
        Assert.Equal(20, rtts.Length);
        double min = rtts.Min(), median = rtts.Order().ElementAt(rtts.Length / 2);
        // The minimum is the emulator's own RTT: the rest is scheduling noise of a shared machine (median reported).
        Assert.True(Math.Abs(min - (2 * Delay)) <= 0.3 + 1e-9, $"min RTT {min} ms, median {median} ms, expected {2 * Delay} ± 0.3 ms: {string.Join(' ', rtts)}");
        Assert.True(tb.Link(1).Stats().GetProperty("ab").GetProperty("forwarded").GetInt64() >= 21);
    }

    [Fact]
    public void Tcp_through_a_50_mbit_link_gets_the_link_rate_within_3_percent()
    {
        using Testbed tb = Testbed.Create(paths: 1, emulated: [new LinkSpec(50, 2)], v6: false);
        using var server = BackgroundProcess.Start(tb.B, "iperf3", "-s", "-1", "-p", "5301");
        Wait.Until(() => tb.Listening('b', 5301), TimeSpan.FromSeconds(10), "iperf3 listening on 5301");
        ProcResult r = tb.Exec('a', TimeSpan.FromSeconds(40), "iperf3", "-c", "198.18.1.2", "-p", "5301", "-t", "6", "-O", "1", "-J", "--connect-timeout", "5000");
        Assert.True(r.ExitCode == 0, r.All);
        using JsonDocument doc = JsonDocument.Parse(r.Stdout);
        double goodput = doc.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
        int mss = doc.RootElement.GetProperty("start").GetProperty("tcp_mss_default").GetInt32();
        // The rate counts Ethernet frame bytes (like tbf and netem): each MSS of payload costs MSS + 66 bytes (Ethernet 14,
        // IPv4 20, TCP 20 + 12 of timestamps), so 50 Mbit/s of frames carry 50 × MSS / (MSS + 66) Mbit/s of goodput.
        double expected = 50e6 * mss / (mss + 66);
        Assert.True(Math.Abs(goodput - expected) <= 0.03 * expected,
            $"goodput {goodput / 1e6:0.00} Mbit/s, expected {expected / 1e6:0.00} ± 3 % (MSS {mss})");
        JsonElement ab = tb.Link(1).Stats().GetProperty("ab");
        Assert.True(ab.GetProperty("forwarded_bytes").GetInt64() > 50e6 / 8 * 4, $"the emulator did not carry the load: {ab}");
    }

    [Fact]
    public void Random_loss_of_10_percent_stays_within_the_4_sigma_binomial_bound()
    {
        const int Count = 10000;
        using Testbed tb = Testbed.Create(paths: 1, emulated: [new LinkSpec { LossPercent = 10 }], v6: false);
        (long received, _) = UdpCount(tb, Count, rate: 5000);
        long lost = Count - received;
        double sigma = Math.Sqrt(Count * 0.1 * 0.9);
        Assert.True(Math.Abs(lost - (Count * 0.1)) <= 4 * sigma, $"{lost} of {Count} lost, expected 1000 ± {4 * sigma:0}");
        // Every datagram missing was dropped by the emulator's loss, not anywhere else. Its count may also hold a few of
        // a's own IPv6 frames (router solicitations, MLD), at most the frames it saw beyond the datagrams.
        JsonElement ab = tb.Link(1).Stats().GetProperty("ab");
        long emulatorLost = ab.GetProperty("drops").GetProperty("loss").GetInt64();
        long otherFrames = ab.GetProperty("received").GetInt64() - Count;
        Assert.True(emulatorLost >= lost && emulatorLost <= lost + otherFrames,
            $"{lost} datagrams lost, the emulator dropped {emulatorLost} frames and saw {otherFrames} frames besides the datagrams");
    }

    [Fact]
    public void A_scheduled_outage_starts_and_ends_within_10_ms_of_its_times()
    {
        using Testbed tb = Testbed.Create(paths: 1, emulated: [new LinkSpec(0, 1) { Schedule = ["1s loss 100% for 1s"] }], v6: false);
        InOneOfThreeAttempts(() =>
        {
            long zero = tb.Link(1).RestartSchedule();
            var got = TimedProbe(tb, count: 3000, intervalMs: 1, size: 100);   // 3 s, one datagram a millisecond
            var receivedSeqs = got.Select(g => g.Seq).ToHashSet();
            long firstLost = Enumerable.Range(0, 3000).First(s => !receivedSeqs.Contains(s));
            long resumed = Enumerable.Range((int)firstLost, 3000 - (int)firstLost).First(s => receivedSeqs.Contains(s));
            double start = SendMs(got, zero, firstLost - 1) + 1, end = SendMs(got, zero, resumed);
            Assert.True(got.Skip(got.FindIndex(g => g.Seq == resumed)).All(g => g.Seq >= resumed), "datagrams arrived out of order");
            return (Math.Abs(start - 1000) <= 10 && Math.Abs(end - 2000) <= 10,
                $"the outage began at {start:0.0} ms and ended at {end:0.0} ms, expected 1000 ± 10 and 2000 ± 10");
        });
    }

    [Fact]
    public void A_scheduled_rate_change_is_in_force_within_10_ms_of_its_time()
    {
        // 1000-byte datagrams every 2 ms (4 Mbit/s) through 100 Mbit/s; at 1 s the rate drops to 2 Mbit/s, where each frame
        // takes 4.2 ms to serialize: from then on the one-way delay grows by ~2 ms per datagram.
        using Testbed tb = Testbed.Create(paths: 1, emulated: [new LinkSpec(100, 1) { Schedule = ["1s rate 2mbit"], Queue = "1mib" }], v6: false);
        InOneOfThreeAttempts(() =>
        {
            long zero = tb.Link(1).RestartSchedule(); // back to 100 Mbit/s: the last attempt's queue drains at once
            var got = TimedProbe(tb, count: 750, intervalMs: 2, size: 1000);
            double baseline = got.Take(100).Min(g => g.OneWayMs);
            // The change is where the queue starts to grow for good: the first datagram from which on 20 in a row are
            // slower than the baseline by 2 ms (a lone late one is the shared machine's scheduling, not the link).
            int first = Enumerable.Range(0, got.Count - 20).First(i => got.Skip(i).Take(20).All(g => g.OneWayMs > baseline + 2));
            double at = (got[first].SentNs - zero) / 1e6;
            Assert.True(got[^1].OneWayMs > 100, $"the queue never grew at 2 Mbit/s: last one-way delay {got[^1].OneWayMs:0.0} ms");
            // It was sent at most one interval (2 ms) after the change, or just before it while still being serialized.
            return (Math.Abs(at - 1000) <= 10, $"the first datagram slowed by the new rate was sent at {at:0.0} ms, expected 1000 ± 10 " +
                $"(baseline {baseline:0.00} ms; around it: {string.Join(' ', got.Skip(Math.Max(0, first - 3)).Take(6).Select(g => $"{(g.SentNs - zero) / 1e6:0.0}:{g.OneWayMs:0.00}"))})");
        });
    }

    /// <summary>
    /// A schedule step's timing, measured up to three times: the first attempt within the bound passes, and a failure
    /// lists every attempt. On this 2-core VM a step was once 31 ms late in a full CI run, with the link's baseline
    /// one-way delay at 5.3 ms where it is 1.1 ms on a quiet machine, and never in runs alone — the emulator's thread
    /// can be kept off both cores for tens of milliseconds (the kernel tearing down the previous test's namespaces, a
    /// steal); a late step in every attempt is the emulator's.
    /// </summary>
    private static void InOneOfThreeAttempts(Func<(bool Ok, string Detail)> attempt)
    {
        var details = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            (bool ok, string detail) = attempt();
            if (ok)
            {
                return;
            }

            details.Add(detail);
        }

        Assert.Fail("in all three attempts: " + string.Join("; ", details));
    }

    private static double[] Rtts(string pingOutput) =>
        [.. pingOutput.Split('\n').Where(l => l.Contains("time=", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(l.IndexOf("time=", StringComparison.Ordinal) + 5)..].Split(' ')[0], CultureInfo.InvariantCulture))];

    private static double SendMs(List<Arrival> got, long zero, long seq) => (got.First(g => g.Seq == seq).SentNs - zero) / 1e6;

    private static (long Received, long Sent) UdpCount(Testbed tb, int count, int rate)
    {
        using var receiver = BackgroundProcess.Start(tb.B, "dotnet", UdpLoadDll, "recv", "--bind", "198.18.1.2:47300", "--seconds", "30");
        receiver.WaitForStderr("udpload: receiving on", TimeSpan.FromSeconds(15));
        ProcResult send = tb.Exec('a', TimeSpan.FromSeconds(30), "dotnet", UdpLoadDll, "send", "--to", "198.18.1.2:47300",
            "--size", "200", "--seconds", "10", "--rate", rate.ToString(CultureInfo.InvariantCulture), "--count", count.ToString(CultureInfo.InvariantCulture));
        Assert.True(send.ExitCode == 0, send.All);
        (int code, string stdout, string stderr) = receiver.WaitForExit(TimeSpan.FromSeconds(10));
        Assert.True(code == 0, stdout + stderr);
        using JsonDocument sent = JsonDocument.Parse(send.Stdout), got = JsonDocument.Parse(stdout);
        Assert.Equal(count, sent.RootElement.GetProperty("datagrams").GetInt64());
        return (got.RootElement.GetProperty("datagrams").GetInt64(), count);
    }

    private static List<Arrival> TimedProbe(Testbed tb, int count, int intervalMs, int size)
    {
        double seconds = (count * intervalMs / 1000.0) + 10;
        using var receiver = BackgroundProcess.Start(tb.B, Proc.Python, Probe, "recv", "198.18.1.2", "47400", seconds.ToString(CultureInfo.InvariantCulture));
        receiver.WaitForStderr("listening", TimeSpan.FromSeconds(10));
        ProcResult send = tb.Exec('a', TimeSpan.FromSeconds(seconds + 10), Proc.Python, Probe, "send", "198.18.1.2", "47400",
            count.ToString(CultureInfo.InvariantCulture), intervalMs.ToString(CultureInfo.InvariantCulture), size.ToString(CultureInfo.InvariantCulture));
        Assert.True(send.ExitCode == 0, send.All);
        (int code, string stdout, string stderr) = receiver.WaitForExit(TimeSpan.FromSeconds(seconds + 5));
        Assert.True(code == 0, stdout + stderr);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        return [.. doc.RootElement.GetProperty("received").EnumerateArray()
            .Select(a => new Arrival(a[0].GetInt64(), a[1].GetInt64(), a[2].GetInt64()))];
    }

    private static string UdpLoadDll => TestEnvironment.PerfToolDll("UdpLoad");

    private sealed record Arrival(long Seq, long SentNs, long ReceivedNs)
    {
        public double OneWayMs => (ReceivedNs - SentNs) / 1e6;
    }
}
