using System.Globalization;
using MptFast.Integration.Tests.Support;
using Xunit;

namespace MptFast.Integration.Tests;

/// <summary>
/// Issue 14: the local control channel not every user can drive. MptFast's CLI uses the daemon's Unix socket (root
/// only, SO_PEERCRED checked and logged); the original's UDP loopback CLI (MPT-SPEC §4.8, B59) only with cli_udp = 1.
/// </summary>
public class LocalControlTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(30);
    private static readonly string[] Nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"];

    private static string Socket(DaemonProcess d) => Path.Combine(d.ConfDir, "control.sock");

    private static string Port => TunnelSpec.CommandPort.ToString(CultureInfo.InvariantCulture);

    private static ProcResult AsNobody(string ns, params string[] args) =>
        Proc.Run(Short, "ip", ["netns", "exec", ns, .. Nobody, TestEnvironment.MptfastBinary, .. args]);

    private static int StatusOf(DaemonProcess d, int path) => DaemonProcess.PathOf(d.Status(), 0, path).GetProperty("status").GetInt32();

    private static void AssertExit(ProcResult r, int exit, string contains, DaemonProcess d)
    {
        Assert.True(r.ExitCode == exit, $"exit {r.ExitCode}, expected {exit}: {r.All}\n--- daemon:\n{d.Log}");
        Assert.True(r.All.Contains(contains, StringComparison.Ordinal), $"'{contains}' not in: {r.All}");
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Root_drives_the_daemon_over_its_socket_and_nobody_is_refused_on_the_socket_and_on_udp()
    {
        using var t = new TunnelFixture(new TunnelSpec([new PathSpec(1), new PathSpec(2)]) { WithIpv6Connection = false });
        string socket = Socket(t.A);
        var mode = File.GetUnixFileMode(socket);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);

        // Root, over the socket (the CLI's own choice): the command runs and the daemon logs who sent it.
        AssertExit(t.A.Cli("show", "status"), 0, "CMD server port number", t.A);
        t.A.WaitForLog("control socket: 'show status' from pid ", TimeSpan.FromSeconds(5));
        Assert.Contains(" uid 0 gid 0", t.A.Log, StringComparison.Ordinal);

        // nobody: the socket's mode refuses the connection…
        AssertExit(AsNobody(t.Testbed.A, "--socket", socket, "path", "down", "198.18.2.1", "198.18.2.2"), 7, "permission denied", t.A);

        // …and, if the mode were wrong, SO_PEERCRED still does.
        File.SetUnixFileMode(socket, mode | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        AssertExit(AsNobody(t.Testbed.A, "--socket", socket, "path", "down", "198.18.2.1", "198.18.2.2"), 6, "permission denied: uid 65534", t.A);
        t.A.WaitForLog("refused: permission denied: uid 65534", TimeSpan.FromSeconds(5));

        // UDP loopback is off by default: no reply, no effect.
        AssertExit(AsNobody(t.Testbed.A, "-p", Port, "-t", "1", "path", "down", "198.18.2.1", "198.18.2.2"), 7, "no answer", t.A);
        t.A.WaitForLog("CLI request from", TimeSpan.FromSeconds(5));
        Assert.Equal(0, StatusOf(t.A, 1));
        t.Ping('a', v6: false);
        System.Text.Json.JsonElement control = t.A.Status().GetProperty("control");
        Assert.True(control.GetProperty("cli_socket_refused").GetInt64() >= 1, control.ToString());
        Assert.True(control.GetProperty("cli_udp_ignored").GetInt64() >= 1, control.ToString());

        // Root too gets nothing over UDP unless cli_udp = 1.
        AssertExit(t.A.Cli("--udp", "-t", "1", "show", "status"), 7, "cli_udp", t.A);
        Assert.Equal(0, StatusOf(t.A, 1));
    }

    [Fact]
    public void With_cli_udp_the_original_udp_channel_works_and_the_daemon_warns()
    {
        static void CliUdp(string dir, char side)
        {
            string file = Path.Combine(dir, "interface.conf");
            File.WriteAllText(file, File.ReadAllText(file).Replace("[general]", "[general]\ncli_udp = 1", StringComparison.Ordinal));
        }

        using var t = new TunnelFixture(new TunnelSpec([new PathSpec(1), new PathSpec(2)]) { WithIpv6Connection = false }, CliUdp);
        Assert.Contains("cli_udp = 1: the original's CLI is served", t.A.Log, StringComparison.Ordinal);
        AssertExit(t.A.Cli("-p", Port, "path", "down", "198.18.2.1", "198.18.2.2"), 0, "path down 198.18.2.1 198.18.2.2", t.A);
        Assert.NotEqual(0, StatusOf(t.A, 1));
        AssertExit(t.A.Cli("--udp", "path", "up", "198.18.2.1", "198.18.2.2"), 0, "path up", t.A);
    }

    [Fact]
    public void A_stale_socket_is_replaced_at_start_and_the_socket_is_removed_at_stop()
    {
        var spec = new TunnelSpec([new PathSpec(1)]) { WithIpv6Connection = false };
        string? socket = null;
        using (var t = new TunnelFixture(spec, (dir, side) =>
        {
            // A socket file nobody listens on, as a killed daemon leaves it (Python: .NET unlinks its socket files at dispose).
            string path = Path.Combine(dir, "control.sock");
            ProcResult r = Proc.Run(Short, Proc.Python, "-c", "import socket,sys; socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).bind(sys.argv[1])", path);
            Assert.True(r.ExitCode == 0 && File.Exists(path), r.All);
        }, testbedPaths: 1))
        {
            socket = Socket(t.A);
            Assert.Contains("removing the stale", t.A.Log, StringComparison.Ordinal);
            AssertExit(t.A.Cli("show", "status"), 0, "CMD server port number", t.A);
        }

        Assert.False(File.Exists(socket), socket + " left behind after stop");
    }
}
