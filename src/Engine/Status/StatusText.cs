using System.Globalization;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Status;

/// <summary>
/// <c>mpt show status</c>: the original's text layout (MPT-SPEC §9.11), with fields added at the end of blocks (control
/// counters, per-path packets, bytes, keepalives and drops, keepalive age). Renders a <see cref="StatusSnapshot"/>.
/// </summary>
public static class StatusText
{
    public static string Render(StatusSnapshot status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var sb = new StringBuilder();
        TunnelReport tunnel = status.Tunnel;
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
        if (status.Control is { } control)
        {
            Line(sb, "    Control answered : ", Num(control.Counters["answered"]));
            Line(sb, "    Control rejected : ", Num(control.Rejected.Total) + NonZero(control.Rejected));
            Line(sb, "    Notifications    : ",
                $"acknowledged={Num(control.Counters["notifications_acknowledged"])} failed={Num(control.Counters["notifications_failed"])}");
        }

        sb.Append('\n').Append("Number of connections: ").Append(Num(status.Connections.Count)).Append(" \n");
        foreach (ConnectionReport c in status.Connections)
        {
            Connection(sb, c);
        }

        return sb.ToString();
    }

    private static void Connection(StringBuilder sb, ConnectionReport c)
    {
        ConnectionConfig k = c.Config;
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
        Line(sb, "    Number of Paths       : ", Num(c.Paths.Count));
        Line(sb, "    Number of networks    : ", Num(k.Networks.Count));
        Line(sb, "    Packets sent out      : ", Num(c.PacketsSent));
        Line(sb, "    Connection update     : ", Num(k.Permission));
        Line(sb, "    Authentication type   : ", Num(k.AuthType));
        Line(sb, "    Connection reorder win: ", Num(k.ReorderWindow));
        Line(sb, "    Max. delay in rcv.buff: ", $"{k.MaxBuffDelayMs / 1000}(sec) {k.MaxBuffDelayMs % 1000}(msec)");
        Line(sb, "    Connection status     : ", Num(k.Status));
        Line(sb, "    Dropped (no OK path)  : ", Num(c.DroppedNoPath));
        foreach (PathReport p in c.Paths)
        {
            Path(sb, p);
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

    private static void Path(StringBuilder sb, PathReport p)
    {
        CounterSnapshot t = p.Traffic;
        CounterSnapshot d = p.Drops;
        sb.Append("  Path ").Append(Num(p.Index)).Append(" information:\n");
        Line(sb, "     Interface name:    : ", p.Config.InterfaceName);
        Line(sb, "     Public IP address  : ", p.Public.ToString());
        Line(sb, "     Private IP address : ", p.Local.ToString());
        Line(sb, "     Gateway IP address : ", p.Config.GatewayAddress.ToString());
        Line(sb, "     Remote IP address  : ", p.Remote.ToString());
        Line(sb, "     Incoming weight    : ", Num(p.Config.WeightIn));
        Line(sb, "     Outgoing weight    : ", Num(p.Config.WeightOut));
        Line(sb, "     Keepalive time     : ", Num(p.Config.KeepaliveTime));
        Line(sb, "     Dead timer         : ", Num(p.Config.DeadTime));
        Line(sb, "     Path Status        : ", Num((int)p.Status));
        Line(sb, "     Packets out / in   : ", $"{Num(t[PathReport.TxPackets])} / {Num(t[PathReport.RxPackets])}");
        Line(sb, "     Bytes out / in     : ", $"{Num(t[PathReport.TxBytes])} / {Num(t[PathReport.RxBytes])}");
        Line(sb, "     Keepalives out / in: ", $"{Num(t[PathReport.KeepalivesSent])} / {Num(t[PathReport.KeepalivesReceived])}");
        Line(sb, "     Last keepalive     : ", p.LastKeepaliveAge is { } age
            ? age.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + " s ago"
            : "never");
        Line(sb, "     Drops              : ",
            $"unknown_source={Num(d["unknown_source"])} malformed={Num(d["malformed"])} " +
            $"truncated={Num(d["truncated"])} send_errors={Num(d["send_errors"])}");
        if (p.Measurement is { } m && m["probes_received"] > 0)
        {
            Line(sb, "     Measured           : ", string.Create(CultureInfo.InvariantCulture,
                $"rtt {m["rtt_us"] / 1000.0:0.0} ms, queue {m["forward_queue_us"] / 1000.0:0.0} ms, " +
                $"delivered {m["delivered_bytes_per_second"] * 8 / 1e6:0.0} Mbit/s, loss {m["loss_ppm"] / 1e4:0.00} %, " +
                $"retransmitted {Num(m["retransmitted"])}"));
        }
    }

    // " name=value" for every counter that is not zero.
    private static string NonZero(CounterSnapshot counters)
    {
        var sb = new StringBuilder();
        foreach (Counter c in counters)
        {
            if (c.Value > 0)
            {
                sb.Append(' ').Append(c.Name).Append('=').Append(Num(c.Value));
            }
        }

        return sb.ToString();
    }

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Line(StringBuilder sb, string label, string value) => sb.Append(label).Append(value).Append('\n');
}
