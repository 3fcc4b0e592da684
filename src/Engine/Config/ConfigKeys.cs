using System.Collections.Frozen;
using System.Globalization;

namespace MptFast.Engine.Config;

/// <summary>The keys the original reads, per section (MPT-SPEC §5.3–§5.7), and section-name matching.</summary>
internal static class ConfigKeys
{
    public static readonly FrozenSet<string> General =
        new[] { "tunnel_num", "accept_remote", "max_remote_connections", "cmdport_local", "cmd_timeout", "interface_num", "metrics_listen", "cli_udp",
            "control_socket", "control_gid" }
            .ToFrozenSet(StringComparer.Ordinal);

    public static readonly FrozenSet<string> Tunnel =
        new[] { "name", "mtu", "ipv4_addr", "ipv6_addr" }.ToFrozenSet(StringComparer.Ordinal);

    public static readonly FrozenSet<string> Connection = new[]
    {
        "name", "permission", "ip_ver", "ip_local", "local_port", "local_cmd_port", "ip_remote", "remote_port",
        "remote_cmd_port", "path_count", "network_count", "status", "reorder_window", "max_buffdelay_msec",
        "auth_type", "auth_key",

        // MptFast's own (the original ignores keys it does not read, MPT-SPEC §5.2).
        "scheduler", "loss_recovery", "probe_interval_msec", "equalize_delay", "auto_create",
    }.ToFrozenSet(StringComparer.Ordinal);

    public static readonly FrozenSet<string> Path = new[]
    {
        "interface_name", "ip_ver", "cmd_default", "gw_ipaddr", "private_ipaddr", "public_ipaddr", "remote_ipaddr",
        "keepalive_time", "dead_time", "weight_in", "weight_out", "window_size", "status",
        "tcp_src", "tcp_dst", "udp_src", "udp_dst",

        // MptFast's own (the original ignores keys it does not read, MPT-SPEC §5.2).
        "keepalive_msec", "dead_time_msec",
    }.ToFrozenSet(StringComparer.Ordinal);

    public static readonly FrozenSet<string> Network =
        new[] { "ip_ver", "src_addr", "dst_addr" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// Matches <c>prefix_N</c> with N written as the original's <c>sprintf("%d")</c> would (no sign, no leading
    /// zero), so <c>[path_01]</c> is a section the original never reads.
    /// </summary>
    public static bool TryIndex(string section, string prefix, out int index)
    {
        index = -1;
        if (!section.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        string digits = section[prefix.Length..];
        if (digits.Length is 0 or > 9 || !digits.All(char.IsAsciiDigit) || (digits.Length > 1 && digits[0] == '0'))
        {
            return false;
        }

        index = int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>Keys before the first section header are stored under "" and never read (MPT-SPEC §5.2).</summary>
    public static void WarnKeysOutsideSections(IniDocument doc, ConfigDiagnostics diag)
    {
        if (doc.TryGetSection(string.Empty, out IniSection top))
        {
            foreach (IniEntry entry in top.Entries)
            {
                diag.Warn(entry.Line, entry.Key, "key before the first [section] ignored");
            }
        }
    }

    public static void ReportSyntaxErrors(IniDocument doc, ConfigDiagnostics diag)
    {
        foreach (IniSyntaxError error in doc.Errors)
        {
            diag.Error(error.Line, "syntax", error.Message);
        }
    }
}
