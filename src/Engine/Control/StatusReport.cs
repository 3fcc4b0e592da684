using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MptFast.Engine.Config;
using MptFast.Engine.Datapath;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Control;

/// <summary>What the status report needs to know about the tunnel besides its connections.</summary>
public sealed record TunnelInfo(InterfaceConfig Interface, int TunFd, ushort CommandPort, long StartedTicks,
    Func<(long Tx, long Rx)>? DatapathAllocatedBytes = null, Func<long>? DropNoConnection = null, Func<ControlCounters>? ControlPlane = null,
    Func<DatapathCounters>? Datapath = null);

/// <summary>
/// The status report: the original's text layout of <c>mpt show status</c> (MPT-SPEC §9.11, with fields added at the end
/// of blocks: counters, drops, keepalive age) and the same data as JSON for scripts and tests.
/// </summary>
public static class StatusReport
{
    public static string Text(TunnelInfo tunnel, IReadOnlyList<ConnectionRuntime> connections, long now)
    {
        var sb = new StringBuilder();
        InterfaceConfig i = tunnel.Interface;
        sb.Append('\n').Append("Tunnel information:\n");
        Line(sb, "    Tunnel interface : ", i.TunName);
        Line(sb, "    Tunnel device    : ", "/dev/net/tun");
        Line(sb, "    Tunnel file desc.: ", Num(tunnel.TunFd));
        Line(sb, "    Tunnel int. MTU  : ", Num(i.Mtu));
        if (i.Ipv4Address is not null)
        {
            Line(sb, "    Tunnel ipv4 addr.: ", i.Ipv4Address.ToString());
        }

        if (i.Ipv6Address is not null)
        {
            Line(sb, "    Tunnel ipv6 addr.: ", i.Ipv6Address.ToString());
        }

        Line(sb, "    CMD server port number  : ", Num(tunnel.CommandPort));
        Line(sb, "    Global server    : ", i.AcceptRemote ? "1" : "0");
        if (tunnel.ControlPlane?.Invoke() is { } control)
        {
            Line(sb, "    Control answered : ", Num(control.Answered));
            Line(sb, "    Control rejected : ", Num(control.RejectedTotal) + RejectionText(control));
            Line(sb, "    Notifications    : ", $"acknowledged={Num(control.NotificationsAcknowledged)} failed={Num(control.NotificationsFailed)}");
        }

        sb.Append('\n').Append("Number of connections: ").Append(Num(connections.Count)).Append(" \n");
        foreach (ConnectionRuntime c in connections)
        {
            ConnectionText(sb, c, now);
        }

        return sb.ToString();
    }

    private static void ConnectionText(StringBuilder sb, ConnectionRuntime c, long now)
    {
        ConnectionConfig k = c.Config;
        long sent = 0;
        foreach (PathRuntime p in c.Paths)
        {
            sent += Volatile.Read(ref p.Counters.TxPackets);
        }

        sb.Append('\n').Append("Multipath Connection Information:\n");
        sb.Append("Connection name  : ").Append(k.Name).Append(" \n");
        Line(sb, "    Config file           : ", k.FileName);
        Line(sb, "    IP version            : ", Num(c.IpVersion));
        Line(sb, "    Local  Tunnel address : ", k.IpLocal.ToString());
        Line(sb, "    Local  UDP Port       : ", Num(k.LocalPort));
        Line(sb, "    Local  CMD UDP Port   : ", Num(k.LocalCmdPort));
        Line(sb, "    Remote Tunnel address : ", k.IpRemote.ToString());
        Line(sb, "    Remote UDP Port       : ", Num(k.RemotePort));
        Line(sb, "    Remote CMD UDP Port   : ", Num(k.RemoteCmdPort));
        Line(sb, "    Number of Paths       : ", Num(c.Paths.Length));
        Line(sb, "    Number of networks    : ", Num(k.Networks.Count));
        Line(sb, "    Packets sent out      : ", Num(sent));
        Line(sb, "    Connection update     : ", Num(k.Permission));
        Line(sb, "    Authentication type   : ", Num(k.AuthType));
        Line(sb, "    Connection reorder win: ", Num(k.ReorderWindow));
        Line(sb, "    Max. delay in rcv.buff: ", $"{k.MaxBuffDelayMs / 1000}(sec) {k.MaxBuffDelayMs % 1000}(msec)");
        Line(sb, "    Connection status     : ", Num(k.Status));
        Line(sb, "    Dropped (no OK path)  : ", Num(c.DropNoPath));
        foreach (PathRuntime p in c.Paths)
        {
            PathCounters n = p.Counters;
            sb.Append("  Path ").Append(Num(p.Index)).Append(" information:\n");
            Line(sb, "     Interface name:    : ", p.Config.InterfaceName);
            Line(sb, "     Public IP address  : ", p.PublicAddress.ToString());
            Line(sb, "     Private IP address : ", p.LocalAddress.ToString());
            Line(sb, "     Gateway IP address : ", p.Config.GatewayAddress.ToString());
            Line(sb, "     Remote IP address  : ", p.RemoteAddress.ToString());
            Line(sb, "     Incoming weight    : ", Num(p.Config.WeightIn));
            Line(sb, "     Outgoing weight    : ", Num(p.Config.WeightOut));
            Line(sb, "     Keepalive time     : ", Num(p.Config.KeepaliveTime));
            Line(sb, "     Dead timer         : ", Num(p.Config.DeadTime));
            Line(sb, "     Path Status        : ", Num((int)p.Status));
            Line(sb, "     Packets out / in   : ", $"{Num(Read(ref n.TxPackets))} / {Num(Read(ref n.RxPackets))}");
            Line(sb, "     Bytes out / in     : ", $"{Num(Read(ref n.TxBytes))} / {Num(Read(ref n.RxBytes))}");
            Line(sb, "     Keepalives out / in: ", $"{Num(Read(ref n.KeepalivesSent))} / {Num(Read(ref n.KeepalivesReceived))}");
            Line(sb, "     Last keepalive     : ", KeepaliveAge(p, now));
            Line(sb, "     Drops              : ",
                $"unknown_source={Num(Read(ref n.DropUnknownSource))} malformed={Num(Read(ref n.DropMalformed))} " +
                $"truncated={Num(Read(ref n.DropTruncated))} send_errors={Num(Read(ref n.TxSendErrors))}");
        }

        sb.Append('\n');
        if (k.Networks.Count > 0)
        {
            sb.Append("Networks:\n");
            for (int j = 0; j < k.Networks.Count; j++)
            {
                NetworkConfig net = k.Networks[j];
                sb.Append("-------- Network ").Append(Num(j)).Append(" ----------\n");
                Line(sb, "    IP version       : ", Num(net.IpVer));
                Line(sb, "    Source           : ", net.Source.ToString());
                Line(sb, "    Destination      : ", net.Destination.ToString());
            }
        }
    }

