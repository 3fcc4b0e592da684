using System.Globalization;
using System.Net;
using MptFast.Engine.Mapping;

namespace MptFast.Engine.Config;

/// <summary>Reads <c>[path_N]</c> (MPT-SPEC §5.5, §5.7, §9.9) and <c>[net_N]</c> (§5.6) sections.</summary>
internal static class PathSectionParser
{
    /// <summary>Where one port list of one path came from, for the conflict message.</summary>
    internal readonly record struct PortListSource(int PathIndex, PortMapKey Key, int Line, IReadOnlyList<PortRange> Ranges);

    /// <summary>Reads one path in the original's order: name, version, cmd_default, gateway, private, public, remote, timers, weights, window, status, port maps.</summary>
    public static PathConfig ReadPath(SectionReader s, int index, bool template, List<PortListSource> portLists)
    {
        string label = "[path_" + index.ToString(CultureInfo.InvariantCulture) + "]";
        s.WarnUnknownKeys(ConfigKeys.Path);
        string interfaceName = s.Name("interface_name", "unnamed_path", interfaceName: true);
        bool ipv6 = ReadIpVer(s, defaultValue: 0) == 6;
        bool cmdDefault = s.Int("cmd_default", 0, int.MinValue, int.MaxValue) != 0;
        IPAddress gateway = s.Address("gw_ipaddr", ipv6);
        IPAddress privateAddress = s.Address("private_ipaddr", ipv6);

        // MPT-SPEC §9.9: the word private_ipaddr copies the private address; an unset IPv4 public address
        // made the original ask outside services (B82) — here it only ever means "same as private" (F103).
        bool publicIsPrivate = s.Raw("public_ipaddr") == "private_ipaddr";
        IPAddress publicAddress = publicIsPrivate ? privateAddress : s.Address("public_ipaddr", ipv6);
        if (!ipv6 && !publicIsPrivate && publicAddress.Equals(IPAddress.Any))
        {
            s.Diagnostics.Warn(s.LineOf("public_ipaddr"), "public_ipaddr",
                "unset (0.0.0.0) means \"same as private_ipaddr\"; MptFast never asks outside services (B82)");
        }

        // B74 analogue for paths: every path of a real connection needs the peer address (a template has none).
        if (!template && !s.Has("remote_ipaddr"))
        {
            if (s.Exists)
            {
                s.Diagnostics.Error(s.HeaderLine, "remote_ipaddr", "missing required key in " + label);
            }
        }

        IPAddress remote = s.Address("remote_ipaddr", ipv6);
        int keepalive = s.Int("keepalive_time", 0, 0, 255);
        int deadTime = s.Int("dead_time", keepalive * 3, 0, 65535);
        (int? keepaliveMsec, int? deadTimeMsec) = ReadLivenessMsec(s, keepalive, deadTime);
        int weightIn = s.Int("weight_in", 1, 0, 10000);
        int weightOut = s.Int("weight_out", 1, 0, 10000);
        int windowSize = s.Int("window_size", 1, int.MinValue, int.MaxValue);
        int status = s.Int("status", 0, 0, 255);

        var maps = new EquatableArray<PortRange>[PortMapRules.KeyCount];
        for (int k = 0; k < PortMapRules.KeyCount; k++)
        {
            maps[k] = ReadPortList(s, index, (PortMapKey)k, portLists);
        }

        return new PathConfig
        {
            InterfaceName = interfaceName,
            IpVer = ipv6 ? 6 : 4,
            CmdDefault = cmdDefault,
            GatewayAddress = gateway,
            PrivateAddress = privateAddress,
            PublicAddress = publicAddress,
            PublicIsPrivate = publicIsPrivate,
            RemoteAddress = remote,
            KeepaliveTime = keepalive,
            DeadTime = deadTime,
            KeepaliveMsec = keepaliveMsec,
            DeadTimeMsec = deadTimeMsec,
            WeightIn = weightIn,
            WeightOut = weightOut,
            WindowSize = windowSize,
            Status = (PathStatus)status,
            TcpSrc = maps[(int)PortMapKey.TcpSrc],
            TcpDst = maps[(int)PortMapKey.TcpDst],
            UdpSrc = maps[(int)PortMapKey.UdpSrc],
            UdpDst = maps[(int)PortMapKey.UdpDst],
        };
    }

