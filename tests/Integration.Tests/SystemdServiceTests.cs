using System.Diagnostics;
using System.Globalization;
using MptFast.Integration.Tests.Support;

namespace MptFast.Integration.Tests;

/// <summary>
/// `mptfast run` under a service manager (issue 16): the sd_notify messages a Type=notify unit needs reach a fake
/// NOTIFY_SOCKET in order — READY=1 with the paths up, STATUS= when a path goes down, RELOADING=1/READY=1 around a
/// reload by SIGHUP and by `mpt reload`, STOPPING=1 — and WATCHDOG=1 comes while the datapath threads turn and stops
/// while one of them is stuck (stopped alone with ptrace, the process living on), then comes back.
/// </summary>
public class SystemdServiceTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(30);
    private const string BothUp = "STATUS=tunnel.conf: 2/2 paths up";
    private const string OneUp = "STATUS=tunnel.conf: 1/2 paths up";

    private static Dictionary<string, string> Environment(NotifyListener notify) => new()
    {
        ["NOTIFY_SOCKET"] = notify.Path,
        ["WATCHDOG_USEC"] = "2000000",
    };

    [Fact]
    public void Daemon_notifies_ready_status_reloading_ready_and_stopping_in_order()
    {
        using var notify = new NotifyListener();
        using var t = new TunnelFixture(new TunnelSpec([new PathSpec(1), new PathSpec(2)]) { WithIpv6Connection = false }, null, Environment(notify));
        notify.WaitFor(m => m.StartsWith("READY=1", StringComparison.Ordinal), Short, "READY=1", () => t.A.Log);
        Assert.Equal("READY=1\n" + BothUp, notify.States[0]);

        t.A.Cli("path", "down", "198.18.2.1", "198.18.2.2");
        notify.WaitFor(m => m == OneUp, Short, OneUp, () => t.A.Log);

        long before = Micros(Stopwatch.GetTimestamp());
        t.A.Signal("HUP");
        notify.WaitFor(m => m == "READY=1\n" + OneUp, Short, "READY=1 after SIGHUP", () => t.A.Log);
        long after = Micros(Stopwatch.GetTimestamp());
        ProcResult reload = t.A.Cli("reload");
        Assert.True(reload.ExitCode == 0, reload.All);
        notify.WaitFor(m => m.StartsWith("RELOADING=1", StringComparison.Ordinal) && Micros(m) > after, Short, "RELOADING=1 of mpt reload", () => t.A.Log);
        notify.WaitFor(m => m == "READY=1\n" + OneUp, Short, "READY=1 after mpt reload", () => t.A.Log);

        Assert.Equal(0, t.A.Stop());
        string[] states = notify.States;
        Assert.Equal(
            ["READY=1\n" + BothUp, OneUp, "RELOADING=1", "READY=1\n" + OneUp, "RELOADING=1", "READY=1\n" + OneUp, "STOPPING=1"],
            states.Select(s => s.StartsWith("RELOADING=1\nMONOTONIC_USEC=", StringComparison.Ordinal) ? "RELOADING=1" : s));

        // MONOTONIC_USEC is CLOCK_MONOTONIC (the Stopwatch clock) at the start of the reload SIGHUP asked for.
        long sighupAt = Micros(states[2]);
        Assert.InRange(sighupAt, before, after);
        Assert.Contains(notify.Messages, m => m.Text == "WATCHDOG=1");
    }

    [Fact]
    public async Task Watchdog_pings_while_the_datapath_turns_stop_while_the_receive_thread_is_stuck_and_resume()
    {
        using var notify = new NotifyListener();
        using var t = new TunnelFixture(new TunnelSpec([new PathSpec(1)]) { WithIpv6Connection = false }, null, Environment(notify), testbedPaths: 1);
        WaitForPings(notify, 3, t.A);

        // The receive thread alone stops for 14 s; the process, its control thread and the transmit thread run on.
        string script = Path.Combine(TestEnvironment.ScriptsDir, "stop_thread.py");
        Task<ProcResult> stopped = Task.Run(() => Proc.Run(TimeSpan.FromSeconds(40), Proc.Python, script,
            t.A.Pid.ToString(CultureInfo.InvariantCulture), "mptfast-rx", "14"));
        t.A.WaitForLog("watchdog: mptfast-rx has not turned", TimeSpan.FromSeconds(12));
        int pingsWhenStuck = Pings(notify);
        Thread.Sleep(TimeSpan.FromSeconds(3));
        Assert.False(stopped.IsCompleted, "the thread was let go too early for the test to mean anything");
        Assert.Equal(pingsWhenStuck, Pings(notify)); // no WATCHDOG=1 while stuck
        Assert.False(t.A.HasExited);

        ProcResult r = await stopped;
        Assert.True(r.ExitCode == 0 && r.Stdout.Contains("resumed", StringComparison.Ordinal), r.All);
        t.A.WaitForLog("watchdog: mptfast-rx turns again", TimeSpan.FromSeconds(10));
        WaitForPings(notify, pingsWhenStuck + 2, t.A);
        t.Ping('a', v6: false); // and the tunnel carries traffic again
    }

    private static int Pings(NotifyListener notify) => notify.Messages.Count(m => m.Text == "WATCHDOG=1");

    private static void WaitForPings(NotifyListener notify, int count, DaemonProcess d)
    {
        var sw = Stopwatch.StartNew();
        while (Pings(notify) < count)
        {
            Assert.True(sw.Elapsed < Short, $"{count} watchdog pings not seen within {Short.TotalSeconds} s ({Pings(notify)} seen)\n{d.Log}");
            Thread.Sleep(100);
        }
    }

    private static long Micros(long stopwatchTicks) => (long)(stopwatchTicks * (1_000_000.0 / Stopwatch.Frequency));

    // MONOTONIC_USEC of a RELOADING=1 message.
    private static long Micros(string reloading) =>
        long.Parse(reloading.Split('\n').Single(l => l.StartsWith("MONOTONIC_USEC=", StringComparison.Ordinal))["MONOTONIC_USEC=".Length..], CultureInfo.InvariantCulture);
}