    /// <summary>The same data as one JSON object (<c>mptfast status --json</c>).</summary>
    public static string Json(TunnelInfo tunnel, IReadOnlyList<ConnectionRuntime> connections, long now)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            InterfaceConfig i = tunnel.Interface;
            w.WriteStartObject();
            w.WriteStartObject("tunnel");
            w.WriteString("name", i.TunName);
            w.WriteNumber("mtu", i.Mtu);
            w.WriteString("ipv4", i.Ipv4Address?.ToString());
            w.WriteString("ipv6", i.Ipv6Address?.ToString());
            w.WriteNumber("command_port", tunnel.CommandPort);
            w.WriteBoolean("accept_remote", i.AcceptRemote);
            w.WriteNumber("uptime_s", Math.Round((double)(now - tunnel.StartedTicks) / Stopwatch.Frequency, 3));
            w.WriteNumber("dropped_no_connection", tunnel.DropNoConnection?.Invoke() ?? 0);
            (long tx, long rx) = tunnel.DatapathAllocatedBytes?.Invoke() ?? (0, 0);
            w.WriteNumber("tx_thread_allocated_bytes", tx);
            w.WriteNumber("rx_thread_allocated_bytes", rx);
            if (tunnel.Datapath?.Invoke() is { } d)
            {
                w.WriteStartObject("datapath");
                w.WriteNumber("tx_super_packets", d.TxSuperPackets);
                w.WriteNumber("rx_gro_messages", d.RxGroMessages);
                w.WriteNumber("rx_gro_datagrams", d.RxGroDatagrams);
                w.WriteNumber("rx_super_packets", d.RxSuperPackets);
                w.WriteNumber("rx_coalesced_segments", d.RxCoalescedSegments);
                w.WriteNumber("reorder_repolls_closed", d.RepollsClosed);
                w.WriteNumber("reorder_repolls_timed_out", d.RepollsTimedOut);
                w.WriteNumber("reorder_catch_up_reads", d.CatchUpReads);
                w.WriteNumber("rx_gro_slot_shortages", d.RxGroSlotShortages);
                w.WriteNumber("rx_copied_datagrams", d.RxCopiedDatagrams);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            if (tunnel.ControlPlane?.Invoke() is { } control)
            {
                ControlJson(w, control);
            }

            w.WriteStartArray("connections");
            foreach (ConnectionRuntime c in connections)
            {
                ConnectionJson(w, c, now);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void ConnectionJson(Utf8JsonWriter w, ConnectionRuntime c, long now)
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
        w.WriteNumber("max_buffdelay_ms", k.MaxBuffDelayMs);
        w.WriteNumber("auth_type", k.AuthType);
        w.WriteNumber("dropped_no_path", c.DropNoPath);
        if (c.Reorder is { } r)
        {
            w.WriteStartObject("reorder");
            w.WriteNumber("delivered", r.Delivered);
            w.WriteNumber("held", r.Held);
            w.WriteNumber("dropped_late", r.DroppedLate);
            w.WriteNumber("dropped_duplicate", r.DroppedDuplicate);
            w.WriteNumber("resyncs", r.Resyncs);
            w.WriteNumber("gaps_skipped", r.GapsSkipped);
            w.WriteEndObject();
        }

        w.WriteStartArray("paths");
        foreach (PathRuntime p in c.Paths)
        {
            PathCounters n = p.Counters;
            w.WriteStartObject();
            w.WriteNumber("index", p.Index);
            w.WriteString("interface", p.Config.InterfaceName);
            w.WriteString("local", p.LocalAddress.ToString());
            w.WriteString("public", p.PublicAddress.ToString());
            w.WriteString("remote", p.RemoteAddress.ToString());
            w.WriteNumber("status", (int)p.Status);
            w.WriteString("status_name", StatusName(p.Status));
            w.WriteNumber("weight_in", p.Config.WeightIn);
            w.WriteNumber("weight_out", p.Config.WeightOut);
            w.WriteNumber("keepalive_time", p.Config.KeepaliveTime);
            w.WriteNumber("dead_time", p.Config.DeadTime);
            if (p.LinkUp is bool up)
            {
                w.WriteBoolean("link_up", up);
            }

            w.WriteNumber("tx_packets", Read(ref n.TxPackets));
            w.WriteNumber("tx_bytes", Read(ref n.TxBytes));
            w.WriteNumber("rx_packets", Read(ref n.RxPackets));
            w.WriteNumber("rx_bytes", Read(ref n.RxBytes));
            w.WriteNumber("keepalives_sent", Read(ref n.KeepalivesSent));
            w.WriteNumber("keepalives_received", Read(ref n.KeepalivesReceived));
            long age = now - p.LastKeepaliveTicks;
            w.WriteNumber("last_keepalive_age_ms", Read(ref n.KeepalivesReceived) == 0 ? -1 : age * 1000 / Stopwatch.Frequency);
            if (p.Socket?.Counters is { } sc)
            {
                // The socket's own view: sends and GSO trains handed to the kernel, back-pressure, receive errors.
                w.WriteStartObject("socket");
                w.WriteNumber("sent", Read(ref sc.Sent));
                w.WriteNumber("gso_sends", Read(ref sc.GsoSends));
                w.WriteNumber("send_would_block", Read(ref sc.SendWouldBlock));
                w.WriteNumber("send_no_buffers", Read(ref sc.SendNoBuffers));
                w.WriteNumber("received", Read(ref sc.Received));
                w.WriteNumber("receive_errors", Read(ref sc.ReceiveErrors));
                w.WriteNumber("pool_exhausted", Read(ref sc.PoolExhausted));
                w.WriteEndObject();
            }

            w.WriteStartObject("drops");
            w.WriteNumber("unknown_source", Read(ref n.DropUnknownSource));
            w.WriteNumber("malformed", Read(ref n.DropMalformed));
            w.WriteNumber("truncated", Read(ref n.DropTruncated));
            w.WriteNumber("command_on_data_port", Read(ref n.DropCommandOnDataPort));
            w.WriteNumber("keepalive_mismatch", Read(ref n.DropKeepaliveMismatch));
            w.WriteNumber("send_errors", Read(ref n.TxSendErrors));
            w.WriteNumber("keepalive_send_errors", Read(ref n.KeepaliveSendErrors));
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void ControlJson(Utf8JsonWriter w, ControlCounters control)
    {
        w.WriteStartObject("control");
        w.WriteNumber("answered", control.Answered);
        w.WriteNumber("keepalives_accepted", control.KeepalivesAccepted);
        w.WriteNumber("rejected_total", control.RejectedTotal);
        w.WriteStartObject("rejected");
        foreach (KeyValuePair<string, long> kv in control.Rejected)
        {
            w.WriteNumber(kv.Key, kv.Value);
        }

        w.WriteEndObject();
        w.WriteNumber("notifications_acknowledged", control.NotificationsAcknowledged);
        w.WriteNumber("notifications_failed", control.NotificationsFailed);
        w.WriteNumber("handshakes_active", control.HandshakesActive);
        w.WriteNumber("notification_retries_pending", control.NotificationRetriesPending);
        w.WriteEndObject();
    }

    private static string RejectionText(ControlCounters control)
    {
        var sb = new StringBuilder();
        foreach (KeyValuePair<string, long> kv in control.Rejected)
        {
            if (kv.Value > 0)
            {
                sb.Append(' ').Append(kv.Key).Append('=').Append(Num(kv.Value));
            }
        }

        return sb.ToString();
    }

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

    private static string KeepaliveAge(PathRuntime p, long now) =>
        Read(ref p.Counters.KeepalivesReceived) == 0
            ? "never"
            : ((double)(now - p.LastKeepaliveTicks) / Stopwatch.Frequency).ToString("0.000", CultureInfo.InvariantCulture) + " s ago";

    private static long Read(ref long field) => Volatile.Read(ref field);

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Line(StringBuilder sb, string label, string value) => sb.Append(label).Append(value).Append('\n');
}
