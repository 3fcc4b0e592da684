using System.Globalization;
using System.Net;

namespace MptFast.Engine.Config;

/// <summary>
/// Loads the original's <c>conf/</c> folder (MPT-SPEC §5.1): <c>interface.conf</c>, every
/// <c>connections/*.conf</c> and the optional <c>connections/conf.template</c>.
/// </summary>
public static class ConfigLoader
{
    /// <summary>File name of the template (MPT-SPEC §5.8).</summary>
    public const string TemplateFileName = "conf.template";

    /// <summary>Loads and validates everything; collects the problems of all files instead of stopping at the first.</summary>
    public static ConfigLoadResult Load(string confDir)
    {
        ArgumentNullException.ThrowIfNull(confDir);
        var errors = new List<ConfigError>();
        var warnings = new List<ConfigWarning>();

        string interfacePath = Path.Combine(confDir, "interface.conf");
        InterfaceConfig? iface = null;
        if (TryRead(interfacePath, errors, out string? interfaceText))
        {
            iface = Collect(InterfaceParser.Parse(interfaceText, interfacePath), errors, warnings);
        }

        string connectionsDir = Path.Combine(confDir, "connections");
        var connections = new List<ConnectionConfig>();
        var pairs = new Dictionary<(IPAddress Local, IPAddress Remote), (ConnectionConfig Connection, string File)>();
        var bound = new Dictionary<(string Address, ushort Port), (ConnectionConfig Connection, string File, int Path)>();
        foreach (string file in ConnectionFiles(connectionsDir))
        {
            if (TryRead(file, errors, out string? text))
            {
                ConnectionConfig? connection = Collect(ConnectionParser.Parse(text, file), errors, warnings);
                if (connection is not null)
                {
                    if (iface is not null)
                    {
                        WarnTunnelAddressMismatch(connection, iface, file, LineOf(text, "connection", "ip_local"), warnings);
                    }

                    WarnSameTunnelPair(connection, iface, file, text, pairs, warnings);
                    CheckSharedSockets(connection, file, text, bound, errors);
                    connections.Add(connection);
                }
            }
        }

        // B77: the template is only needed to accept remote creates; without it the default key is global.
        string templatePath = Path.Combine(connectionsDir, TemplateFileName);
        ConnectionConfig? template = null;
        if (File.Exists(templatePath))
        {
            if (TryRead(templatePath, errors, out string? text))
            {
                template = Collect(ConnectionParser.ParseTemplate(text, templatePath), errors, warnings);
            }
        }
        else if (iface is { AcceptRemote: true } && interfaceText is not null)
        {
            int line = LineOf(interfaceText, "general", "accept_remote");
            errors.Add(new ConfigError(interfacePath, line, "accept_remote",
                "accept_remote is set but " + templatePath + " is missing (it is the template for remote creates, B77)"));
        }

        var config = new MptConfig
        {
            Interface = iface ?? new InterfaceConfig(),
            Template = template,
            Connections = connections.ToEquatableArray(),
        };
        return new ConfigLoadResult(config, errors, warnings);
    }

    /// <summary>Like <see cref="Load"/>, but throws a <see cref="ConfigException"/> listing every error.</summary>
    public static MptConfig LoadOrThrow(string confDir)
    {
        ConfigLoadResult result = Load(confDir);
        return result.Config ?? throw new ConfigException(result.Errors);
    }

