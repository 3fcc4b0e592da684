using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace MptFast.Integration.Tests.Support;

/// <summary>
/// One <c>mptfast run</c> inside a test namespace (started through <c>ip netns exec</c>, which execs the
/// binary, so the PID is the daemon's). Logs are kept for failure messages; Dispose stops it with SIGTERM
/// and, if it does not exit in time, SIGKILL — by PID, never by name.
/// </summary>
internal sealed class DaemonProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly string _ns;

    // Test daemons share the host's file system: each gets DIR/control.sock unless its interface.conf names one
    // (the default /run/mptfast/control.sock would be taken by the first; issue 14).
    private static void OwnControlSocket(string confDir)
    {
        string file = Path.Combine(confDir, "interface.conf");
        string text = File.ReadAllText(file);
        if (!text.Contains("control_socket", StringComparison.Ordinal))
        {
            File.WriteAllText(file, text.Replace("[general]", "[general]\ncontrol_socket = " + Path.Combine(Path.GetFullPath(confDir), "control.sock"),
                StringComparison.Ordinal));
        }
    }

    private DaemonProcess(string ns, string confDir, IEnumerable<string> extraArgs, IReadOnlyList<string>? wrapper = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        _ns = ns;
        ConfDir = confDir;
        OwnControlSocket(confDir);
        var psi = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value; // `ip netns exec` passes its environment on to the daemon it execs
        }

        foreach (string a in (string[])["netns", "exec", ns, .. wrapper ?? [], TestEnvironment.MptfastBinary, "run", "-c", confDir, "--log-level", "debug", .. extraArgs])
        {
            psi.ArgumentList.Add(a);
        }

        _process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start mptfast");
        _process.StandardInput.Close();
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string ConfDir { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts the daemon and waits until it logs that it is ready.</summary>
    public static DaemonProcess Start(string ns, string confDir, params string[] extraArgs)
    {
        var d = new DaemonProcess(ns, confDir, extraArgs);
        d.WaitForLog("ready", TimeSpan.FromSeconds(20));
        return d;
    }

    /// <summary>As <see cref="Start"/>, with <paramref name="environment"/> added to the daemon's environment.</summary>
    public static DaemonProcess StartWith(IReadOnlyDictionary<string, string> environment, string ns, string confDir, params string[] extraArgs)
    {
        var d = new DaemonProcess(ns, confDir, extraArgs, environment: environment);
        d.WaitForLog("ready", TimeSpan.FromSeconds(20));
        return d;
    }

    /// <summary>
    /// As <see cref="Start"/>, with the binary run by <paramref name="wrapper"/> (e.g. strace, setpriv): <see cref="Pid"/>
    /// is then the wrapper's, and the daemon is its descendant.
    /// </summary>
    public static DaemonProcess StartWrapped(string ns, string confDir, IReadOnlyList<string> wrapper, params string[] extraArgs) =>
        StartWrapped(new Dictionary<string, string>(), ns, confDir, wrapper, extraArgs);

    /// <summary>As above, with <paramref name="environment"/> added to the daemon's environment.</summary>
    public static DaemonProcess StartWrapped(IReadOnlyDictionary<string, string> environment, string ns, string confDir, IReadOnlyList<string> wrapper,
        params string[] extraArgs)
    {
        var d = new DaemonProcess(ns, confDir, extraArgs, wrapper, environment);
        d.WaitForLog("ready", TimeSpan.FromSeconds(30));
        return d;
    }

    public void WaitForLog(string text, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (Log.Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            if (_process.HasExited)
            {
                // WaitForExit() also waits for the output readers to reach the end: the last lines (a final "stopped:")
                // may land only then, after HasExited was already true.
                _process.WaitForExit();
                if (Log.Contains(text, StringComparison.Ordinal))
                {
                    return;
                }

                throw new InvalidOperationException($"mptfast in {_ns} exited with {_process.ExitCode} before '{text}':\n{Log}");
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException($"mptfast in {_ns} did not log '{text}' within {timeout.TotalSeconds:0} s:\n{Log}");
    }

    /// <summary>Polls <paramref name="condition"/> every 100 ms; throws with this daemon's log when it is still false after <paramref name="timeout"/>.</summary>
    public void WaitUntil(Func<bool> condition, TimeSpan timeout, string what) =>
        Wait.Until(condition, timeout, what, () => Log, pollMs: 100);

    /// <summary><c>mptfast status --json</c> against this daemon.</summary>
    public JsonElement Status()
    {
        ProcResult r = Proc.Run(TimeSpan.FromSeconds(20), "ip", "netns", "exec", _ns, TestEnvironment.MptfastBinary, "status", "--json", "-c", ConfDir);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"mptfast status failed ({r.ExitCode}): {r.All}\ndaemon log:\n{Log}");
        }

        using var doc = JsonDocument.Parse(r.Stdout);
        return doc.RootElement.Clone();
    }

    /// <summary>Runs <c>mptfast -c CONFDIR ARGS</c> (the mpt command line) in this daemon's namespace.</summary>
    public ProcResult Cli(params string[] args) =>
        Proc.Run(TimeSpan.FromSeconds(30), "ip", ["netns", "exec", _ns, TestEnvironment.MptfastBinary, "-c", ConfDir, .. args]);

    /// <summary>Sends a signal (e.g. HUP) to the daemon by PID.</summary>
    public void Signal(string name) =>
        Proc.Check(TimeSpan.FromSeconds(5), "kill", "-" + name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Path <paramref name="index"/> of connection <paramref name="connection"/> from a status snapshot.</summary>
    public static JsonElement PathOf(JsonElement status, int connection, int index) =>
        status.GetProperty("connections")[connection].GetProperty("paths")[index];

    public static long Counter(JsonElement path, string name) => path.GetProperty(name).GetInt64();

    public static long Drop(JsonElement path, string reason) => path.GetProperty("drops").GetProperty(reason).GetInt64();

    /// <summary>Sends SIGTERM and waits for a clean exit; returns the exit code.</summary>
    public int Stop(TimeSpan? timeout = null)
    {
        if (!_process.HasExited)
        {
            Proc.Run(TimeSpan.FromSeconds(5), "kill", "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!_process.WaitForExit(timeout ?? TimeSpan.FromSeconds(10)))
            {
                _process.Kill();
                _process.WaitForExit();
                throw new TimeoutException($"mptfast did not stop on SIGTERM:\n{Log}");
            }
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                Stop();
            }
        }
        catch (TimeoutException)
        {
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
