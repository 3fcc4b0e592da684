using System.Text.Json;
using System.Text.RegularExpressions;
using MptFast.Integration.Tests.Support;

namespace MptFast.Integration.Tests;

/// <summary>
/// Logs that machines and people read (issue 16): with --log-format json every line of the running daemons is one
/// JSON object, and a path's state changes are path_status events naming the connection, the path, the new status and
/// the reason — a command, the peer, the dead timer, the link's carrier, a keepalive. Under journald (stderr is the
/// socket $JOURNAL_STREAM names) lines carry syslog priorities; with stderr redirected they do not.
/// </summary>
public class LoggingTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(30);

    [Fact]
    public void Json_lines_report_path_state_changes_with_connection_path_status_and_reason()
    {
        using var t = new TunnelFixture(new TunnelSpec([new PathSpec(1), new PathSpec(2)]) { WithIpv6Connection = false }, null, 2, "--log-format", "json");
        t.Ping('a', v6: false);

        // A command on a; b hears it from the peer.
        Assert.Equal(0, t.A.Cli("path", "down", "198.18.2.1", "198.18.2.2").ExitCode);
        WaitForEvent(t.A, 1, "manual_down", "command");
        WaitForEvent(t.B, 1, "down", "peer");
        Assert.Equal(0, t.A.Cli("path", "up", "198.18.2.1", "198.18.2.2").ExitCode);
        WaitForEvent(t.B, 1, "ok", "peer");

        // Path 0 goes silent (links up, datagrams dropped): the first side whose dead timer runs out tells the other
        // (which may hear it before its own runs out); then the first keepalive brings the path back.
        t.Testbed.LinkDown(1, "drop");
        WaitForEvent([t.A, t.B], 0, "down", "dead_timer");
        t.Testbed.LinkUp(1);
        WaitForEvent(t.A, 0, "ok", "keepalive");

        // Path 1's link loses its carrier.
        t.Testbed.LinkDown(2);
        WaitForEvent(t.A, 1, "interface_down", "carrier");

        foreach (DaemonProcess d in (DaemonProcess[])[t.A, t.B])
        {
            string[] lines = Lines(d);
            Assert.Contains(lines, l => Event(l).GetProperty("event").GetString() == "ready");
            Assert.All(lines, l =>
            {
                JsonElement e = Event(l);
                foreach (string key in (string[])["time", "level", "event", "message"])
                {
                    Assert.True(e.TryGetProperty(key, out _), $"no '{key}' in {l}");
                }
            });
        }
    }

    [Fact]
    public void Under_journald_lines_start_with_their_syslog_priority_and_a_redirected_stderr_gets_plain_lines()
    {
        using var dir = new TempDir();
        string conf = dir.Sub("conf");
        Directory.CreateDirectory(Path.Combine(conf, "connections"));
        File.WriteAllText(Path.Combine(conf, "interface.conf"), "[general]\ncmdport_local = 70000\n[tun_0]\nname = tun0\n");
        string script = Path.Combine(TestEnvironment.ScriptsDir, "journal_stream.py");

        ProcResult journal = Proc.Run(Short, Proc.Python, script, TestEnvironment.MptfastBinary, "run", "-c", conf, "-d");
        Assert.Equal(1, journal.ExitCode);
        string[] lines = journal.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("<3>error ", StringComparison.Ordinal) && l.Contains("cmdport_local", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Matches("^<[3-7]>(error|warn |info |debug) ", l)); // no timestamp: journald has its own

        ProcResult redirected = Proc.Run(Short, Proc.Python, script, "--redirected", TestEnvironment.MptfastBinary, "run", "-c", conf, "-d");
        Assert.Equal(1, redirected.ExitCode);
        string[] plain = redirected.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(plain);
        Assert.All(plain, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warn |info |debug) ", l));
    }

    private static string[] Lines(DaemonProcess d) => d.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static JsonElement Event(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"not a JSON line: {line} ({e.Message})");
        }
    }

    private static void WaitForEvent(DaemonProcess d, int path, string status, string reason) => WaitForEvent([d], path, status, reason);

    // An event in the log of any of the daemons.
    private static void WaitForEvent(DaemonProcess[] daemons, int path, string status, string reason)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.Elapsed < Short)
        {
            foreach (string line in daemons.SelectMany(Lines))
            {
                JsonElement e = Event(line);
                if (e.GetProperty("event").GetString() == "path_status" && e.GetProperty("connection").GetString() == "tunnel.conf"
                    && e.GetProperty("path").GetInt32() == path && e.GetProperty("status").GetString() == status && e.GetProperty("reason").GetString() == reason)
                {
                    Assert.Equal(status == "ok" ? "info" : "warn", e.GetProperty("level").GetString());
                    Assert.Matches(new Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"), e.GetProperty("time").GetString()!);
                    return;
                }
            }

            Thread.Sleep(100);
        }

        throw new TimeoutException($"no path_status event for path {path} → {status} ({reason}) within {Short.TotalSeconds} s:\n"
            + string.Join("\n---\n", daemons.Select(d => d.Log)));
    }
}
