using System.Diagnostics;
using System.Globalization;
using MptFast.Integration.Tests.Support;

namespace MptFast.Integration.Tests;

/// <summary>
/// `mptfast status --watch` as a person sees it (issue 16): run in an 80×24 tmux pane on its own tmux server, it shows
/// both paths up with packet rates while a ping runs, the line of a path taken down changes to DOWN (highlighted), and q
/// quits and restores the terminal.
/// </summary>
public class LiveViewTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Watch_in_tmux_shows_rates_and_a_path_going_down_and_quits_on_q()
    {
        using var t = new TunnelFixture(new TunnelSpec([new PathSpec(1), new PathSpec(2)]) { WithIpv6Connection = false });
        using var tmux = new Tmux();
        tmux.Start($"ip netns exec {t.Testbed.A} {TestEnvironment.MptfastBinary} status --watch -c {t.A.ConfDir}");
        tmux.WaitFor(s => s.Contains("2/2 paths up", StringComparison.Ordinal), "both paths up");

        // Traffic: the rates move (packets/s out and in on the paths).
        Task<ProcResult> ping = Task.Run(() => t.Testbed.Exec('a', Short, "ping", "-4", "-c", "25", "-i", "0.1", "198.19.0.2"));
        string screen = tmux.WaitFor(s => PathLine(s, 0) is { } l && Field(l, 4) > 0 && Field(l, 6) > 0, "packet rates on path 0");
        Assert.All(screen.Split('\n'), l => Assert.True(l.TrimEnd().Length <= 80, l));
        Assert.Matches(@"^ 0 veth1 +ok +\d+\.\d\d +\d+ +\d+\.\d\d +\d+ +\d+\.\d+s +\d+", PathLine(screen, 0));

        Assert.Equal(0, t.A.Cli("path", "down", "198.18.2.1", "198.18.2.2").ExitCode);
        screen = tmux.WaitFor(s => PathLine(s, 1)?.Contains("DOWN manual", StringComparison.Ordinal) == true, "path 1 DOWN");
        Assert.Contains("1/2 paths up", screen, StringComparison.Ordinal);
        string escaped = tmux.Capture(escapes: true);
        Assert.Contains("\e[7m 1 veth2", escaped, StringComparison.Ordinal); // the down path's line in reverse video
        Assert.DoesNotContain("\e[7m 0 veth1", escaped, StringComparison.Ordinal);

        tmux.Keys("q");
        var sw = Stopwatch.StartNew();
        while (tmux.Alive)
        {
            // The screen only when it failed: captured eagerly, it raced the session's end right after the check above
            // ("no current target" — the flaky failure of earlier CI runs).
            if (sw.Elapsed >= TimeSpan.FromSeconds(5))
            {
                Assert.Fail("q did not end the live view:\n" + tmux.Capture());
            }

            Thread.Sleep(100);
        }

        Assert.Equal(0, (await ping).ExitCode);
    }

    private static string? PathLine(string screen, int index) =>
        screen.Split('\n').FirstOrDefault(l => l.StartsWith($" {index} veth", StringComparison.Ordinal));

    // The n-th field of a path line (0: index, 1: interface, 2: status, 3-6: rates), 0 when it is not a number.
    private static double Field(string line, int n) =>
        double.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[n], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : 0;

    /// <summary>A tmux server of its own (-L) with one 80×24 session whose standard error and exit status go to files
    /// (shown when a wait or a capture fails: a live view that ended early says how); killed on Dispose.</summary>
    private sealed class Tmux : IDisposable
    {
        private readonly string _server = "mptfast-it-" + Guid.NewGuid().ToString("N")[..12];
        private readonly TempDir _dir = new();

        private string Stderr => Path.Combine(_dir.Path, "stderr");

        private string ExitStatus => Path.Combine(_dir.Path, "exit-status");

        public bool Alive => Proc.Run(Short, "tmux", "-L", _server, "has-session", "-t", "watch").ExitCode == 0;

        public void Start(string command)
        {
            string script = Path.Combine(_dir.Path, "run.sh");
            // Not exec: the shell outlives the command to note its exit status (128 + N: ended by signal N).
            File.WriteAllText(script, $"{command} 2>{Stderr}\necho $? >{ExitStatus}\n");
            Proc.Check(Short, "tmux", "-L", _server, "-f", "/dev/null", "new-session", "-d", "-s", "watch", "-x", "80", "-y", "24", "sh " + script);
        }

        public string Errors => (File.Exists(Stderr) ? File.ReadAllText(Stderr) : "")
            + (File.Exists(ExitStatus) ? "; the live view exited with status " + File.ReadAllText(ExitStatus).Trim() : "");

        public void Keys(string keys) => Proc.Check(Short, "tmux", "-L", _server, "send-keys", "-t", "watch", keys);

        public string Capture(bool escapes = false)
        {
            ProcResult r = Proc.Run(Short, "tmux", ["-L", _server, "capture-pane", "-p", "-t", "watch", .. escapes ? (string[])["-e"] : []]);
            return r.ExitCode == 0 ? r.Stdout : throw new InvalidOperationException($"tmux capture-pane: {r.All}; the live view's stderr: {Errors}");
        }

        public string WaitFor(Func<string, bool> condition, string what)
        {
            var sw = Stopwatch.StartNew();
            string screen = "";
            while (sw.Elapsed < Short)
            {
                screen = Capture();
                if (condition(screen))
                {
                    return screen;
                }

                Thread.Sleep(200);
            }

            throw new TimeoutException($"{what} not on the screen within {Short.TotalSeconds} s:\n{screen}\nstderr: {Errors}");
        }

        public void Dispose()
        {
            Proc.Run(Short, "tmux", "-L", _server, "kill-server");
            _dir.Dispose();
        }
    }
}
