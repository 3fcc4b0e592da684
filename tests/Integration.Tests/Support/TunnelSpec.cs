using System.Globalization;
using System.Text;

namespace MptFast.Integration.Tests.Support;

/// <summary>One path of a test tunnel: testbed path <see cref="Index"/> (1-based: veth&lt;i&gt;), outer family, weights, port maps.</summary>
internal sealed record PathSpec(int Index, bool V6 = false, int Weight = 1)
{
    public string? TcpSrc { get; init; }

    public string? TcpDst { get; init; }

    public string? UdpSrc { get; init; }

    public string? UdpDst { get; init; }
}

/// <summary>
/// Writes the config directories for both sides of a test tunnel on the testbed address plan, in the
/// original's layout (DIR/interface.conf, DIR/connections/*.conf). Side a is 198.19.0.1 / fd00:ff::1,
/// side b 198.19.0.2 / fd00:ff::2. An IPv4 connection (data port 23456) and, when <see cref="WithIpv6Connection"/>,
/// an IPv6 connection (port 23457) share the same paths, as in spec/example-configs/mixed-ipv4-ipv6.
/// </summary>
internal sealed record TunnelSpec(IReadOnlyList<PathSpec> Paths)
{
    public const ushort DataPort = 23456;
    public const ushort DataPort6 = 23457;
    public const ushort CommandPort = 60456;

    public bool WithIpv6Connection { get; init; } = true;

    /// <summary>reorder_window as written (a number, or "auto").</summary>
    public object ReorderWindow { get; init; } = 0;

    /// <summary>The connections' scheduler: "weighted" (the original's list, what most tests check) or "adaptive".</summary>
    public string Scheduler { get; init; } = "weighted";

    /// <summary>Extra [connection] lines (MptFast keys such as loss_recovery, probe_interval_msec).</summary>
    public string ConnectionExtra { get; init; } = "";

    /// <summary>The path (0-based) marked <c>cmd_default = 1</c> (MPT-SPEC §5.5), or -1.</summary>
    public int CmdDefaultPath { get; init; } = -1;

    public int MaxBuffDelayMs { get; init; } = 100;

    public int KeepaliveTime { get; init; } = 1;

    public int DeadTime { get; init; } = 3;

    /// <summary>MptFast's <c>keepalive_msec</c> on every path (beside <see cref="KeepaliveTime"/>), when set.</summary>
    public int? KeepaliveMsec { get; init; }

    /// <summary>MptFast's <c>dead_time_msec</c> on every path (beside <see cref="DeadTime"/>), when set.</summary>
    public int? DeadTimeMsec { get; init; }

    public int AuthType { get; init; }

    public int Mtu { get; init; } = 1400;

    /// <summary>A remote network routed through the IPv4 connection (<c>[net_0] dst_addr</c>, MPT-SPEC §5.6); none when null.</summary>
    public string? NetworkDestination { get; init; }

    public static string TunnelAddress(char side) => side == 'a' ? "198.19.0.1" : "198.19.0.2";

    public static string TunnelAddress6(char side) => side == 'a' ? "fd00:ff::1" : "fd00:ff::2";

    public static string PathAddress(char side, PathSpec p) =>
        p.V6 ? $"fd00:{p.Index}::{(side == 'a' ? 1 : 2)}" : $"198.18.{p.Index}.{(side == 'a' ? 1 : 2)}";

    /// <summary>Writes side's config under <paramref name="dir"/> and returns the directory.</summary>
    public string Write(string dir, char side)
    {
        Directory.CreateDirectory(Path.Combine(dir, "connections"));
        char other = side == 'a' ? 'b' : 'a';
        File.WriteAllText(Path.Combine(dir, "interface.conf"), $"""
            ; test tunnel, side {side}
            [general]
            tunnel_num    = 1
            accept_remote = 0
            cmdport_local = {CommandPort}
            control_socket = {Path.Combine(Path.GetFullPath(dir), "control.sock")}

            [tun_0]
            name      = tun0
            mtu       = {Mtu}
            ipv4_addr = {TunnelAddress(side)}/24
            ipv6_addr = {TunnelAddress6(side)}/64

            """);
        File.WriteAllText(Path.Combine(dir, "connections", "tunnel.conf"), Connection(side, other, 4, DataPort));
        if (WithIpv6Connection)
        {
            File.WriteAllText(Path.Combine(dir, "connections", "tunnel6.conf"), Connection(side, other, 6, DataPort6));
        }

        return dir;
    }

    private string Connection(char side, char other, int ipVer, ushort port)
    {
        var sb = new StringBuilder();
        string local = ipVer == 4 ? TunnelAddress(side) : TunnelAddress6(side);
        string remote = ipVer == 4 ? TunnelAddress(other) : TunnelAddress6(other);
        sb.Append(CultureInfo.InvariantCulture, $"""
            [connection]
            name               = test{ipVer}_{side}
            permission         = 3
            ip_ver             = {ipVer}
            ip_local           = {local}
            local_port         = {port}
            ip_remote          = {remote}
            remote_port        = {port}
            remote_cmd_port    = {CommandPort}
            path_count         = {Paths.Count}
            network_count      = {(ipVer == 4 && NetworkDestination is not null ? 1 : 0)}
            status             = 0
            reorder_window     = {ReorderWindow}
            max_buffdelay_msec = {MaxBuffDelayMs}
            scheduler          = {Scheduler}
            {ConnectionExtra}
            auth_type          = {AuthType}
            auth_key           = 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F

            """);
        for (int i = 0; i < Paths.Count; i++)
        {
            PathSpec p = Paths[i];
            sb.Append(CultureInfo.InvariantCulture, $"""
                [path_{i}]
                interface_name = veth{p.Index}
                ip_ver         = {(p.V6 ? 6 : 4)}
                private_ipaddr = {PathAddress(side, p)}
                public_ipaddr  = {PathAddress(side, p)}
                gw_ipaddr      = {PathAddress(other, p)}
                remote_ipaddr  = {PathAddress(other, p)}
                keepalive_time = {KeepaliveTime}
                dead_time      = {DeadTime}
                weight_in      = {p.Weight}
                weight_out     = {p.Weight}
                status         = 0
                cmd_default    = {(i == CmdDefaultPath ? 1 : 0)}

                """);
            AppendOptional(sb, "keepalive_msec", KeepaliveMsec?.ToString(CultureInfo.InvariantCulture));
            AppendOptional(sb, "dead_time_msec", DeadTimeMsec?.ToString(CultureInfo.InvariantCulture));
            if (ipVer == 4)
            {
                AppendOptional(sb, "tcp_src", p.TcpSrc);
                AppendOptional(sb, "tcp_dst", p.TcpDst);
                AppendOptional(sb, "udp_src", p.UdpSrc);
                AppendOptional(sb, "udp_dst", p.UdpDst);
            }

            sb.Append('\n');
        }

        if (ipVer == 4 && NetworkDestination is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"[net_0]\nip_ver   = 4\nsrc_addr = {local}/32\ndst_addr = {NetworkDestination}\n");
        }

        return sb.ToString();
    }

    /// <summary>An optional key: written only when it has a value.</summary>
    private static void AppendOptional(StringBuilder sb, string key, string? value)
    {
        if (value is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{key} = {value}\n");
        }
    }
}
