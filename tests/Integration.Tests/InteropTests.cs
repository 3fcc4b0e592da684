using System.Globalization;
using System.Text.RegularExpressions;
using MptFast.Integration.Tests.Support;
using MptFast.Tests.Common;

namespace MptFast.Integration.Tests;

/// <summary>Interoperability: a standard RFC 8086 peer (scapy), and packets captured from the original MPT (issue: datapath).</summary>
public partial class InteropTests
{
    [Fact]
    public async Task An_independent_rfc8086_peer_exchanges_icmp_echo_with_the_daemon_over_one_path()
    {
        using var tb = new Testbed(1, v6: false);
        using var dir = new TempDir();
        // MPT-SPEC §12.3: a standard peer sends no keepalives, so the MPT side runs without them.
        var spec = new TunnelSpec([new PathSpec(1)]) { WithIpv6Connection = false, KeepaliveTime = 0, DeadTime = 0 };
        using var a = DaemonProcess.Start(tb.A, spec.Write(dir.Sub("a"), 'a'));

        string script = Path.Combine(TestEnvironment.ScriptsDir, "scapy_peer.py");
        var peer = Task.Run(() => tb.Exec('b', TimeSpan.FromSeconds(40), Proc.Python, script,
            "198.18.1.2", TunnelSpec.DataPort.ToString(CultureInfo.InvariantCulture), "198.18.1.1", "198.19.0.2", "198.19.0.1", "5", "12"));
        // scapy takes a moment to import; the peer binds its socket after that.
        Wait.Until(() => peer.IsCompleted || tb.Listening('b', TunnelSpec.DataPort, udp: true), TimeSpan.FromSeconds(30), "the scapy peer bound");
        var ping = tb.Exec('a', TimeSpan.FromSeconds(30), "ping", "-4", "-c", "3", "-i", "0.3", "-w", "8", "198.19.0.2");
        ProcResult result = await peer;

        Assert.True(result.ExitCode == 0, "scapy peer failed: " + result.All);
        Match m = PeerLine().Match(result.Stdout);
        Assert.True(m.Success, "no result line from the scapy peer: " + result.All);
        Assert.Equal(5, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.True(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) >= 3, "peer answered too few requests: " + result.Stdout);
        Assert.Equal(0, int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
        Assert.True(ping.ExitCode == 0, $"ping through the scapy peer failed: {ping.All}\n{a.Log}");
    }

    [Theory]
    [InlineData("ipv4-a", "198.18.1.2", "198.18.1.1", new[] { "data-ipv4-icmp-echo-noseq", "data-ipv4-icmp-reply-noseq", "data-ipv4-icmp-echo-seq0", "data-ipv4-icmp-echo-seq1" }, new[] { "keepalive-ipv4-b-to-a" })]
    [InlineData("ipv6-a", "fd00:1::2", "fd00:1::1", new[] { "data-ipv6-icmp6-echo-noseq" }, new string[0])]
    public void The_daemon_accepts_the_original_mpts_packets_replayed_from_the_configured_peer(
        string config, string peer, string self, string[] data, string[] keepalives)
    {
        using var tb = new Testbed(2, v6: true);
        using var dir = new TempDir();
        // The captures' daemons also had conf.template (testvectors/README.md): add it beside the connection.
        string conf = CopyDir(SharedFiles.Path_("testvectors", "configs", config, "conf"), dir.Sub("conf"));
        File.Copy(Path.Combine(conf, "connections", "tunnel.conf"), Path.Combine(conf, "connections", "conf.template"));
        using var a = DaemonProcess.Start(tb.A, conf);

        string script = Path.Combine(TestEnvironment.ScriptsDir, "inject.py");
        string[] files = [.. data.Concat(keepalives).Select(n => Path.Combine(SharedFiles.TestVectorDir, n + ".hex"))];
        long tunBefore = TunReceived(tb);
        tb.ExecCheck('b', TimeSpan.FromSeconds(20), Proc.Python, [script, "replay", peer, self, "23456", .. files]);
        System.Text.Json.JsonElement p0 = default;
        Wait.Until(() =>
            {
                p0 = DaemonProcess.PathOf(a.Status(), 0, 0);
                return DaemonProcess.Counter(p0, "rx_packets") >= data.Length && DaemonProcess.Counter(p0, "keepalives_received") >= keepalives.Length;
            },
            TimeSpan.FromSeconds(20), "the replayed packets counted", () => p0 + "\n" + a.Log);
        Assert.Equal(data.Length, DaemonProcess.Counter(p0, "rx_packets"));
        Assert.True(DaemonProcess.Counter(p0, "keepalives_received") >= keepalives.Length, p0.ToString());
        Assert.Equal(0, DaemonProcess.Drop(p0, "malformed"));
        Assert.Equal(0, DaemonProcess.Drop(p0, "unknown_source"));

        // And they reached the TUN: what the daemon writes to it the kernel counts as received on tun0. (The kernel
        // answers the echo requests among them; nothing else is written in this namespace's tunnel meanwhile.)
        long written = 0;
        Wait.Until(() => (written = TunReceived(tb) - tunBefore) >= data.Length, TimeSpan.FromSeconds(10),
            "the replayed data packets written to tun0", () => $"tun0 rx_packets grew by {written}\n{a.Log}");
        Assert.Equal(data.Length, written);
    }

    /// <summary>tun0's rx_packets in side a's namespace.</summary>
    private static long TunReceived(Testbed tb) =>
        long.Parse(tb.ExecCheck('a', TimeSpan.FromSeconds(10), "cat", "/sys/class/net/tun0/statistics/rx_packets").Trim(), CultureInfo.InvariantCulture);

    private static string CopyDir(string from, string to)
    {
        foreach (string f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }

        return to;
    }

    [GeneratedRegex(@"replies=(\d+) answered=(\d+) bad=(\d+)")]
    private static partial Regex PeerLine();
}
