using System.Globalization;
using System.Text.Json;
using MptFast.Integration.Tests.Support;
using Xunit.Abstractions;

namespace MptFast.Integration.Tests;

/// <summary>
/// One server, many clients (issue 15), scaled down for CI (the hundred-client run is the perf harness's `star`
/// scenario): every client creates its connection at once with <c>mpt create</c>, behind NAT or not, and the tunnels
/// carry ping and TCP; the server saves them and brings them back after a restart; a NAT that changes its outside
/// address mid-transfer costs no byte.
/// </summary>
public class StarTests(ITestOutputHelper output)
{
    private const int Clients = 12;
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(30);

    [Fact]
    public void A_dozen_clients_create_at_once_two_behind_nat_and_all_tunnels_carry_ping_and_tcp_across_a_server_restart_and_a_nat_move()
    {
        // Client 11 is behind NAT on path 1, client 12 on both paths.
        using var star = new StarTestbed(Clients, (11, 1), (12, 0), (12, 1));
        using var dir = new TempDir();
        string serverDir = star.WriteServer(dir.Sub("server"));
        var server = DaemonProcess.Start(star.Server, serverDir);
        var clients = new DaemonProcess[Clients + 1];
        try
        {
            for (int i = 1; i <= Clients; i++)
            {
                clients[i] = DaemonProcess.Start(star.Client(i), star.WriteClient(dir.Sub("c" + i), i));
            }

            // All at once, as a dozen sites would after a power cut.
            var sw = System.Diagnostics.Stopwatch.StartNew();
            ProcResult[] creates = Parallel(Clients, i => clients[i].Cli("create", "tunnel.conf"));
            for (int i = 1; i <= Clients; i++)
            {
                Assert.True(creates[i - 1].ExitCode == 0, $"client {i}: {creates[i - 1].All}\n--- client:\n{clients[i].Log}\n--- server:\n{server.Log}");
            }

            JsonElement status = server.Status();
            Assert.Equal(Clients, status.GetProperty("connections").GetArrayLength());
            PingAll(star, clients, server);
            output.WriteLine($"{Clients} creates + pings: {sw.Elapsed.TotalSeconds:0.0} s");

            // The NATed paths were moved to the NAT's outside address by the authenticated announcements, nothing else.
            Assert.True(Control(server, "paths_moved") >= 3, server.Log);
            Assert.Contains("the peer is at 198.18.2.12", server.Log, StringComparison.Ordinal);
            Assert.Contains("the peer is at 198.18.66.12", server.Log, StringComparison.Ordinal);
            Assert.Contains("the peer is at 198.18.66.11", server.Log, StringComparison.Ordinal);

            // Client 12's NAT gets a new outside address on path 0 in the middle of a transfer: byte-exact.
            string moved = Transfer(star, clients[12], server, during: () =>
            {
                Thread.Sleep(1500);
                output.WriteLine(star.NatMove(12, 0));
            });
            output.WriteLine("transfer across the NAT move: " + moved);
            server.WaitUntil(() => server.Log.Contains("the peer is at 198.18.3.12", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the server follows the NAT move");
            Assert.Equal(0, Rejected(server, "auth_failed"));
            Assert.Equal(0, Rejected(server, "rate_limited"));

            // save writes every created connection; a restarted server brings them all back.
            AssertOk(server.Cli("save"), server);
            string[] saved = Directory.GetFiles(Path.Combine(serverDir, "connections"), "peer_*.conf");
            Assert.Equal(Clients, saved.Length);
            Assert.Equal(0, server.Stop());
            server.Dispose();
            server = DaemonProcess.Start(star.Server, serverDir);
            Assert.Equal(Clients, server.Status().GetProperty("connections").GetArrayLength());
            PingAll(star, clients, server); // the NATed clients are found again by their next announcement

            // A client that deletes its connection frees the server's side.
            AssertOk(clients[1].Cli("delete", "tunnel.conf"), clients[1]);
            server.WaitUntil(() => server.Status().GetProperty("connections").GetArrayLength() == Clients - 1, TimeSpan.FromSeconds(10), "the server frees client 1's connection");
            Assert.Equal(1, Control(server, "connections_deleted_by_peer"));
            Assert.True(File.Exists(Path.Combine(serverDir, "connections", "peer_198_19_1_1.conf.disabled")));

            // Client 1 comes back. The restarted server's template starts over at its file's port while the restored
            // connections hold theirs: the new create takes a port none of them binds (two sockets on one port would
            // split its datagrams and take another client's tunnel down), and every tunnel still pings.
            string c1 = Path.Combine(dir.Sub("c1"), "connections");
            File.Move(Path.Combine(c1, "tunnel.conf.disabled"), Path.Combine(c1, "tunnel.conf"));
            AssertOk(clients[1].Cli("reload", "tunnel.conf"), clients[1]);
            AssertOk(clients[1].Cli("create", "tunnel.conf"), clients[1]);
            int[] ports = [.. server.Status().GetProperty("connections").EnumerateArray().Select(c => c.GetProperty("local_port").GetInt32())];
            Assert.Equal(Clients, ports.Length);
            Assert.True(ports.Distinct().Count() == Clients, "data ports: " + string.Join(' ', ports) + "\n--- server:\n" + server.Log);
            PingAll(star, clients, server);
        }
        finally
        {
            foreach (DaemonProcess? c in clients)
            {
                c?.Dispose();
            }

            server.Dispose();
        }
    }

    [Fact]
    public void A_client_with_auto_create_gets_its_tunnel_without_a_create_command_and_again_after_the_server_lost_it()
    {
        using var star = new StarTestbed(1);
        using var dir = new TempDir();
        string serverDir = star.WriteServer(dir.Sub("server"));
        var server = DaemonProcess.Start(star.Server, serverDir);
        DaemonProcess? client = null;
        try
        {
            string clientDir = star.WriteClient(dir.Sub("c1"), 1);
            string file = Path.Combine(clientDir, "connections", "tunnel.conf");
            File.WriteAllText(file, File.ReadAllText(file).Replace("[connection]\n", "[connection]\nauto_create        = 1\n", StringComparison.Ordinal));
            Assert.Contains("auto_create", File.ReadAllText(file), StringComparison.Ordinal);
            client = DaemonProcess.Start(star.Client(1), clientDir);

            // Nobody runs create: the daemon asks for it when it loads the connection.
            PingWithin(star, client, server, 20);
            Assert.Equal(1, server.Status().GetProperty("connections").GetArrayLength());
            Assert.Equal(1, Control(client, "auto_creates"));

            // The server restarts without `save`: it has no connection for the client any more. The client's paths die
            // (dead time 3 s), and after 10 s of every path down it asks again.
            Assert.Equal(0, server.Stop());
            server.Dispose();
            server = DaemonProcess.Start(star.Server, serverDir);
            Assert.Equal(0, server.Status().GetProperty("connections").GetArrayLength());
            PingWithin(star, client, server, 45);
            Assert.Equal(1, server.Status().GetProperty("connections").GetArrayLength());
            Assert.Equal(2, Control(client, "auto_creates"));
            Assert.Equal(0, Control(client, "auto_creates_failed"));
            Assert.Contains("asking the peer to create the connection again (auto_create)", client.Log, StringComparison.Ordinal);
        }
        finally
        {
            client?.Dispose();
            server.Dispose();
        }
    }

    private static void PingWithin(StarTestbed star, DaemonProcess client, DaemonProcess server, int seconds)
    {
        ProcResult ping = star.Exec(star.Client(1), TimeSpan.FromSeconds(seconds + 10), "ping", "-4", "-c", "1", "-w", seconds.ToString(CultureInfo.InvariantCulture), StarTestbed.ServerTunnel);
        Assert.True(ping.ExitCode == 0, $"no ping within {seconds} s: {ping.All}\n--- client:\n{client.Log}\n--- server:\n{server.Log}");
    }

    private static ProcResult[] Parallel(int n, Func<int, ProcResult> run)
    {
        var tasks = new Task<ProcResult>[n];
        for (int i = 1; i <= n; i++)
        {
            int client = i;
            tasks[i - 1] = Task.Run(() => run(client));
        }

        Task.WaitAll(tasks);
        return [.. tasks.Select(t => t.Result)];
    }

    private static void PingAll(StarTestbed star, DaemonProcess[] clients, DaemonProcess server)
    {
        ProcResult[] pings = Parallel(star.Clients, i => star.Exec(star.Client(i), Short, "ping", "-4", "-c", "3", "-i", "0.3", "-w", "15", StarTestbed.ServerTunnel));
        for (int i = 1; i <= star.Clients; i++)
        {
            Assert.True(pings[i - 1].ExitCode == 0, $"client {i} ping: {pings[i - 1].All}\n--- client:\n{clients[i].Log}\n--- server:\n{server.Log}");
        }
    }

    // 24 MB from the client to the server's tunnel address, SHA-256 on both ends.
    private static string Transfer(StarTestbed star, DaemonProcess client, DaemonProcess server, Action during)
    {
        string script = Path.Combine(TestEnvironment.ScriptsDir, "sha_transfer.py");
        var receiver = Task.Run(() => star.Exec(star.Server, TimeSpan.FromSeconds(90), Proc.Python, script, "recv", StarTestbed.ServerTunnel, "5001", "60"));
        // The receiver listens before the sender connects (or has already failed: its result says why).
        Wait.Until(() => receiver.IsCompleted || star.Exec(star.Server, TimeSpan.FromSeconds(10), "ss", "-Hltn", "sport = :5001").Stdout.Contains(":5001", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "sha_transfer receiver on the server");
        var sender = Task.Run(() => star.Exec(star.Client(12), TimeSpan.FromSeconds(90), Proc.Python, script, "send", StarTestbed.ServerTunnel, "5001",
            (24 << 20).ToString(CultureInfo.InvariantCulture), "15", "60"));
        during();
        ProcResult s = sender.GetAwaiter().GetResult();
        ProcResult r = receiver.GetAwaiter().GetResult();
        Assert.True(s.ExitCode == 0, $"sender failed: {s.All}\n--- client:\n{client.Log}\n--- server:\n{server.Log}");
        Assert.True(r.ExitCode == 0, $"receiver failed: {r.All}\n--- server:\n{server.Log}");
        Assert.Equal(s.Stdout.Trim(), r.Stdout.Trim());
        return r.Stdout.Trim();
    }

    private static long Control(DaemonProcess d, string name) => d.Status().GetProperty("control").GetProperty(name).GetInt64();

    private static long Rejected(DaemonProcess d, string reason) => d.Status().GetProperty("control").GetProperty("rejected").GetProperty(reason).GetInt64();

    private static void AssertOk(ProcResult r, DaemonProcess d) =>
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.All}\n--- daemon:\n{d.Log}");

}
