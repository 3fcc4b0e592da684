using System.Globalization;
using System.Text;
using MptFast.Engine.Mapping;

namespace MptFast.Engine.Config;

/// <summary>Which connection-file layout <see cref="ConfigWriter.WriteConnection"/> produces.</summary>
public enum ConnectionFormat
{
    /// <summary>
    /// Byte for byte the original's <c>connection_save</c> (MPT-SPEC §5.10): no <c>auth_key</c>, <c>cmd_default</c>,
    /// <c>window_size</c> or port maps. Also the body of a connection-create message, which must never carry the key (B53).
    /// </summary>
    Original,

    /// <summary>
    /// For <c>mpt save</c>: the original layout plus <c>auth_key</c>, MptFast's own keys, <c>cmd_default = 1</c>,
    /// <c>window_size</c> (when not 1), the configured millisecond liveness keys and the non-empty port maps, appended to their sections so the original still reads the file (B80).
    /// </summary>
    Full,
}

/// <summary>Writes config models back to INI text that both MptFast and the original read.</summary>
public static class ConfigWriter
{
    // MPT-SPEC §5.10: the comment lines of connection_save. The first one must be at least 5 characters long,
    // because the original's create server skips the first 4 bytes of the body (MPT-SPEC §4.7).
    private const string HeaderComment = ";;;;;;;#################### Multipath Connection Information: ###############";
    private const string PathsComment = "########################## PATHS ############################";
    private const string NetworksComment = "####################### NETWORKS #####################################";

    /// <summary>Serialises a connection; see <see cref="ConnectionFormat"/>. Values are written as the model holds them (configured or runtime, the caller decides).</summary>
    public static string WriteConnection(ConnectionConfig c, ConnectionFormat format)
    {
        ArgumentNullException.ThrowIfNull(c);
        bool full = format == ConnectionFormat.Full;
        var w = new StringBuilder(1536);
        w.Append(HeaderComment).Append('\n');
        w.Append("\n[connection]\n");
        Line(w, "name", Text(c.Name));
        Line(w, "permission", Int(c.Permission));
        Line(w, "ip_ver", Int(c.IpVer));
        Line(w, "ip_local", ConfigAddress.Format(c.IpLocal));
        Line(w, "local_port", Int(c.LocalPort));
        Line(w, "local_cmd_port", Int(c.LocalCmdPort));
        Line(w, "ip_remote", ConfigAddress.Format(c.IpRemote));
        Line(w, "remote_port", Int(c.RemotePort));
        Line(w, "remote_cmd_port", Int(c.RemoteCmdPort));
        Line(w, "path_count", Int(c.Paths.Count));
        Line(w, "network_count", Int(c.Networks.Count));
        Line(w, "status", Int(c.Status));
        // "auto" reads as 0 (no reordering) in the original (MPT-SPEC §5.2: strtol of no digits), its own default.
        Line(w, "reorder_window", c.ReorderAuto ? "auto" : Int(c.ReorderWindow));
        Line(w, "max_buffdelay_msec", Int(c.MaxBuffDelayMs));
        Line(w, "auth_type", Int(c.AuthType));
        if (full)
        {
            Line(w, "auth_key", Text(c.AuthKey));
            Line(w, "scheduler", c.Scheduler == SchedulerMode.Adaptive ? "adaptive" : "weighted");
            Line(w, "loss_recovery", c.LossRecovery ? "1" : "0");
            Line(w, "probe_interval_msec", Int(c.ProbeIntervalMs));
            Line(w, "equalize_delay", c.EqualizeKeyword);
            if (c.AutoCreate)
            {
                Line(w, "auto_create", "1");
            }
        }

        w.Append('\n').Append(PathsComment).Append('\n');
        for (int i = 0; i < c.Paths.Count; i++)
        {
            WritePath(w, i, c.Paths[i], full);
        }

        w.Append('\n').Append(NetworksComment).Append('\n');
        for (int i = 0; i < c.Networks.Count; i++)
        {
            NetworkConfig n = c.Networks[i];
            w.Append("\n[net_").Append(Int(i)).Append("]\n");
            Line(w, "ip_ver", Int(n.IpVer));
            Line(w, "src_addr", ConfigAddress.Format(n.Source.Address) + "/" + Int(n.Source.Length));
            Line(w, "dst_addr", ConfigAddress.Format(n.Destination.Address) + "/" + Int(n.Destination.Length));
        }

        return w.ToString();
    }

