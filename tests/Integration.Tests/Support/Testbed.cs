using System.Globalization;

namespace MptFast.Integration.Tests.Support;

/// <summary>
/// The shared N-path namespace testbed (../shared/testbed/netns-testbed.sh): namespaces PREFIXa and
/// PREFIXb, path i = veth&lt;i&gt; with 198.18.i.1 ⇄ 198.18.i.2 (and fd00:i::1 ⇄ fd00:i::2 with v6).
/// Each test gets its own prefix and the namespaces are removed on Dispose, also after a failure.
/// <para>
/// Emulated paths (<see cref="Create"/>): the direct pair of path i is replaced by veth&lt;i&gt; (a) ⇄ a&lt;i&gt; and
/// b&lt;i&gt; ⇄ veth&lt;i&gt; (b) through a third namespace PREFIXe, where a LinkEmu process bridges a&lt;i&gt; and
/// b&lt;i&gt; (<see cref="Link"/>). The a and b ends keep their names and addresses; offloads are off on all four ends
/// (every frame the emulator sees is wire-sized, with its checksum). Dispose stops the emulators by PID, deletes
/// PREFIXe and then the testbed.
/// </para>
/// </summary>
internal sealed class Testbed : IDisposable
{
    private static readonly string[] s_offloadsOff = ["tx", "off", "tso", "off", "gso", "off"];
    private static int s_counter;
    private readonly Dictionary<int, EmulatedLink> _links = [];
    private readonly TempDir? _controlDir;

    public Testbed(int paths, bool v6 = true)
    {
        TestEnvironment.RequireRoot();
        Prefix = $"mf{Environment.ProcessId % 10000}x{Interlocked.Increment(ref s_counter)}";
        Paths = paths;
        V6 = v6;
        Script("down");
        var args = new List<string> { "up", "--paths", paths.ToString(CultureInfo.InvariantCulture) };
        if (v6)
        {
            args.Add("--v6");
        }

        Script([.. args]);
    }

