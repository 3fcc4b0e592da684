namespace MptFast.Integration.Tests.Support;

/// <summary>
/// The shared N-path namespace testbed (../shared/testbed/netns-testbed.sh): namespaces PREFIXa and
/// PREFIXb, path i = veth&lt;i&gt; with 198.18.i.1 ⇄ 198.18.i.2 (and fd00:i::1 ⇄ fd00:i::2 with v6).
/// Each test gets its own prefix and the namespaces are removed on Dispose, also after a failure.
/// </summary>
internal sealed class Testbed : IDisposable
{
    private static int s_counter;

    public Testbed(int paths, bool v6 = true)
    {
        TestEnvironment.RequireRoot();
        Prefix = $"mf{Environment.ProcessId % 10000}x{Interlocked.Increment(ref s_counter)}";
        Paths = paths;
        Script("down");
        var args = new List<string> { "up", "--paths", paths.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (v6)
        {
            args.Add("--v6");
        }

        Script([.. args]);
    }

    public string Prefix { get; }

    public int Paths { get; }

    public string A => Prefix + "a";

    public string B => Prefix + "b";

    public string Ns(char side) => side == 'a' ? A : B;

    public void LinkDown(int path, string mode = "down") => Script("linkdown", path.ToString(System.Globalization.CultureInfo.InvariantCulture), "--mode", mode);

    public void LinkUp(int path) => Script("linkup", path.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public void Shape(int path, int rateMbit) => Script("shape", path.ToString(System.Globalization.CultureInfo.InvariantCulture), rateMbit.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Runs a command inside namespace a or b.</summary>
    public ProcResult Exec(char side, TimeSpan timeout, string file, params string[] args) =>
        Proc.Run(timeout, "ip", ["netns", "exec", Ns(side), file, .. args]);

    public string ExecCheck(char side, TimeSpan timeout, string file, params string[] args)
    {
        ProcResult r = Exec(side, timeout, file, args);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"[{Ns(side)}] '{file} {string.Join(' ', args)}' exited {r.ExitCode}: {r.All}");
        }

        return r.Stdout;
    }

    public void Dispose() => Script("down");

    private void Script(params string[] args) =>
        Proc.Check(TimeSpan.FromSeconds(60), "bash", [TestEnvironment.TestbedScript, "--prefix", Prefix, .. args]);
}
