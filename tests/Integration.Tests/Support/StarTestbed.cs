using System.Globalization;
using System.Text;

namespace MptFast.Integration.Tests.Support;

/// <summary>
/// One server, N clients, two paths each (scripts/star-testbed.sh, whose header has the address plan): namespaces
/// PREFIXs (server, bridges br0/br1) and PREFIXc&lt;i&gt;; a client may sit behind a masquerading NAT on either path.
/// Writes the daemons' configs (SHA-256 control authentication, 1 s keepalives): the server accepts remote creates
/// from a template; client i's tunnel.conf points at the server. Removed on Dispose, also after a failure.
/// </summary>
internal sealed class StarTestbed : IDisposable
{
    public const string Key = "5EC0FFEE5EC0FFEE5EC0FFEE5EC0FFEE5EC0FFEE5EC0FFEE5EC0FFEE5EC0FFEE";
    public const ushort FirstServerPort = 30001;
    public const ushort ClientPort = 40000;
    public const string ServerTunnel = "198.19.0.1";
    private static int s_counter;
    private readonly HashSet<(int Client, int Path)> _nat;

    public StarTestbed(int clients, params (int Client, int Path)[] nat)
    {
        TestEnvironment.RequireRoot();
        Prefix = $"ms{Environment.ProcessId % 10000}x{Interlocked.Increment(ref s_counter)}";
        Clients = clients;
        _nat = [.. nat];
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

    public static string ClientTunnel(int i) => $"198.19.1.{i}";

    public static string ServerPath(int path) => $"198.18.{64 * path}.1";

    public bool IsNatted(int client, int path) => _nat.Contains((client, path));

    /// <summary>Client i's own address on path k (behind NAT: the private one, the same for every NATed client).</summary>
    public string ClientPath(int client, int path) =>
        IsNatted(client, path) ? $"198.18.{128 + path}.2" : $"198.18.{(64 * path) + 1}.{client}";

    /// <summary>Client i's NAT on path k leaves from its other outside address from now on.</summary>
    public string NatMove(int client, int path) =>
        Script("natmove", client.ToString(CultureInfo.InvariantCulture), path.ToString(CultureInfo.InvariantCulture));

    public ProcResult Exec(string ns, TimeSpan timeout, string file, params string[] args) =>
        Proc.Run(timeout, "ip", ["netns", "exec", ns, file, .. args]);

    /// <summary>The server's configuration directory under <paramref name="dir"/>.</summary>
    public string WriteServer(string dir, int reorderWindow = 0)
    {
        Directory.CreateDirectory(Path.Combine(dir, "connections"));
        File.WriteAllText(Path.Combine(dir, "interface.conf"), Interface(accept: true, ServerTunnel));
        var sb = new StringBuilder($"""
            [connection]
            name               = star_server
            permission         = 3
            ip_ver             = 4
            ip_local           = {ServerTunnel}
            local_port         = {FirstServerPort}
            path_count         = 2
            network_count      = 0
            status             = 0
            reorder_window     = {reorderWindow}
            max_buffdelay_msec = 100
            auth_type          = 2
            auth_key           = {Key}

            """);
        for (int k = 0; k < 2; k++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"""
                [path_{k}]
                interface_name = br{k}
                ip_ver         = 4
                cmd_default    = {(k == 0 ? 1 : 0)}
                private_ipaddr = {ServerPath(k)}
                public_ipaddr  = {ServerPath(k)}
                status         = 0

                """);
        }

        File.WriteAllText(Path.Combine(dir, "connections", "conf.template"), sb.ToString());
        return dir;
    }

    /// <summary>Client i's configuration directory under <paramref name="dir"/>.</summary>
    public string WriteClient(string dir, int i, int reorderWindow = 0)
    {
        Directory.CreateDirectory(Path.Combine(dir, "connections"));
        File.WriteAllText(Path.Combine(dir, "interface.conf"), Interface(accept: false, ClientTunnel(i)));
        var sb = new StringBuilder($"""
            [connection]
            name               = client_{i}
            permission         = 3
            ip_ver             = 4
            ip_local           = {ClientTunnel(i)}
            local_port         = {ClientPort}
            ip_remote          = {ServerTunnel}
            remote_port        = {FirstServerPort}
            remote_cmd_port    = {TunnelSpec.CommandPort}
            path_count         = 2
            network_count      = 0
            status             = 0
            reorder_window     = {reorderWindow}
            max_buffdelay_msec = 100
            auth_type          = 2
            auth_key           = {Key}

            """);
        for (int k = 0; k < 2; k++)
        {
            string gateway = IsNatted(i, k) ? $"198.18.{128 + k}.1" : ServerPath(k);
            sb.Append(CultureInfo.InvariantCulture, $"""
                [path_{k}]
                interface_name = p{k}
                ip_ver         = 4
                cmd_default    = {(k == 0 ? 1 : 0)}
                private_ipaddr = {ClientPath(i, k)}
                public_ipaddr  = {ClientPath(i, k)}
                gw_ipaddr      = {gateway}
                remote_ipaddr  = {ServerPath(k)}
                keepalive_time = 1
                dead_time      = 3
                weight_in      = 1
                weight_out     = 1
                status         = 0

                """);
        }

        File.WriteAllText(Path.Combine(dir, "connections", "tunnel.conf"), sb.ToString());
        return dir;
    }

    public void Dispose() => Script("down");

    private static string Interface(bool accept, string tunnel) => $"""
        [general]
        tunnel_num    = 1
        accept_remote = {(accept ? 1 : 0)}
        cmdport_local = {TunnelSpec.CommandPort}

        [tun_0]
        name      = tun0
        mtu       = 1400
        ipv4_addr = {tunnel}/16
        ipv6_addr = ::/0

        """;

    private string Script(params string[] args) =>
        Proc.Check(TimeSpan.FromSeconds(120), "bash", [ScriptPath, "--prefix", Prefix, .. args]);
}
