using System.Globalization;

namespace MptFast.Integration.Tests.Support;

/// <summary>
/// One server, N clients, two paths each (scripts/star-testbed.sh, whose header has the address plan): namespaces
/// PREFIXs (server, bridges br0/br1) and PREFIXc&lt;i&gt;; a client may sit behind a masquerading NAT on either path.
/// The script writes the daemons' configs (SHA-256 control authentication, 1 s keepalives): the server accepts remote
/// creates from a template; client i's tunnel.conf points at the server. Removed on Dispose, also after a failure.
/// </summary>
internal sealed class StarTestbed : IDisposable
{
    public const string ServerTunnel = "198.19.0.1";
    private static int s_counter;

    public StarTestbed(int clients, params (int Client, int Path)[] nat)
    {
        TestEnvironment.RequireRoot();
        Prefix = $"ms{Environment.ProcessId % 10000}x{Interlocked.Increment(ref s_counter)}";
        Clients = clients;
        var args = new List<string> { "up", "--clients", clients.ToString(CultureInfo.InvariantCulture) };
        foreach ((int c, int p) in nat)
        {
            args.Add("--nat");
            args.Add($"{c}:{p}");
        }

        Script([.. args]);
    }

    public static string ScriptPath => Path.Combine(MptFast.Tests.Common.SharedFiles.RepoRoot, "scripts", "star-testbed.sh");

    public string Prefix { get; }

    public int Clients { get; }

    public string Server => Prefix + "s";

    public string Client(int i) => Prefix + "c" + i.ToString(CultureInfo.InvariantCulture);

    /// <summary>Client i's NAT on path k leaves from its other outside address from now on.</summary>
    public string NatMove(int client, int path) =>
        Script("natmove", client.ToString(CultureInfo.InvariantCulture), path.ToString(CultureInfo.InvariantCulture));

    public ProcResult Exec(string ns, TimeSpan timeout, string file, params string[] args) =>
        Proc.Run(timeout, "ip", ["netns", "exec", ns, file, .. args]);

    /// <summary>The server's configuration directory under <paramref name="dir"/> (the script writes it).</summary>
    public string WriteServer(string dir)
    {
        Script("config", dir, "server");
        return dir;
    }

    /// <summary>Client i's configuration directory under <paramref name="dir"/>.</summary>
    public string WriteClient(string dir, int i)
    {
        Script("config", dir, "client", i.ToString(CultureInfo.InvariantCulture));
        return dir;
    }

    public void Dispose() => Script("down");

    private string Script(params string[] args) =>
        Proc.Check(TimeSpan.FromSeconds(120), "bash", [ScriptPath, "--prefix", Prefix, .. args]);
}
