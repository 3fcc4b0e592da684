using MptFast.Integration.Tests.Support;

namespace MptFast.Integration.Tests;

/// <summary>
/// Silent path failure end to end (issue 14 item 4): the testbed's <c>linkdown --mode drop</c> keeps both links up and
/// drops every packet on the path with nftables, so only the dead timer can find it (MPT-SPEC §3.5) — here with
/// MptFast's millisecond keys, keepalive 100 ms / dead 300 ms, beside the original's 1 s / 3 s. The carrier-loss case is
/// <see cref="TunnelTests.Failover_a_link_down_mid_transfer_completes_and_the_path_returns_by_itself"/>.
/// </summary>
public class FailoverTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    private static int Status(System.Text.Json.JsonElement path) => path.GetProperty("status").GetInt32();

    [Fact]
    public void Silent_drop_mid_transfer_takes_the_path_down_by_the_millisecond_dead_timer_and_it_returns_after_healing()
    {
        var spec = new TunnelSpec([new PathSpec(1), new PathSpec(2)])
        {
            WithIpv6Connection = false,
            KeepaliveTime = 1,
            DeadTime = 3,
            KeepaliveMsec = 100,
            DeadTimeMsec = 300,
        };
        using var t = new TunnelFixture(spec);
        t.Testbed.Shape(1, 50);
        t.Testbed.Shape(2, 50);
        t.Ping('a', v6: false);

        var path = DaemonProcess.PathOf(t.A.Status(), 0, 1);
        Assert.Equal((100, 300), (path.GetProperty("keepalive_ms").GetInt32(), path.GetProperty("dead_time_ms").GetInt32()));

        long atDrop = 0;
        var (sent, received) = t.Transfer(40_000_000, timeoutSeconds: 50, during: () =>
        {
            // Fail the path only once the stream is under way, and heal it while it still runs.
            Wait.Until(() => t.Transmitted('a') > 2_000_000, Generous, "the transfer under way", () => t.A.Log);
            t.Testbed.LinkDown(2, "drop");
            atDrop = t.Transmitted('a');
            t.WaitForPath('a', 1, p => Status(p) == 0x80, Generous, "a's path 1 down (0x80)");
            t.WaitForPath('b', 1, p => Status(p) == 0x80, Generous, "b's path 1 down (0x80)");
            t.Testbed.LinkUp(2);
            t.WaitForPath('a', 1, p => Status(p) == 0, Generous, "a's path 1 up again without any command");
            t.WaitForPath('b', 1, p => Status(p) == 0, Generous, "b's path 1 up again without any command");
        });

        Assert.Equal(sent, received);
        Assert.StartsWith("40000000 ", received, StringComparison.Ordinal);
        Assert.True(atDrop < 40_000_000, $"the transfer had ended ({atDrop} bytes sent) before the path failed");

        // The dead timer in milliseconds took it down on at least one side (the other may have heard it from the peer first,
        // MPT-SPEC §4.6), and a keepalive brought it back (§3.6); the carrier never went away.
        string logs = t.A.Log + t.B.Log;
        Assert.Contains("status 0x00 -> 0x80: no keepalive for 300 ms", logs, StringComparison.Ordinal);
        Assert.Contains("status 0x80 -> 0x00: keepalive received", t.A.Log, StringComparison.Ordinal);
        Assert.Contains("status 0x80 -> 0x00: keepalive received", t.B.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("0x81", logs, StringComparison.Ordinal);

        // Both paths carry traffic again.
        var before = t.A.Status();
        t.Testbed.ExecCheck('a', Generous, "ping", "-4", "-c", "40", "-i", "0.01", "-w", "10", TunnelSpec.TunnelAddress('b'));
        var after = t.A.Status();
        long Delta(int p) => DaemonProcess.Counter(DaemonProcess.PathOf(after, 0, p), "tx_packets") - DaemonProcess.Counter(DaemonProcess.PathOf(before, 0, p), "tx_packets");
        Assert.True(Delta(0) > 0 && Delta(1) > 0, $"after healing, path 0 sent {Delta(0)} and path 1 {Delta(1)} packets");
    }
}
