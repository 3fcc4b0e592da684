using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MptFast.Engine.Config;
using MptFast.Engine.Runtime;
using MptFast.Engine.Status;
using MptFast.Engine.Tests.Datapath;

namespace MptFast.Engine.Tests.Status;

/// <summary>The status text and JSON are renderings of one <see cref="StatusSnapshot"/>.</summary>
public sealed class StatusRenderTests
{
    [Fact]
    public void Json_shows_every_counter_each_owner_publishes()
    {
        StatusSnapshot status = Snapshot(out ConnectionRuntime connection);
        using JsonDocument doc = JsonDocument.Parse(StatusJson.Render(status));
        JsonElement path = doc.RootElement.GetProperty("connections")[0].GetProperty("paths")[0];
        PathRuntime p = connection.Paths[0];

        foreach (Counter c in p.Counters.Traffic())
        {
            Assert.Equal(c.Value, path.GetProperty(c.Name).GetInt64());
        }

        foreach (Counter c in p.Counters.Drops())
        {
            Assert.Equal(c.Value, path.GetProperty("drops").GetProperty(c.Name).GetInt64());
        }

        foreach (Counter c in p.Socket!.Counters.Snapshot())
        {
            Assert.Equal(c.Value, path.GetProperty("socket").GetProperty(c.Name).GetInt64());
        }

        JsonElement tunnel = doc.RootElement.GetProperty("tunnel");
        Assert.Equal(9, tunnel.GetProperty("datapath").GetProperty("rx_gro_messages").GetInt64());
        Assert.Equal(4, tunnel.GetProperty("dropped_no_connection").GetInt64());
        JsonElement control = doc.RootElement.GetProperty("control");
        Assert.Equal(6, control.GetProperty("answered").GetInt64());
        Assert.Equal(5, control.GetProperty("rejected_total").GetInt64());
        Assert.Equal(5, control.GetProperty("rejected").GetProperty("truncated").GetInt64());
        Assert.Equal(-1, path.GetProperty("last_keepalive_age_ms").GetInt64());
    }

    [Fact]
    public void Text_renders_the_same_snapshot_in_the_original_layout()
    {
        StatusSnapshot status = Snapshot(out _);
        string text = StatusText.Render(status);

        Assert.StartsWith("\nTunnel information:\n    Tunnel interface : tun0\n", text, StringComparison.Ordinal);
        Assert.Contains("    Control answered : 6\n", text, StringComparison.Ordinal);
        Assert.Contains("    Control rejected : 5 truncated=5\n", text, StringComparison.Ordinal);
        Assert.Contains("    Packets sent out      : 12\n", text, StringComparison.Ordinal);
        Assert.Contains("     Packets out / in   : 12 / 7\n", text, StringComparison.Ordinal);
        Assert.Contains("     Keepalives out / in: 3 / 0\n", text, StringComparison.Ordinal);
        Assert.Contains("     Last keepalive     : never\n", text, StringComparison.Ordinal);
        Assert.Contains("     Drops              : unknown_source=0 malformed=2 truncated=0 send_errors=1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_received_keepalive_shows_its_age_in_both_renderings()
    {
        StatusSnapshot status = Snapshot(out ConnectionRuntime connection, keepaliveAgo: TimeSpan.FromMilliseconds(1500));

        Assert.Contains("     Last keepalive     : 1.500 s ago\n", StatusText.Render(status), StringComparison.Ordinal);
        using JsonDocument doc = JsonDocument.Parse(StatusJson.Render(status));
        Assert.Equal(1500, doc.RootElement.GetProperty("connections")[0].GetProperty("paths")[0].GetProperty("last_keepalive_age_ms").GetInt64());
        Assert.Equal(1, connection.Paths[0].Counters.Rx.KeepalivesReceived);
    }

    private static StatusSnapshot Snapshot(out ConnectionRuntime connection, TimeSpan? keepaliveAgo = null)
    {
        (connection, _) = PumpTests.Connection(0, [1, 1]);
        PathRuntime p = connection.Paths[0];
        p.Counters.Tx.Packets = 12;
        p.Counters.Rx.Packets = 7;
        p.Counters.Rx.DropMalformed = 2;
        p.Counters.Tx.SendErrors = 1;
        p.Counters.Control.KeepalivesSent = 3;
        p.Socket!.Counters.Send.GsoSends = 8;
        p.Socket.Counters.Receive.PoolExhausted = 2;
        long now = Stopwatch.GetTimestamp();
        if (keepaliveAgo is { } ago)
        {
            p.Counters.Rx.KeepalivesReceived = 1;
            p.LastKeepaliveTicks = now - (long)(ago.TotalSeconds * Stopwatch.Frequency);
        }

        var tunnel = new TunnelReport(new InterfaceConfig { TunName = "tun0", Ipv4Address = new IpPrefix(IPAddress.Parse("198.19.0.1"), 24) },
            7, 60456, TimeSpan.FromSeconds(3), 4, 0, 0,
            new CounterSnapshot().Add("tx_super_packets", 1).Add("rx_gro_messages", 9).Add("tx_dropped_no_connection", 4));
        var control = new ControlReport(new CounterSnapshot().Add("answered", 6).Add("notifications_acknowledged", 0).Add("notifications_failed", 0),
            new CounterSnapshot().Add("truncated", 5).Add("unknown_command", 0));
        return new StatusSnapshot(tunnel, control, [ConnectionReport.Capture(connection, now)]);
    }
}
