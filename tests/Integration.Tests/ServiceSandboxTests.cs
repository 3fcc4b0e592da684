using System.Globalization;
using MptFast.Integration.Tests.Support;
using MptFast.Tests.Common;

namespace MptFast.Integration.Tests;

/// <summary>
/// The sandbox of contrib/systemd/mptfast.service leaves the daemon what it needs and no more (issue 16). systemd is
/// not running here, so the unit's settings are applied or checked one by one: the daemon runs under setpriv with
/// exactly the unit's CapabilityBoundingSet= and NoNewPrivileges=, under strace, while a tunnel comes up, carries
/// ping and TCP, and the mpt commands that run `ip` and write files are used; then every system call, socket
/// family, device and written path in the trace must be one the unit allows, and no memory may become executable
/// (MemoryDenyWriteExecute=). The configuration directory stands in for /etc/mptfast (ReadWritePaths=). The daemon runs
/// as the unit runs it, with sd_notify (a fake NOTIFY_SOCKET, the watchdog on) and with the metrics endpoint scraped.
/// </summary>
public class ServiceSandboxTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(30);

    // DevicePolicy=closed still allows these pseudo devices (systemd.resource-control(5)).
    private static readonly string[] StandardDevices = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/ptmx"];

    private static string UnitPath => Path.Combine(SharedFiles.RepoRoot, "contrib", "systemd", "mptfast.service");

    [Fact]
    public async Task Daemon_with_the_units_capabilities_works_and_stays_within_its_system_calls_sockets_devices_and_paths()
    {
        SystemdUnit unit = SystemdUnit.Read(UnitPath);
        Assert.Equal("yes", unit.Single("NoNewPrivileges"));
        Assert.Equal("closed", unit.Single("DevicePolicy"));
        Assert.Equal("/etc/mptfast", unit.Single("ReadWritePaths"));
        HashSet<string> allowedCalls = unit.AllowedSystemCalls();

        using var dir = new TempDir();
        string trace = Path.Combine(dir.Path, "trace");
        ProcResult init = Proc.Run(Short, TestEnvironment.MptfastBinary, "init-config", "--peer-dir", Path.Combine(dir.Path, "b"), Path.Combine(dir.Path, "a"));
        Assert.True(init.ExitCode == 0, init.All);
        string confDir = dir.Sub("a");

        using var tb = new Testbed(paths: 2, v6: false);
        using var notify = new NotifyListener();
        string[] sandbox = ["strace", "-f", "-qq", "-s", "4096", "-o", trace, "--",
            "setpriv", "--bounding-set=" + unit.SetprivBoundingSet(), "--inh-caps=-all", "--no-new-privs", "--"];
        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Path, ["WATCHDOG_USEC"] = "2000000" };
        using DaemonProcess a = DaemonProcess.StartWrapped(environment, tb.A, confDir, sandbox, "--metrics", "9477");
        int daemonPid = DaemonPidUnder(a.Pid);
        try
        {
            using DaemonProcess b = DaemonProcess.Start(tb.B, dir.Sub("b"));
            Assert.Equal(unit.CapabilityMask(), StatusMask(daemonPid, "CapBnd"));
            Assert.Equal(unit.CapabilityMask(), StatusMask(daemonPid, "CapEff"));

            ProcResult ping = tb.Exec('a', Short, "ping", "-4", "-c", "3", "-i", "0.2", "-w", "10", "198.19.0.2");
            Assert.True(ping.ExitCode == 0, $"{ping.All}\n{a.Log}");
            Task<ProcResult> server = Task.Run(() => tb.Exec('b', TimeSpan.FromSeconds(40), "iperf3", "-s", "-1", "-B", "198.19.0.2", "-p", "5301"));
            WaitUntil(() => tb.Listening('b', 5301), "iperf3 listening");
            ProcResult tcp = tb.Exec('a', TimeSpan.FromSeconds(30), "iperf3", "-c", "198.19.0.2", "-p", "5301", "-t", "1");
            Assert.True(tcp.ExitCode == 0, $"{tcp.All}\n{a.Log}");
            ProcResult served = await server.WaitAsync(TimeSpan.FromSeconds(40));
            Assert.True(served.ExitCode == 0, served.All);

            notify.WaitFor(m => m == "WATCHDOG=1", Short, "a watchdog ping", () => a.Log);
            ProcResult scrape = tb.Exec('a', Short, Proc.Python, Path.Combine(TestEnvironment.ScriptsDir, "http_get.py"), "http://127.0.0.1:9477/metrics");
            Assert.True(scrape.ExitCode == 0 && scrape.Stdout.StartsWith("200\n", StringComparison.Ordinal), scrape.All);

            // Each runs `ip` or writes the configuration directory, under the sandbox.
            foreach (string[] command in (string[][])[
                         ["int", "veth2", "down"], ["int", "veth2", "up"], ["path", "down", "198.18.1.1", "198.18.1.2"],
                         ["path", "up", "198.18.1.1", "198.18.1.2"], ["addr", "add", "198.18.77.1/24", "dev", "veth1"],
                         ["addr", "del", "198.18.77.1/24", "dev", "veth1"], ["save", "tunnel.conf"], ["reload"]])
            {
                ProcResult r = a.Cli(command);
                Assert.True(r.ExitCode == 0, $"mpt {string.Join(' ', command)} exited {r.ExitCode} under the sandbox: {r.All}\n{a.Log}");
            }
        }
        finally
        {
            Proc.Run(Short, "kill", "-TERM", daemonPid.ToString(CultureInfo.InvariantCulture));
        }

        a.WaitForLog("stopped:", TimeSpan.FromSeconds(15)); // an orderly stop, routes removed, also sandboxed
        Assert.Equal(0, a.Stop());
        Assert.Equal("READY=1", notify.States[0].Split('\n')[0]);
        Assert.Equal("STOPPING=1", notify.States[^1]);

        StraceLog log = StraceLog.Parse(trace);
        Assert.Contains("sendmmsg", log.SystemCalls); // the trace covers the datapath, not only the start
        Assert.Contains("execve", log.SystemCalls);
        AssertNone(log.SystemCalls.Where(c => !allowedCalls.Contains(c)), "system calls outside SystemCallFilter=", trace);
        AssertNone(log.SocketFamilies.Except(unit.Values("RestrictAddressFamilies")), "socket families outside RestrictAddressFamilies=", trace);
        string[] devices = [.. unit.Values("DeviceAllow").Where(d => d.StartsWith('/')), .. StandardDevices];
        AssertNone(log.OpenedDevices.Except(devices), "devices outside DeviceAllow=", trace);
        if (unit.Single("MemoryDenyWriteExecute") == "yes")
        {
            AssertNone(log.ExecutableMemoryRequests, "requests for executable memory (MemoryDenyWriteExecute=yes)", trace);
        }

        string runtime = "/run/" + unit.Single("RuntimeDirectory") + "/";
        Assert.Contains(log.WrittenPaths, p => p.StartsWith(confDir + "/", StringComparison.Ordinal)); // save wrote there
        AssertNone(log.WrittenPaths.Where(p => !p.StartsWith(confDir + "/", StringComparison.Ordinal) && !p.StartsWith(runtime, StringComparison.Ordinal) && !devices.Contains(p)),
            "paths written outside ReadWritePaths= and RuntimeDirectory= (ProtectSystem=strict)", trace);
    }

    private static void AssertNone(IEnumerable<string> violations, string what, string trace)
    {
        string[] found = [.. violations];
        Assert.True(found.Length == 0, $"{what}: {string.Join(", ", found)} (trace: {trace})");
    }

    private static void WaitUntil(Func<bool> condition, string what) => Wait.Until(condition, TimeSpan.FromSeconds(10), what);

    /// <summary>The daemon under strace and setpriv (setpriv execs it): the descendant of the wrapper running the binary.</summary>
    private static int DaemonPidUnder(int wrapperPid)
    {
        string binary = Path.GetFullPath(TestEnvironment.MptfastBinary);
        var pending = new Queue<int>([wrapperPid]);
        while (pending.TryDequeue(out int pid))
        {
            if (pid != wrapperPid && new FileInfo($"/proc/{pid}/exe").ResolveLinkTarget(false)?.FullName == binary)
            {
                return pid;
            }

            foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
            {
                foreach (string child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    pending.Enqueue(int.Parse(child, CultureInfo.InvariantCulture));
                }
            }
        }

        throw new InvalidOperationException($"no process running {binary} under {wrapperPid}");
    }

    private static ulong StatusMask(int pid, string field)
    {
        string line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return ulong.Parse(line[(field.Length + 1)..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }
}
