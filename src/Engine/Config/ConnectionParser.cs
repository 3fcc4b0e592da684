using System.Globalization;
using System.Net;

namespace MptFast.Engine.Config;

/// <summary>Parses a connection file <c>conf/connections/NAME.conf</c> or the template (MPT-SPEC §5.4–§5.8).</summary>
public static class ConnectionParser
{
    /// <summary>Parses a connection file. <see cref="ConnectionConfig.FileName"/> is the bare file name of <paramref name="filePath"/>.</summary>
    public static ConfigParseResult<ConnectionConfig> Parse(string text, string filePath) => Parse(text, filePath, template: false);

    /// <summary>
    /// Parses <c>conf.template</c> (MPT-SPEC §5.8): a connection file with only local information, so
    /// <c>ip_remote</c>, the paths' <c>remote_ipaddr</c> and whole <c>[path_N]</c> sections may be absent.
    /// </summary>
    public static ConfigParseResult<ConnectionConfig> ParseTemplate(string text, string filePath) => Parse(text, filePath, template: true);

    private static ConfigParseResult<ConnectionConfig> Parse(string text, string filePath, bool template)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(filePath);
        var diag = new ConfigDiagnostics(filePath);
        IniDocument doc = IniDocument.Parse(text);
        ConfigKeys.ReportSyntaxErrors(doc, diag);
        ConfigKeys.WarnKeysOutsideSections(doc, diag);

        doc.TryGetSection("connection", out IniSection? connectionSection);
        var c = new SectionReader(connectionSection, diag);
        c.WarnUnknownKeys(ConfigKeys.Connection);

        string name = c.Name("name", "connection", interfaceName: false);
        // B57: MptFast enforces permission (bit 0 send updates, bit 1 accept them). The original never did, so original
        // configs often omit the key: absent means 3 (both), the behaviour those configs were written for.
        int permission = c.Int("permission", ConnectionConfig.DefaultPermission, int.MinValue, int.MaxValue);
        if (permission is < 0 or > 3)
        {
            // MPT-SPEC §5.4, B57: stored and copied, never enforced; the manual's range is 0-3.
            diag.Warn(c.LineOf("permission"), "permission", "value " + Invariant(permission) + " is outside the manual's range 0-3 (only bits 0 and 1 count)");
        }

        bool ipv6 = PathSectionParser.ReadIpVer(c, defaultValue: 6) == 6;
        IPAddress ipLocal = c.Address("ip_local", ipv6);
        int localPort = c.Int("local_port", 0, 0, 65535);
        int localCmdPort = c.Int("local_cmd_port", 65001, 0, 65535);
        if (!template && !c.Has("ip_remote"))
        {
            // B74: the original's default is a typo that parses to the zero address.
            diag.Error(c.HeaderLine, "ip_remote", "missing required key in [connection]");
        }

        IPAddress ipRemote = c.Address("ip_remote", ipv6);
        int remotePort = c.Int("remote_port", 65000, 1, 65535);
        int remoteCmdPort = c.Int("remote_cmd_port", InterfaceConfig.DefaultCommandPort, 1, 65535);
        int pathCount = c.Int("path_count", 0, 1, 20);
        if (!c.Has("path_count"))
        {
            diag.Error(c.HeaderLine, "path_count", "missing required key in [connection]");
        }

        int networkCount = c.Int("network_count", 0, 0, 20);
        int status = c.Int("status", 128, 0, 255);
        SchedulerMode scheduler = ReadScheduler(c);
        (int reorderWindow, bool reorderAuto) = ReadReorderWindow(c, scheduler);
        int maxBuffDelay = c.Int("max_buffdelay_msec", 0, 0, 65535);
        bool lossRecovery = c.Int("loss_recovery", 1, 0, 1) == 1;
        int probeInterval = c.Int("probe_interval_msec", ConnectionConfig.DefaultProbeIntervalMs, 0, 1000);
        (bool equalizeDelay, bool equalizeAcks, bool equalizeAuto) = ReadEqualize(c);
        bool autoCreate = c.Int("auto_create", 0, 0, 1) == 1;
        if (autoCreate && (permission & 1) == 0)
        {
            diag.Warn(c.LineOf("auto_create"), "auto_create", "permission has no bit 0 (send), so this side may not ask for a create: nothing is created");
        }
        if (equalizeDelay && reorderWindow == 0)
        {
            diag.Warn(c.LineOf("equalize_delay"), "equalize_delay", "delay equalisation needs sequence numbers: reorder_window = 0 turns it off");
        }
        if (lossRecovery && c.Has("loss_recovery") && reorderWindow == 0)
        {
            diag.Warn(c.LineOf("loss_recovery"), "loss_recovery", "loss recovery needs sequence numbers: reorder_window = 0 turns it off");
        }
        int authType = ReadAuthType(c);
        string authKey = c.String("auth_key", ConnectionConfig.DefaultAuthKey);
        WarnWeakAuth(c, authType, authKey);