    /// <summary>
    /// MptFast's millisecond liveness keys beside the original's whole seconds (MPT-SPEC §3.7, §5.5): the original
    /// ignores keys it does not read (§5.2, §5.12), so they change nothing for it. Without <c>dead_time</c> and
    /// <c>dead_time_msec</c>, the dead time is 3 × <c>keepalive_msec</c>, as §5.5 defaults the seconds. Warns when a
    /// key contradicts its whole-second twin, and when the path would be declared dead between two keepalives.
    /// </summary>
    private static (int? KeepaliveMsec, int? DeadTimeMsec) ReadLivenessMsec(SectionReader s, int keepaliveTime, int deadTime)
    {
        int? keepaliveMsec = s.Has("keepalive_msec") ? s.Int("keepalive_msec", 0, 0, MaxKeepaliveMsec) : null;
        int? deadTimeMsec = s.Has("dead_time_msec") ? s.Int("dead_time_msec", 0, 0, MaxDeadTimeMsec)
            : keepaliveMsec is { } k && !s.Has("dead_time") ? 3 * k : null;
        WarnIfTwinDiffers(s, "keepalive_msec", keepaliveMsec, "keepalive_time", keepaliveTime);
        WarnIfTwinDiffers(s, "dead_time_msec", deadTimeMsec, "dead_time", deadTime);

        int keepaliveMs = keepaliveMsec ?? keepaliveTime * 1000;
        int deadMs = deadTimeMsec ?? deadTime * 1000;
        if (keepaliveMs > 0 && deadMs > 0 && deadMs <= keepaliveMs)
        {
            string key = s.Has("dead_time_msec") ? "dead_time_msec" : s.Has("dead_time") ? "dead_time" : "keepalive_msec";
            s.Diagnostics.Warn(s.LineOf(key), key, "the dead time (" + Ms(deadMs) + ") is not longer than the keepalive interval (" + Ms(keepaliveMs) +
                "): the path goes down between two keepalives; make it at least 3 intervals");
        }

        return (keepaliveMsec, deadTimeMsec);
    }

    /// <summary>keepalive_time's 8 bits (MPT-SPEC §3.7, B34) in milliseconds.</summary>
    internal const int MaxKeepaliveMsec = 255_000;

    /// <summary>dead_time's 16 bits (MPT-SPEC §3.7, B34) in milliseconds.</summary>
    internal const int MaxDeadTimeMsec = 65_535_000;

    private static void WarnIfTwinDiffers(SectionReader s, string msecKey, int? msec, string secondsKey, int seconds)
    {
        if (s.Has(msecKey) && s.Has(secondsKey) && msec != seconds * 1000)
        {
            s.Diagnostics.Warn(s.LineOf(msecKey), msecKey, msecKey + " (" + Ms(msec ?? 0) + ") contradicts " + secondsKey + " = " +
                seconds.ToString(CultureInfo.InvariantCulture) + ": MptFast uses " + msecKey + ", the original " + secondsKey);
        }
    }

    private static string Ms(int ms) => ms.ToString(CultureInfo.InvariantCulture) + " ms";

    /// <summary>
    /// <c>ip_ver</c> of a connection or path: 6 means IPv6, anything else IPv4 (MPT-SPEC §5.4, §5.5); values other
    /// than 4 and 6 are accepted as the original does, with a warning.
    /// </summary>
    public static int ReadIpVer(SectionReader s, int defaultValue)
    {
        int ipVer = s.Int("ip_ver", defaultValue, int.MinValue, int.MaxValue);
        if (s.Has("ip_ver") && ipVer != 4 && ipVer != 6 && s.Raw("ip_ver")!.Length > 0)
        {
            s.Diagnostics.Warn(s.LineOf("ip_ver"), "ip_ver",
                "ip_ver = " + ipVer.ToString(CultureInfo.InvariantCulture) + " reads as 4 (only 6 means IPv6)");
        }

        return ipVer == 6 ? 6 : 4;
    }

