using System.Text.Json;
using MptFast.Integration.Tests.Support;

namespace MptFast.Integration.Tests;

/// <summary>
/// What the daemon leaves in the kernel (MPT-SPEC §9.3), read back from the kernel itself with <c>ip -j</c>: the TUN
/// with its configured MTU and addresses, a host route to each path's remote address on its interface, a route to the
/// peer's tunnel address and one per <c>[net_N]</c> on the TUN — and none of it after the daemon stopped.
/// </summary>
public class KernelStateTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(20);

    [Fact]
    public void Tun_mtu_and_routes_are_in_the_kernel_while_running_and_gone_after_stop()
    {
        var spec = new TunnelSpec([new PathSpec(1), new PathSpec(2)]) { Mtu = 1380, NetworkDestination = "198.19.77.0/24" };
        using var t = new TunnelFixture(spec);
        t.Ping('a', v6: false);

        JsonElement link = Json(t, "ip", "-j", "link", "show", "tun0")[0];
        Assert.Equal(1380, link.GetProperty("mtu").GetInt32());
        Assert.Contains("UP", link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        string[] addresses = [.. Json(t, "ip", "-j", "addr", "show", "tun0")[0].GetProperty("addr_info").EnumerateArray()
            .Select(a => a.GetProperty("local").GetString() + "/" + a.GetProperty("prefixlen").GetInt32())];
        Assert.Contains("198.19.0.1/24", addresses);
        Assert.Contains("fd00:ff::1/64", addresses);

        string[] tun4 = Destinations(t, "-4", "tun0");
        Assert.Contains("198.19.0.2", tun4);          // the peer's tunnel address (tunnel.conf)
        Assert.Contains("198.19.77.0/24", tun4);      // [net_0]
        Assert.Contains("fd00:ff::2", Destinations(t, "-6", "tun0")); // tunnel6.conf's peer
        Assert.Contains("198.18.1.2", Destinations(t, "-4", "veth1")); // path 0's remote, on its interface
        Assert.Contains("198.18.2.2", Destinations(t, "-4", "veth2"));

        Assert.Equal(0, t.A.Stop());
        Assert.True(t.Testbed.Exec('a', Short, "ip", "link", "show", "tun0").ExitCode != 0, "tun0 still exists after the daemon stopped");
        string[] left = [.. Json(t, "ip", "-j", "-4", "route", "show").EnumerateArray().Select(r => r.GetProperty("dst").GetString()!)];
        Assert.DoesNotContain("198.19.77.0/24", left);
        Assert.DoesNotContain("198.19.0.2", left);
        Assert.DoesNotContain("198.18.1.2", left); // the connected /24 stays, the daemon's /32 host route is gone
        Assert.DoesNotContain("198.18.2.2", left);
    }

    private static string[] Destinations(TunnelFixture t, string family, string dev) =>
        [.. Json(t, "ip", "-j", family, "route", "show", "dev", dev).EnumerateArray().Select(r => r.GetProperty("dst").GetString()!)];

    private static JsonElement Json(TunnelFixture t, string file, params string[] args)
    {
        string output = t.Testbed.ExecCheck('a', Short, file, args);
        return JsonDocument.Parse(string.IsNullOrWhiteSpace(output) ? "[]" : output).RootElement.Clone();
    }
}