    private Testbed(int paths, bool v6, IReadOnlyList<LinkSpec?> emulated)
        : this(paths, v6)
    {
        if (emulated.Count > paths)
        {
            Dispose();
            throw new ArgumentException($"{emulated.Count} link specs for {paths} paths", nameof(emulated));
        }

        try
        {
            _controlDir = new TempDir();
            Proc.Check("ip", "netns", "add", E);
            Proc.Check("ip", "-n", E, "link", "set", "lo", "up");
            // No addresses in the emulator's namespace, and no IPv6 there: it sends nothing of its own (no ND, no MLD).
            Proc.Check("ip", "netns", "exec", E, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
            for (int i = 0; i < emulated.Count; i++)
            {
                if (emulated[i] is { } spec)
                {
                    Rewire(i + 1);
                    _links[i + 1] = EmulatedLink.Start(E, i + 1, spec, Path.Combine(_controlDir.Path, $"link{i + 1}.sock"));
                }
            }

            foreach (int path in _links.Keys)
            {
                WaitReachable(path);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Prefix { get; }

    public int Paths { get; }

    public bool V6 { get; }

    public string A => Prefix + "a";

    public string B => Prefix + "b";

    /// <summary>The emulators' namespace (exists only when some path is emulated).</summary>
    public string E => Prefix + "e";

    /// <summary>
    /// A testbed whose paths 1..emulated.Count go through LinkEmu with the given specs (null = that path stays a
    /// direct veth pair), e.g. <c>Testbed.Create(paths: 2, emulated: [new LinkSpec(15, 1), new LinkSpec(5, 25)])</c>.
    /// Returns once every emulator is forwarding and every emulated path answers a ping.
    /// </summary>
    public static Testbed Create(int paths, IReadOnlyList<LinkSpec?>? emulated = null, bool v6 = true) =>
        emulated is null ? new Testbed(paths, v6) : new Testbed(paths, v6, emulated);

    /// <summary>The emulator of path <paramref name="path"/> (1-based).</summary>
    public EmulatedLink Link(int path) =>
        _links.TryGetValue(path, out EmulatedLink? link) ? link : throw new InvalidOperationException($"path {path} is not emulated");

    public string Ns(char side) => side == 'a' ? A : B;

    public void LinkDown(int path, string mode = "down") => Script("linkdown", path.ToString(CultureInfo.InvariantCulture), "--mode", mode);

    public void LinkUp(int path) => Script("linkup", path.ToString(CultureInfo.InvariantCulture));

    public void Shape(int path, int rateMbit) => Script("shape", path.ToString(CultureInfo.InvariantCulture), rateMbit.ToString(CultureInfo.InvariantCulture));

    /// <summary>Runs a command inside namespace a or b.</summary>
    public ProcResult Exec(char side, TimeSpan timeout, string file, params string[] args) =>
        Proc.Run(timeout, "ip", ["netns", "exec", Ns(side), file, .. args]);

    /// <summary>Whether a TCP socket listens (or, with <paramref name="udp"/>, a UDP socket is bound) on
    /// <paramref name="port"/> in namespace a or b: a readiness check.</summary>
    public bool Listening(char side, int port, bool udp = false)
    {
        string p = port.ToString(CultureInfo.InvariantCulture);
        return Exec(side, TimeSpan.FromSeconds(10), "ss", udp ? "-Hlun" : "-Hltn", $"sport = :{p}").Stdout.Contains(":" + p, StringComparison.Ordinal);
    }

    public string ExecCheck(char side, TimeSpan timeout, string file, params string[] args)
    {
        ProcResult r = Exec(side, timeout, file, args);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"[{Ns(side)}] '{file} {string.Join(' ', args)}' exited {r.ExitCode}: {r.All}");
        }

        return r.Stdout;
    }

    public void Dispose()
    {
        foreach (EmulatedLink link in _links.Values)
        {
            link.Dispose();
        }

        _links.Clear();
        RemoveEmulatorNamespace();
        _controlDir?.Dispose();
        Script("down");
    }

    /// <summary>Replaces the direct pair of <paramref name="path"/> by two pairs through the emulator namespace.</summary>
    private void Rewire(int path)
    {
        string p = path.ToString(CultureInfo.InvariantCulture);
        string dev = "veth" + p;
        Proc.Check("ip", "-n", A, "link", "del", dev);   // deleting one end removes the pair
        foreach ((string ns, char side, int host) in new[] { (A, 'a', 1), (B, 'b', 2) })
        {
            string inner = side + p;
            Proc.Check("ip", "link", "add", dev, "netns", ns, "type", "veth", "peer", "name", inner, "netns", E);
            Proc.Check("ip", "-n", ns, "addr", "add", $"198.18.{p}.{host}/24", "dev", dev);
            if (V6)
            {
                Proc.Check("ip", "-n", ns, "addr", "add", $"fd00:{p}::{host}/64", "dev", dev, "nodad");
            }

            Proc.Check("ip", ["netns", "exec", ns, "ethtool", "-K", dev, .. s_offloadsOff]);
            Proc.Check("ip", ["netns", "exec", E, "ethtool", "-K", inner, .. s_offloadsOff, "gro", "off"]);
            Proc.Check("ip", "-n", E, "link", "set", inner, "up");
            Proc.Check("ip", "-n", ns, "link", "set", dev, "up");
        }
    }

    /// <summary>Pings b's address of the path until one reply (carrier comes up to a second late, linkwatch).</summary>
    private void WaitReachable(int path)
    {
        string target = $"198.18.{path}.2";
        ProcResult r = Exec('a', TimeSpan.FromSeconds(30), "ping", "-n", "-c", "1", "-w", "15", target);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"emulated path {path}: {target} not reachable: {r.All}\n{_links[path].Log}");
        }
    }

    private void RemoveEmulatorNamespace()
    {
        if (!File.Exists($"/run/netns/{E}"))
        {
            return;
        }

        // Anything still running there (an emulator that ignored SIGTERM) is ended by PID before the namespace goes.
        foreach (string pid in Proc.Run("ip", "netns", "pids", E).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Proc.Run("kill", "-KILL", pid.Trim());
        }

        Proc.Run("ip", "netns", "del", E);
    }

    private void Script(params string[] args) =>
        Proc.Check(TimeSpan.FromSeconds(60), "bash", [TestEnvironment.TestbedScript, "--prefix", Prefix, .. args]);
}