    /// <summary>
    /// Serialises <c>interface.conf</c>. An absent tunnel address is written as prefix length 0 ("none"), because the
    /// original crashes when the key is missing (B71); <c>tunnel_num</c> is always 1 (one tunnel, B84).
    /// </summary>
    public static string WriteInterface(InterfaceConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var w = new StringBuilder(256);
        w.Append("[general]\n");
        Line(w, "tunnel_num", "1");
        Line(w, "accept_remote", config.AcceptRemote ? "1" : "0");
        if (config.MaxRemoteConnections != InterfaceConfig.DefaultMaxRemoteConnections)
        {
            Line(w, "max_remote_connections", Int(config.MaxRemoteConnections));
        }
        Line(w, "cmdport_local", Int(config.CommandPort));
        Line(w, "cmd_timeout", Int(config.CommandTimeoutSeconds));
        Line(w, "interface_num", Int(config.InterfaceNum));
        if (config.MetricsListen is { } metrics)
        {
            Line(w, "metrics_listen", metrics.ToString());
        }

        if (config.CliUdp)
        {
            Line(w, "cli_udp", "1");
        }

        if (config.ControlSocket != InterfaceConfig.DefaultControlSocket)
        {
            Line(w, "control_socket", Text(config.ControlSocket));
        }

        if (config.ControlGroup is uint gid)
        {
            Line(w, "control_gid", Int((int)gid));
        }
        w.Append("\n[tun_0]\n");
        Line(w, "name", Text(config.TunName));
        Line(w, "mtu", Int(config.Mtu));
        Line(w, "ipv4_addr", config.Ipv4Address?.ToString() ?? "0.0.0.0/0");
        Line(w, "ipv6_addr", config.Ipv6Address?.ToString() ?? "::/0");
        return w.ToString();
    }

    private static void WritePath(StringBuilder w, int index, PathConfig p, bool full)
    {
        w.Append("\n[path_").Append(Int(index)).Append("]\n");
        Line(w, "interface_name", Text(p.InterfaceName));
        Line(w, "ip_ver", Int(p.IpVer));
        Line(w, "private_ipaddr", ConfigAddress.Format(p.PrivateAddress));

        // The original writes the resolved copy; Full keeps the word so a changed private address follows.
        Line(w, "public_ipaddr", full && p.PublicIsPrivate ? "private_ipaddr" : ConfigAddress.Format(p.PublicIsPrivate ? p.PrivateAddress : p.PublicAddress));
        Line(w, "gw_ipaddr", ConfigAddress.Format(p.GatewayAddress));
        Line(w, "remote_ipaddr", ConfigAddress.Format(p.RemoteAddress));
        Line(w, "keepalive_time", Int(p.KeepaliveTime));
        Line(w, "dead_time", Int(p.DeadTime));
        Line(w, "weight_in", Int(p.WeightIn));
        Line(w, "weight_out", Int(p.WeightOut));
        Line(w, "status", Int((int)p.Status));
        if (!full)
        {
            return;
        }

        if (p.CmdDefault)
        {
            Line(w, "cmd_default", "1");
        }

        if (p.WindowSize != 1)
        {
            Line(w, "window_size", Int(p.WindowSize));
        }

        if (p.KeepaliveMsec is { } keepaliveMsec)
        {
            Line(w, "keepalive_msec", Int(keepaliveMsec));
        }

        if (p.DeadTimeMsec is { } deadTimeMsec)
        {
            Line(w, "dead_time_msec", Int(deadTimeMsec));
        }

        for (int k = 0; k < PortMapRules.KeyCount; k++)
        {
            EquatableArray<PortRange> ranges = p.PortMap((PortMapKey)k);
            if (ranges.Count > 0)
            {
                Line(w, PortMapRules.KeyName((PortMapKey)k), PortMapRules.Format(ranges));
            }
        }
    }

    // MPT-SPEC §5.10: "%-16s = %s\n".
    private static void Line(StringBuilder w, string key, string value) =>
        w.Append(key.PadRight(16)).Append(" = ").Append(value).Append('\n');

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A string value. Plain when the INI reader gives it back unchanged (MPT-SPEC §5.2); quoted when it holds
    /// <c>;</c> or <c>#</c>, has blanks at an end, starts with a quote or ends in <c>\</c> (continuation).
    /// </summary>
    private static string Text(string value)
    {
        if (value.Contains('\n', StringComparison.Ordinal) || value.Contains('\r', StringComparison.Ordinal))
        {
            throw new ArgumentException("a config value cannot contain a line break: " + value, nameof(value));
        }

        bool needsQuotes = value.Length > 0 &&
            (value.AsSpan().IndexOfAny(";#") >= 0 || IsBlank(value[0]) || IsBlank(value[^1]) ||
             value[0] is '"' or '\'' || value[^1] == '\\');
        if (!needsQuotes)
        {
            return value;
        }

        if (!value.Contains('"', StringComparison.Ordinal))
        {
            return "\"" + value + "\"";
        }

        if (!value.Contains('\'', StringComparison.Ordinal))
        {
            return "'" + value + "'";
        }

        throw new ArgumentException("a config value with ';', '#' or edge blanks cannot hold both quote characters: " + value, nameof(value));
    }

    private static bool IsBlank(char c) => c is ' ' or '\t' or '\v' or '\f';
}
