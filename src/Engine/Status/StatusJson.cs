using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MptFast.Engine.Config;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Status;

/// <summary>
/// <c>mptfast status --json</c>: the <see cref="StatusSnapshot"/> as one JSON object for scripts and tests. Counter
/// lists are written as they were published, so a counter added to its owner appears here without an edit.
/// </summary>
public static class StatusJson
{
    public static string Render(StatusSnapshot status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            Tunnel(w, status.Tunnel);
            if (status.Control is { } control)
            {
                w.WriteStartObject("control");
                Counters(w, control.Counters);
                w.WriteNumber("rejected_total", control.Rejected.Total);
                Counters(w, "rejected", control.Rejected);
                w.WriteEndObject();
            }

            w.WriteStartArray("connections");
            foreach (ConnectionReport c in status.Connections)
            {
                Connection(w, c);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Tunnel(Utf8JsonWriter w, TunnelReport tunnel)
    {
        InterfaceConfig i = tunnel.Interface;
        w.WriteStartObject("tunnel");
        w.WriteString("name", i.TunName);
        w.WriteNumber("mtu", i.Mtu);
        w.WriteString("ipv4", i.Ipv4Address?.ToString());
        w.WriteString("ipv6", i.Ipv6Address?.ToString());
        w.WriteNumber("command_port", tunnel.CommandPort);
        w.WriteBoolean("accept_remote", i.AcceptRemote);
        w.WriteNumber("uptime_s", Math.Round(tunnel.Uptime.TotalSeconds, 3));
        w.WriteNumber("dropped_no_connection", tunnel.DroppedNoConnection);
        w.WriteNumber("tx_thread_allocated_bytes", tunnel.TxThreadAllocatedBytes);
        w.WriteNumber("rx_thread_allocated_bytes", tunnel.RxThreadAllocatedBytes);
        Counters(w, "datapath", tunnel.Datapath);
        if (tunnel.Memory is { } m)
        {
            w.WriteStartObject("memory");
            w.WriteNumber("allocated_bytes", m.AllocatedBytes);
            w.WriteNumber("gc_heap_bytes", m.HeapBytes);
            w.WriteNumber("gc_gen0", m.Collections.Gen0);
            w.WriteNumber("gc_gen1", m.Collections.Gen1);
            w.WriteNumber("gc_gen2", m.Collections.Gen2);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void Connection(Utf8JsonWriter w, ConnectionReport c)
    {
        ConnectionConfig k = c.Config;
        w.WriteStartObject();
        w.WriteString("name", k.Name);
        w.WriteString("file", k.FileName);
        w.WriteNumber("ip_ver", c.IpVersion);
        w.WriteString("local", k.IpLocal.ToString());
        w.WriteString("remote", k.IpRemote.ToString());
        w.WriteNumber("local_port", k.LocalPort);
        w.WriteNumber("remote_port", k.RemotePort);
        w.WriteNumber("local_cmd_port", k.LocalCmdPort);
        w.WriteNumber("remote_cmd_port", k.RemoteCmdPort);
        w.WriteNumber("reorder_window", k.ReorderWindow);
        w.WriteBoolean("reorder_auto", k.ReorderAuto);
        w.WriteNumber("max_buffdelay_ms", k.MaxBuffDelayMs);
        w.WriteString("scheduler", k.Scheduler == SchedulerMode.Adaptive ? "adaptive" : "weighted");
        w.WriteBoolean("loss_recovery", k.LossRecovery);
        w.WriteBoolean("equalize_delay", k.EqualizeDelay);
        w.WriteBoolean("equalize_acks", k.EqualizeAcks);
        w.WriteBoolean("equalize_auto", k.HoldsDelayBasedAcks);
        if (k.HoldsDelayBasedAcks)
        {
            w.WriteNumber("ack_floor_us", c.AckFloorMicros);
        }
        w.WriteString("peer", (c.Peer & PeerFeatures.MptFast) != 0 ? "mptfast" : "unknown");
        if (c.ReorderHoldMicros is { } hold)
        {
            w.WriteNumber("reorder_hold_us", hold.Hold);
            w.WriteNumber("reorder_hold_floor_us", hold.Floor);
            w.WriteNumber("reorder_hold_max_us", hold.Max);
        }
        w.WriteNumber("auth_type", k.AuthType);
        w.WriteNumber("dropped_no_path", c.DroppedNoPath);
        if (c.Reorder is { } reorder)
        {
            Counters(w, "reorder", reorder);
        }

        w.WriteStartArray("paths");
        foreach (PathReport p in c.Paths)
        {
            Path(w, p);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Path(Utf8JsonWriter w, PathReport p)
    {
        w.WriteStartObject();
        w.WriteNumber("index", p.Index);
        w.WriteString("interface", p.Config.InterfaceName);
        w.WriteString("local", p.Local.ToString());
        w.WriteString("public", p.Public.ToString());
        w.WriteString("remote", p.Remote.ToString());
        if (p.Endpoint is { } endpoint)
        {
            w.WriteString("peer_endpoint", endpoint.ToString()); // issue 15: where sends go now (NAT: the observed mapping)
        }

        w.WriteNumber("status", (int)p.Status);
        w.WriteString("status_name", StatusName(p.Status));
        w.WriteNumber("weight_in", p.Config.WeightIn);
        w.WriteNumber("weight_out", p.Config.WeightOut);
        w.WriteNumber("keepalive_time", p.Config.KeepaliveTime);
        w.WriteNumber("dead_time", p.Config.DeadTime);
        w.WriteNumber("keepalive_ms", p.Config.KeepaliveMs); // what MptFast uses: keepalive_msec, else keepalive_time
        w.WriteNumber("dead_time_ms", p.Config.DeadMs);
        if (p.LinkUp is bool up)
        {
            w.WriteBoolean("link_up", up);
        }

        Counters(w, p.Traffic);
        w.WriteNumber("last_keepalive_age_ms", p.LastKeepaliveAge is { } age ? (long)age.TotalMilliseconds : -1);
        if (p.Socket is { } socket)
        {
            // The socket's own view: sends and GSO trains handed to the kernel, back-pressure, receive errors.
            Counters(w, "socket", socket);
        }

        Counters(w, "drops", p.Drops);
        if (p.Measurement is { } measurement)
        {
            // Probes between MptFast peers: RTT, one-way queueing, delivered rate, capacity, loss, loss recovery.
            Counters(w, "measurement", measurement);
        }

        w.WriteEndObject();
    }

    /// <summary>The path status as a name (<c>ok</c>, <c>manual_down</c>…), for scripts.</summary>
    public static string StatusName(PathStatus s) => s switch
    {
        PathStatus.Ok => "ok",
        PathStatus.Down => "down",
        PathStatus.InterfaceDown => "interface_down",
        PathStatus.AddressDown => "address_down",
        PathStatus.ManualDown => "manual_down",
        PathStatus.Disabled => "disabled",
        _ => "down_" + ((int)s).ToString(CultureInfo.InvariantCulture),
    };

    private static void Counters(Utf8JsonWriter w, string name, CounterSnapshot counters)
    {
        w.WriteStartObject(name);
        Counters(w, counters);
        w.WriteEndObject();
    }

    private static void Counters(Utf8JsonWriter w, CounterSnapshot counters)
    {
        foreach (Counter c in counters)
        {
            w.WriteNumber(c.Name, c.Value);
        }
    }
}