    /// <summary>
    /// MPT-SPEC §5.1: a connection file's name ends in <c>.conf</c> (case-sensitive) and is at least 5 characters
    /// long, so <c>x.conf.disabled</c> and <c>conf.template</c> are not connections. Sorted ordinally (the original's
    /// readdir order is unspecified).
    /// </summary>
    public static IReadOnlyList<string> ConnectionFiles(string connectionsDir)
    {
        ArgumentNullException.ThrowIfNull(connectionsDir);
        if (!Directory.Exists(connectionsDir))
        {
            return [];
        }

        var files = new List<string>();
        foreach (string file in Directory.EnumerateFiles(connectionsDir))
        {
            string name = Path.GetFileName(file);
            if (name.Length >= 5 && name.EndsWith(".conf", StringComparison.Ordinal))
            {
                files.Add(file);
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    // B73 / MPT-SPEC §5.9: the tunnel address in interface.conf and the connection's ip_local should agree
    // (the original replaces an IPv4 ip_local with [tun_0] ipv4_addr at start, and so does ConnectionBuilder).
    private static void WarnTunnelAddressMismatch(ConnectionConfig connection, InterfaceConfig iface, string file, int line, List<ConfigWarning> warnings)
    {
        IpPrefix? tunnel = connection.IpVer == 6 ? iface.Ipv6Address : iface.Ipv4Address;
        if (tunnel is not null && !tunnel.Address.Equals(connection.IpLocal))
        {
            warnings.Add(new ConfigWarning(file, line, "ip_local", connection.IpVer == 6
                ? "ip_local " + connection.IpLocal + " differs from the tunnel's ipv6_addr " + tunnel.Address + " in interface.conf"
                : "ip_local " + connection.IpLocal + " is replaced by the tunnel's ipv4_addr " + tunnel.Address +
                  " from interface.conf (as the original does: one daemon, one IPv4 tunnel address)"));
        }
    }

    /// <summary>
    /// Two connections with the same tunnel pair (the local address as the daemon uses it, see
    /// <see cref="WarnTunnelAddressMismatch"/>, and <c>ip_remote</c>) cannot both work: every packet for that remote
    /// address leaves through the first, and the peer tells connections apart by their pair (MPT-SPEC §4.7: a second
    /// create is refused as existing). Accepted as the original accepts it, but said, at the later file's
    /// <c>ip_remote</c>. A daemon that should bond several sites to one server gives each site its own daemon.
    /// </summary>
    private static void WarnSameTunnelPair(ConnectionConfig connection, InterfaceConfig? iface, string file, string text,
        Dictionary<(IPAddress Local, IPAddress Remote), (ConnectionConfig Connection, string File)> pairs, List<ConfigWarning> warnings)
    {
        IPAddress local = connection.IpVer != 6 && iface?.Ipv4Address is { } v4 ? v4.Address : connection.IpLocal;
        if (pairs.TryGetValue((local, connection.IpRemote), out (ConnectionConfig Connection, string File) first))
        {
            warnings.Add(new ConfigWarning(file, LineOf(text, "connection", "ip_remote"), "ip_remote",
                "connection '" + connection.Name + "' has the same tunnel pair " + local + " -> " + connection.IpRemote +
                " as '" + first.Connection.Name + "' (" + Path.GetFileName(first.File) + "): packets to " + connection.IpRemote +
                " all leave through the first, and the peer cannot tell the two apart"));
            return;
        }

        pairs.Add((local, connection.IpRemote), (connection, file));
    }

    /// <summary>
    /// MPT-SPEC B85 across paths and connections: every path binds its own socket on (private address, the connection's
    /// <c>local_port</c>), and two sockets on one address and port split the datagrams that arrive there between them —
    /// each path then drops its sibling's as coming from an unknown sender, and both tunnels fail. An error at the later
    /// path's <c>private_ipaddr</c>. An IPv4 path without an address binds its interface's address, so two of them on
    /// one interface collide too; <c>local_port = 0</c> (ephemeral) never does.
    /// </summary>
    private static void CheckSharedSockets(ConnectionConfig connection, string file, string text,
        Dictionary<(string Address, ushort Port), (ConnectionConfig Connection, string File, int Path)> bound, List<ConfigError> errors)
    {
        if (connection.LocalPort == 0)
        {
            return;
        }

        for (int i = 0; i < connection.Paths.Count; i++)
        {
            PathConfig path = connection.Paths[i];
            string address = path.IpVer != 6 && path.PrivateAddress.Equals(IPAddress.Any)
                ? "the address of " + path.InterfaceName
                : path.PrivateAddress.ToString();
            if (bound.TryAdd((address, connection.LocalPort), (connection, file, i)))
            {
                continue;
            }

            (ConnectionConfig firstConnection, string firstFile, int firstPath) = bound[(address, connection.LocalPort)];
            string first = "path_" + firstPath.ToString(CultureInfo.InvariantCulture)
                + (ReferenceEquals(firstConnection, connection) ? "" : " of '" + firstConnection.Name + "' (" + Path.GetFileName(firstFile) + ")");
            string section = "path_" + i.ToString(CultureInfo.InvariantCulture);
            int line = LineOf(text, section, "private_ipaddr") is > 0 and int l ? l : LineOf(text, section, "interface_name");
            errors.Add(new ConfigError(file, line, "private_ipaddr",
                section + " binds " + address + " port " + connection.LocalPort.ToString(CultureInfo.InvariantCulture) +
                " as " + first + " does: two sockets on one address and port split the datagrams between them (B85); give one of them another private_ipaddr or local_port"));
        }
    }

    private static T? Collect<T>(ConfigParseResult<T> result, List<ConfigError> errors, List<ConfigWarning> warnings)
        where T : class
    {
        errors.AddRange(result.Errors);
        warnings.AddRange(result.Warnings);
        return result.Value;
    }

    private static bool TryRead(string path, List<ConfigError> errors, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? text)
    {
        text = null;
        if (!File.Exists(path))
        {
            errors.Add(new ConfigError(path, 0, "file", "not found"));
            return false;
        }

        try
        {
            text = File.ReadAllText(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add(new ConfigError(path, 0, "file", "cannot be read: " + ex.Message));
            return false;
        }
    }

    private static int LineOf(string text, string section, string key)
    {
        IniDocument doc = IniDocument.Parse(text);
        return doc.TryGetSection(section, out IniSection found) && found.TryGet(key, out IniEntry entry) ? entry.Line : 0;
    }
}
