using System.Globalization;
using System.Net;

namespace MptFast.Engine.Config;

/// <summary>Parses <c>conf/interface.conf</c> (MPT-SPEC §5.3).</summary>
public static class InterfaceParser
{
    /// <summary>Parses the text of an interface file; <paramref name="filePath"/> only names the file in diagnostics.</summary>
    public static ConfigParseResult<InterfaceConfig> Parse(string text, string filePath)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(filePath);
        var diag = new ConfigDiagnostics(filePath);
        IniDocument doc = IniDocument.Parse(text);
        ConfigKeys.ReportSyntaxErrors(doc, diag);
        ConfigKeys.WarnKeysOutsideSections(doc, diag);
        CheckSections(doc, diag);

        doc.TryGetSection("general", out IniSection? generalSection);
        var general = new SectionReader(generalSection, diag);
        general.WarnUnknownKeys(ConfigKeys.General);

        // MPT-SPEC §5.3: tunnel_num must be >= 1 (the original exits with 4); only one tunnel exists (B84).
        if (!general.Has("tunnel_num"))
        {
            diag.Error(general.HeaderLine, "tunnel_num", "missing required key in [general]");
        }

        int tunnelNum = general.Int("tunnel_num", 1, 1, int.MaxValue);
        if (tunnelNum > 1)
        {
            diag.Warn(general.LineOf("tunnel_num"), "tunnel_num",
                "tunnel_num = " + tunnelNum.ToString(CultureInfo.InvariantCulture) + ": only one tunnel exists; [tun_0] is used (B84)");
        }

        bool acceptRemote = general.Int("accept_remote", 0, int.MinValue, int.MaxValue) != 0;
        int maxRemote = general.Int("max_remote_connections", InterfaceConfig.DefaultMaxRemoteConnections, 0, 65535);

        // MPT-SPEC §4.1: 0 = ephemeral. One default for daemon and CLI (B89).
        int commandPort = general.Int("cmdport_local", InterfaceConfig.DefaultCommandPort, 0, 65535);
        int commandTimeout = general.Int("cmd_timeout", 15, 0, int.MaxValue);
        int interfaceNum = general.Int("interface_num", 0, 0, int.MaxValue);
        IPEndPoint? metrics = null;
        if (general.Raw("metrics_listen") is { } listen && !ListenAddress.TryParse(listen, out metrics, out string problem))
        {
            diag.Error(general.LineOf("metrics_listen"), "metrics_listen", problem);
        }

        // Issue 14: MptFast's local control channel; the UDP CLI only on request (B59).
        bool cliUdp = general.Int("cli_udp", 0, 0, 1) != 0;
        string controlSocket = general.String("control_socket", InterfaceConfig.DefaultControlSocket);
        if (!controlSocket.StartsWith('/'))
        {
            diag.Error(general.LineOf("control_socket"), "control_socket", "control_socket = " + controlSocket + ": an absolute path is required");
            controlSocket = InterfaceConfig.DefaultControlSocket;
        }

        int controlGid = general.Int("control_gid", -1, -1, int.MaxValue);

        doc.TryGetSection("tun_0", out IniSection? tunSection);
        var tun = new SectionReader(tunSection, diag);
        tun.WarnUnknownKeys(ConfigKeys.Tunnel);
        string name = tun.Name("name", "tun0", interfaceName: true);
        int mtu = tun.Int("mtu", 1440, 68, 65535);
        IpPrefix? ipv4 = ReadTunnelAddress(tun, "ipv4_addr", ipv6: false);
        IpPrefix? ipv6 = ReadTunnelAddress(tun, "ipv6_addr", ipv6: true);

        var config = new InterfaceConfig
        {
            TunnelNum = 1,
            AcceptRemote = acceptRemote,
            MaxRemoteConnections = maxRemote,
            CommandPort = (ushort)commandPort,
            CommandTimeoutSeconds = commandTimeout,
            InterfaceNum = interfaceNum,
            MetricsListen = metrics,
            CliUdp = cliUdp,
            ControlSocket = controlSocket,
            ControlGroup = controlGid >= 0 ? (uint)controlGid : null,
            TunName = name,
            Mtu = mtu,
            Ipv4Address = ipv4,
            Ipv6Address = ipv6,
        };
        return new ConfigParseResult<InterfaceConfig>(config, diag.SortedErrors(), diag.SortedWarnings());
    }

    // MPT-SPEC §5.3, B71: missing key = no address; prefix length 0 = no address; missing "/len" = error.
    private static IpPrefix? ReadTunnelAddress(SectionReader tun, string key, bool ipv6)
    {
        string? raw = tun.Raw(key);
        if (raw is null)
        {
            return null;
        }

        int line = tun.LineOf(key);
        if (!ConfigAddress.TryParsePrefix(raw, ipv6, out IPAddress address, out int length, out string problem))
        {
            tun.Diagnostics.Error(line, key, problem);
            return null;
        }

        if (length < 0)
        {
            tun.Diagnostics.Error(line, key, "'" + raw + "' has no prefix length (write addr/len, B71)");
            return null;
        }

        return length == 0 ? null : new IpPrefix(address, length);
    }

    private static void CheckSections(IniDocument doc, ConfigDiagnostics diag)
    {
        foreach (IniSection section in doc.Sections)
        {
            if (section.Name.Length == 0 || section.Name == "general" || section.Name == "tun_0")
            {
                continue;
            }

            if (ConfigKeys.TryIndex(section.Name, "tun_", out _))
            {
                diag.Warn(section.Line, "[" + section.Name + "]", "ignored: only [tun_0] is used (B84)");
            }
            else
            {
                diag.Error(section.Line, "[" + section.Name + "]", "unknown section (expected [general] or [tun_0])");
            }
        }
    }
}