    /// <summary>
    /// A <c>[net_N]</c> section (MPT-SPEC §5.6). The original parses any ip_ver but 4 as IPv6 and routes only 4
    /// and 6, so other values are rejected here; a prefix without <c>/len</c> keeps length 0, with a warning.
    /// </summary>
    public static NetworkConfig ReadNetwork(SectionReader s)
    {
        s.WarnUnknownKeys(ConfigKeys.Network);
        int ipVer = s.Int("ip_ver", 4, int.MinValue, int.MaxValue);
        if (ipVer != 4 && ipVer != 6)
        {
            s.Diagnostics.Error(s.LineOf("ip_ver"), "ip_ver", "value " + ipVer.ToString(CultureInfo.InvariantCulture) + " is not 4 or 6");
            ipVer = 4;
        }

        bool ipv6 = ipVer == 6;
        return new NetworkConfig(ipVer, ReadNetPrefix(s, "src_addr", ipv6), ReadNetPrefix(s, "dst_addr", ipv6));
    }

    private static IpPrefix ReadNetPrefix(SectionReader s, string key, bool ipv6)
    {
        string? raw = s.Raw(key);
        if (raw is null)
        {
            return new IpPrefix(ConfigAddress.Unspecified(ipv6), 0);
        }

        int line = s.LineOf(key);
        if (!ConfigAddress.TryParsePrefix(raw, ipv6, out IPAddress address, out int length, out string problem))
        {
            s.Diagnostics.Error(line, key, problem);
            return new IpPrefix(ConfigAddress.Unspecified(ipv6), 0);
        }

        if (length < 0)
        {
            s.Diagnostics.Warn(line, key, "'" + raw + "' has no prefix length: read as /0 (every address), as the original");
            length = 0;
        }

        return new IpPrefix(address, length);
    }

    // MPT-SPEC §5.7, B79: every token must be a port (or a range, our extension); the message names the token.
    private static EquatableArray<PortRange> ReadPortList(SectionReader s, int pathIndex, PortMapKey key, List<PortListSource> portLists)
    {
        string name = PortMapRules.KeyName(key);
        string? raw = s.Raw(name);
        if (raw is null)
        {
            return EquatableArray<PortRange>.Empty;
        }

        var ranges = new List<PortRange>();
        if (!PortMapRules.TryParse(raw, ranges, out PortRuleError error))
        {
            s.Diagnostics.Error(s.LineOf(name), name, "invalid port list: " + error.Message);
            return EquatableArray<PortRange>.Empty;
        }

        portLists.Add(new PortListSource(pathIndex, key, s.LineOf(name), ranges));
        return ranges.ToEquatableArray();
    }

    /// <summary>
    /// A port listed under one key for two paths: the original lets the higher path win silently (MPT-SPEC §5.7);
    /// we reject it, naming the lowest shared port, the key and both paths with their lines.
    /// </summary>
    public static void CheckPortConflicts(List<PortListSource> portLists, ConfigDiagnostics diag)
    {
        for (int j = 0; j < portLists.Count; j++)
        {
            PortListSource later = portLists[j];
            for (int i = 0; i < j; i++)
            {
                PortListSource earlier = portLists[i];
                if (earlier.Key != later.Key || earlier.PathIndex == later.PathIndex)
                {
                    continue;
                }

                int port = LowestSharedPort(earlier.Ranges, later.Ranges);
                if (port > 0)
                {
                    diag.Error(later.Line, PortMapRules.KeyName(later.Key),
                        "port " + port.ToString(CultureInfo.InvariantCulture) + " is mapped to path_" +
                        earlier.PathIndex.ToString(CultureInfo.InvariantCulture) + " (" + diag.At(earlier.Line) + ") and path_" +
                        later.PathIndex.ToString(CultureInfo.InvariantCulture));
                }
            }
        }
    }

    private static int LowestSharedPort(IReadOnlyList<PortRange> a, IReadOnlyList<PortRange> b)
    {
        int lowest = 0;
        foreach (PortRange x in a)
        {
            foreach (PortRange y in b)
            {
                int first = Math.Max(x.First, y.First);
                if (first <= Math.Min(x.Last, y.Last) && (lowest == 0 || first < lowest))
                {
                    lowest = first;
                }
            }
        }

        return lowest;
    }
}
