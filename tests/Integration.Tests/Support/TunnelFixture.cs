using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace MptFast.Integration.Tests.Support;

/// <summary>A testbed plus one daemon per side, torn down together (daemons first, then the namespaces).</summary>
internal sealed class TunnelFixture : IDisposable
{
    private readonly TempDir _dir = new();

    public TunnelFixture(TunnelSpec spec, int testbedPaths = 2, params string[] daemonArgs)
        : this(spec, null, testbedPaths, daemonArgs)
    {
    }

    /// <summary>As above; <paramref name="customize"/> edits each side's config directory before its daemon starts.</summary>
    public TunnelFixture(TunnelSpec spec, Action<string, char>? customize, int testbedPaths = 2, params string[] daemonArgs)
        : this(spec, customize, null, testbedPaths, daemonArgs)
    {
    }

    /// <summary>As above; side a's daemon gets <paramref name="environmentA"/> in its environment (e.g. NOTIFY_SOCKET).</summary>
    public TunnelFixture(TunnelSpec spec, Action<string, char>? customize, IReadOnlyDictionary<string, string>? environmentA, int testbedPaths = 2,
        params string[] daemonArgs)
        : this(spec, customize, environmentA, new Testbed(testbedPaths), daemonArgs)
    {
    }

    /// <summary>Over emulated paths: testbed path i + 1 goes through LinkEmu with <paramref name="emulated"/>[i]
    /// (<see cref="Testbed.Create"/>; <c>Testbed.Link(i)</c> changes a link while the tunnel runs).</summary>
    public TunnelFixture(TunnelSpec spec, IReadOnlyList<LinkSpec?> emulated, params string[] daemonArgs)
        : this(spec, null, null, Testbed.Create(Math.Max(2, emulated.Count), emulated), daemonArgs)
    {
    }