        List<PathConfig> paths = ReadPaths(doc, diag, c, pathCount, template);
        bool unmeasured = paths.Count > 1 && paths.All(p => p.KeepaliveMs == 0); // no keepalives, so no probes
        if (scheduler == SchedulerMode.Adaptive && c.Has("scheduler") && unmeasured)
        {
            diag.Warn(c.LineOf("scheduler"), "scheduler",
                "the adaptive scheduler measures the paths with probes, which go out with the keepalives: keepalive_time (and keepalive_msec) is 0 on every path, so the weighted list is used");
        }
        if (((equalizeDelay && reorderWindow > 0) || equalizeAcks || equalizeAuto) && c.Has("equalize_delay") && unmeasured)
        {
            diag.Warn(c.LineOf("equalize_delay"), "equalize_delay",
                "delay equalisation measures the paths with probes, which go out with the keepalives: keepalive_time (and keepalive_msec) is 0 on every path, so nothing is held");
        }

        List<NetworkConfig> networks = ReadNetworks(doc, diag, networkCount);
        CheckSections(doc, diag, pathCount, networkCount);

        var config = new ConnectionConfig
        {
            FileName = Path.GetFileName(filePath),
            Name = name,
            Permission = permission,
            IpVer = ipv6 ? 6 : 4,
            IpLocal = ipLocal,
            LocalPort = (ushort)localPort,
            LocalCmdPort = (ushort)localCmdPort,
            IpRemote = ipRemote,
            RemotePort = (ushort)remotePort,
            RemoteCmdPort = (ushort)remoteCmdPort,
            Status = status,
            ReorderWindow = reorderWindow,
            ReorderAuto = reorderAuto,
            MaxBuffDelayMs = maxBuffDelay == 0 ? 100 : maxBuffDelay, // MPT-SPEC §5.4: 0 or absent means 100 ms
            Scheduler = scheduler,
            LossRecovery = lossRecovery,
            EqualizeDelay = equalizeDelay,
            EqualizeAcks = equalizeAcks,
            EqualizeAuto = equalizeAuto,
            ProbeIntervalMs = probeInterval,
            AutoCreate = autoCreate,
            AuthType = authType,
            AuthKey = authKey,
            Paths = paths.ToEquatableArray(),
            Networks = networks.ToEquatableArray(),
        };
        return new ConfigParseResult<ConnectionConfig>(config, diag.SortedErrors(), diag.SortedWarnings());
    }

    /// <summary><c>equalize_delay</c>: <c>auto</c> (the default: hold the acknowledgements of this host's delay-based
    /// senders), 0, 1 (hold every packet of the faster paths) or <c>acks</c> (hold every inner TCP acknowledgement).</summary>
    private static (bool All, bool Acks, bool Auto) ReadEqualize(SectionReader c)
    {
        string? value = c.Raw("equalize_delay")?.Trim();
        if (value is null || value.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            return (false, false, true);
        }

        if (value.Equals("acks", StringComparison.OrdinalIgnoreCase))
        {
            return (false, true, false);
        }

        if (value == "0" || value == "1")
        {
            return (value == "1", false, false);
        }

        c.Diagnostics.Error(c.LineOf("equalize_delay"), "equalize_delay", "'" + value + "' is not auto, 0, 1 or acks");
        return (false, false, true);
    }

    private static SchedulerMode ReadScheduler(SectionReader c)
    {
        string? value = c.Raw("scheduler");
        if (value is null || value.Equals("adaptive", StringComparison.OrdinalIgnoreCase))
        {
            return SchedulerMode.Adaptive;
        }

        if (value.Equals("weighted", StringComparison.OrdinalIgnoreCase))
        {
            return SchedulerMode.Weighted;
        }

        c.Diagnostics.Error(c.LineOf("scheduler"), "scheduler", "'" + value + "' is not a scheduler (adaptive or weighted)");
        return SchedulerMode.Adaptive;
    }

    /// <summary>
    /// <c>reorder_window</c>: a number as the original reads it, or <c>auto</c> (which the original reads as 0). Absent:
    /// <c>auto</c> with the adaptive scheduler, 0 (the original's default) with the weighted one.
    /// </summary>
    private static (int Window, bool Auto) ReadReorderWindow(SectionReader c, SchedulerMode scheduler)
    {
        string? value = c.Raw("reorder_window");
        bool auto = value is null ? scheduler == SchedulerMode.Adaptive : value.Equals("auto", StringComparison.OrdinalIgnoreCase);
        return auto
            ? (ConnectionConfig.MaxReorderWindow, true)
            : (c.Int("reorder_window", 0, 0, ConnectionConfig.MaxReorderWindow), false);
    }

    private static int ReadAuthType(SectionReader c)
    {
        int authType = c.Int("auth_type", 0, int.MinValue, int.MaxValue);
        if (authType is < 0 or > 2)
        {
            c.Diagnostics.Error(c.LineOf("auth_type"), "auth_type", "value " + Invariant(authType) + " is not an auth type (0 none, 1 token, 2 SHA-256)");
            return 0;
        }

        return authType;
    }

    // MPT-SPEC §4.4, B46: keep the computation, but say loudly when it protects nothing.
    private static void WarnWeakAuth(SectionReader c, int authType, string authKey)
    {
        if (authType == 0)
        {
            c.Diagnostics.Warn(c.LineOf("auth_type"), "auth_type", "auth_type 0: control messages are not authenticated (B46)");
        }
        else if (authType == 1)
        {
            c.Diagnostics.Warn(c.LineOf("auth_type"), "auth_type", "auth_type 1 only checks a token, it does not authenticate (B46)");
        }
        else if (authKey.Length >= 32 && string.CompareOrdinal(authKey, 0, ConnectionConfig.DefaultAuthKey, 0, 32) == 0)
        {
            c.Diagnostics.Warn(c.LineOf("auth_key"), "auth_key", "the default key is public: set a secret auth_key (B46)");
        }
    }

    private static List<PathConfig> ReadPaths(IniDocument doc, ConfigDiagnostics diag, SectionReader c, int pathCount, bool template)
    {
        var paths = new List<PathConfig>(pathCount);
        var portLists = new List<PathSectionParser.PortListSource>();
        var privateKeyPresent = new List<(bool Present, int Line)>();
        for (int i = 0; i < pathCount; i++)
        {
            string section = "path_" + Invariant(i);
            doc.TryGetSection(section, out IniSection? pathSection);
            var s = new SectionReader(pathSection, diag);
            if (pathSection is null && !template)
            {
                diag.Error(c.LineOf("path_count"), "[" + section + "]",
                    "missing section: path_count is " + Invariant(pathCount) + " and every path needs remote_ipaddr");
            }

            paths.Add(PathSectionParser.ReadPath(s, i, template, portLists));
            privateKeyPresent.Add((s.Has("private_ipaddr"), s.LineOf("private_ipaddr")));
        }

        PathSectionParser.CheckPortConflicts(portLists, diag);
        CheckIpv6PrivateAddresses(paths, privateKeyPresent, diag);
        if (paths.Count > 0 && paths.TrueForAll(p => p.WeightOut == 0))
        {
            diag.Error(c.LineOf("path_count"), "weight_out", "every path has weight_out = 0, so no path could ever be chosen");
        }

        return paths;
    }

    // B85: several IPv6 paths on the wildcard address would share one socket and reject each other's datagrams.
    private static void CheckIpv6PrivateAddresses(List<PathConfig> paths, List<(bool Present, int Line)> privateKeyPresent, ConfigDiagnostics diag)
    {
        int ipv6Paths = paths.Count(p => p.IpVer == 6);
        if (ipv6Paths < 2)
        {
            return;
        }

        for (int i = 0; i < paths.Count; i++)
        {
            PathConfig p = paths[i];
            if (p.IpVer != 6 || (privateKeyPresent[i].Present && !p.PrivateAddress.Equals(IPAddress.IPv6Any)))
            {
                continue;
            }

            diag.Error(privateKeyPresent[i].Line, "private_ipaddr",
                "path_" + Invariant(i) + " needs an explicit address other than :: when the connection has " + Invariant(ipv6Paths) + " IPv6 paths (B85)");
        }
    }

    private static List<NetworkConfig> ReadNetworks(IniDocument doc, ConfigDiagnostics diag, int networkCount)
    {
        var networks = new List<NetworkConfig>(networkCount);
        for (int i = 0; i < networkCount; i++)
        {
            doc.TryGetSection("net_" + Invariant(i), out IniSection? netSection);
            networks.Add(PathSectionParser.ReadNetwork(new SectionReader(netSection, diag)));
        }

        return networks;
    }

    // Sections the original ignores: path_N / net_N beyond the counts (warning); anything else is a mistake.
    private static void CheckSections(IniDocument doc, ConfigDiagnostics diag, int pathCount, int networkCount)
    {
        foreach (IniSection section in doc.Sections)
        {
            string label = "[" + section.Name + "]";
            if (section.Name.Length == 0 || section.Name == "connection")
            {
                continue;
            }

            if (ConfigKeys.TryIndex(section.Name, "path_", out int p))
            {
                if (p >= pathCount)
                {
                    diag.Warn(section.Line, label, "ignored: path_count is " + Invariant(pathCount));
                }
            }
            else if (ConfigKeys.TryIndex(section.Name, "net_", out int n))
            {
                if (n >= networkCount)
                {
                    diag.Warn(section.Line, label, "ignored: network_count is " + Invariant(networkCount));
                }
            }
            else
            {
                diag.Error(section.Line, label, "unknown section (expected [connection], [path_N] or [net_N])");
            }
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