    private TunnelFixture(TunnelSpec spec, Action<string, char>? customize, IReadOnlyDictionary<string, string>? environmentA, Testbed testbed,
        string[] daemonArgs)
    {
        Spec = spec;
        Testbed = testbed;
        try
        {
            string a = spec.Write(_dir.Sub("a"), 'a');
            string b = spec.Write(_dir.Sub("b"), 'b');
            customize?.Invoke(a, 'a');
            customize?.Invoke(b, 'b');
            A = DaemonProcess.StartWith(environmentA ?? new Dictionary<string, string>(), Testbed.A, a, daemonArgs);
            B = DaemonProcess.Start(Testbed.B, b, daemonArgs);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public TunnelSpec Spec { get; }

    public Testbed Testbed { get; }

    public DaemonProcess A { get; } = null!;

    public DaemonProcess B { get; } = null!;

    public DaemonProcess Daemon(char side) => side == 'a' ? A : B;

    /// <summary>Pings the other side's tunnel address until <paramref name="count"/> replies arrive (bounded by a deadline).</summary>
    public void Ping(char from, bool v6, int count = 3, int deadlineSeconds = 15)
    {
        char to = from == 'a' ? 'b' : 'a';
        string target = v6 ? TunnelSpec.TunnelAddress6(to) : TunnelSpec.TunnelAddress(to);
        ProcResult r = Testbed.Exec(from, TimeSpan.FromSeconds(deadlineSeconds + 10), "ping", v6 ? "-6" : "-4",
            "-c", count.ToString(CultureInfo.InvariantCulture), "-i", "0.2", "-w", deadlineSeconds.ToString(CultureInfo.InvariantCulture), target);
        Assert.True(r.ExitCode == 0, $"ping {target} from {from} failed ({r.ExitCode}): {r.All}\n--- daemon a:\n{A.Log}\n--- daemon b:\n{B.Log}");
    }

    /// <summary>Polls side's status until <paramref name="predicate"/> holds for path <paramref name="path"/> of connection 0.</summary>
    public TimeSpan WaitForPath(char side, int path, Func<JsonElement, bool> predicate, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        JsonElement last = default;
        while (sw.Elapsed < timeout)
        {
            last = DaemonProcess.PathOf(Daemon(side).Status(), 0, path);
            if (predicate(last))
            {
                return sw.Elapsed;
            }

            Thread.Sleep(100);
        }

        throw new TimeoutException($"side {side} path {path}: {what} not reached within {timeout.TotalSeconds:0.#} s; last: {last}\n{Daemon(side).Log}");
    }

    /// <summary>
    /// A TCP transfer of <paramref name="bytes"/> from side a to side b's tunnel address; returns the sender's and the
    /// receiver's "bytes sha256" lines. <paramref name="during"/> runs on this thread while the transfer is under way.
    /// </summary>
    public (string Sent, string Received) Transfer(long bytes, int port = 5001, int timeoutSeconds = 120, Action? during = null, bool v6 = false,
        string? congestionControl = null)
    {
        string script = Path.Combine(TestEnvironment.ScriptsDir, "sha_transfer.py");
        string addr = v6 ? TunnelSpec.TunnelAddress6('b') : TunnelSpec.TunnelAddress('b');
        string t = timeoutSeconds.ToString(CultureInfo.InvariantCulture);
        var receiver = Task.Run(() => Testbed.Exec('b', TimeSpan.FromSeconds(timeoutSeconds + 30), Proc.Python, script, "recv", addr, port.ToString(CultureInfo.InvariantCulture), t));
        // The receiver listens before the sender connects (or has already failed: its result says why).
        Wait.Until(() => receiver.IsCompleted || Testbed.Listening('b', port), TimeSpan.FromSeconds(30), $"sha_transfer receiver on port {port}");
        string[] cc = congestionControl is null ? [] : ["SHA_TRANSFER_CC=" + congestionControl];
        var sender = Task.Run(() => Testbed.Exec('a', TimeSpan.FromSeconds(timeoutSeconds + 30), "env", [.. cc, Proc.Python, script, "send", addr,
            port.ToString(CultureInfo.InvariantCulture), bytes.ToString(CultureInfo.InvariantCulture), "42", t]));
        during?.Invoke();
        ProcResult s = sender.GetAwaiter().GetResult();
        ProcResult r = receiver.GetAwaiter().GetResult();
        Assert.True(s.ExitCode == 0, $"sender failed: {s.All}\n--- a:\n{A.Log}\n--- b:\n{B.Log}");
        Assert.True(r.ExitCode == 0, $"receiver failed: {r.All}\n--- a:\n{A.Log}\n--- b:\n{B.Log}");
        return (s.Stdout.Trim(), r.Stdout.Trim());
    }

    /// <summary>
    /// A bounded UDP stream from side a to side b's tunnel address (scripts/udp_integrity.py): <paramref name="seconds"/>
    /// at <paramref name="pps"/> datagrams of 16–1,400 bytes, each with its sequence number and a payload derived from
    /// it. Returns the sender's and the receiver's JSON (sent; received, corrupt, duplicates, out_of_order).
    /// </summary>
    public (JsonElement Sent, JsonElement Received) UdpTransfer(double seconds, int pps, bool v6 = false, int port = 5003)
    {
        string script = Path.Combine(TestEnvironment.ScriptsDir, "udp_integrity.py");
        string addr = v6 ? TunnelSpec.TunnelAddress6('b') : TunnelSpec.TunnelAddress('b');
        string p = port.ToString(CultureInfo.InvariantCulture);
        string max = (seconds + 30).ToString(CultureInfo.InvariantCulture);
        var receiver = Task.Run(() => Testbed.Exec('b', TimeSpan.FromSeconds(seconds + 60), Proc.Python, script, "recv", addr, p, "3", max));
        Wait.Until(() => receiver.IsCompleted || Testbed.Listening('b', port, udp: true), TimeSpan.FromSeconds(30), $"udp_integrity receiver on port {port}");
        ProcResult s = Testbed.Exec('a', TimeSpan.FromSeconds(seconds + 30), Proc.Python, script, "send", addr, p,
            seconds.ToString(CultureInfo.InvariantCulture), pps.ToString(CultureInfo.InvariantCulture), "7");
        ProcResult r = receiver.GetAwaiter().GetResult();
        Assert.True(s.ExitCode == 0, $"UDP sender failed: {s.All}\n--- a:\n{A.Log}");
        Assert.True(r.ExitCode == 0, $"UDP receiver failed: {r.All}\n--- b:\n{B.Log}");
        return (JsonDocument.Parse(s.Stdout).RootElement.Clone(), JsonDocument.Parse(r.Stdout).RootElement.Clone());
    }

    /// <summary>Bytes side's connection 0 has sent over all its paths (tx_bytes), from its status.</summary>
    public long Transmitted(char side) =>
        Daemon(side).Status().GetProperty("connections")[0].GetProperty("paths").EnumerateArray().Sum(p => DaemonProcess.Counter(p, "tx_bytes"));

    public void Dispose()
    {
        A?.Dispose();
        B?.Dispose();
        Testbed?.Dispose();
        _dir.Dispose();
    }
}
