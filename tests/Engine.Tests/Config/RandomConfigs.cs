using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Mapping;

namespace MptFast.Engine.Tests.Config;

/// <summary>Seeded generator of valid config models for the round-trip property (parse ∘ write = id).</summary>
internal sealed class RandomConfigs(int seed)
{
    private static readonly string[] s_names =
    [
        "mpt_a", "connection", "", "two words", "semi;colon", "hash#tag", " leading", "trailing ", "\"quoted\"",
        "'single'", "back\\slash\\", "ünïcødé-verbindung", "a=b", "tab\tinside", "x\"y;z", "mixed 'q' #",
    ];

    private static readonly string[] s_interfaces = ["veth1", "eth0", "wlan0", "ppp0", "enp0s31f6", "a", "if#1", "x;y", "br-lan.10", "abcdefghijklmno"];

    private static readonly string[] s_files = ["tunnel.conf", "peer_198_18_1_2.conf", "a b.conf", "ü.conf", ".conf"];

    private readonly Random _random = new(seed);

    public ConnectionConfig Connection()
    {
        bool ipv6 = _random.Next(2) == 0;
        int pathCount = _random.Next(10) == 0 ? _random.Next(1, 21) : _random.Next(1, 5);
        var paths = new List<PathConfig>();
        for (int i = 0; i < pathCount; i++)
        {
            paths.Add(Path());
        }

        if (paths.TrueForAll(p => p.WeightOut == 0))
        {
            paths[0] = paths[0] with { WeightOut = _random.Next(1, 10001) };
        }

        AssignPortMaps(paths);
        int networkCount = _random.Next(4) == 0 ? _random.Next(0, 21) : _random.Next(0, 3);
        var networks = new List<NetworkConfig>();
        for (int i = 0; i < networkCount; i++)
        {
            bool v6 = _random.Next(2) == 0;
            networks.Add(new NetworkConfig(v6 ? 6 : 4, Prefix(v6), Prefix(v6)));
        }

        return new ConnectionConfig
        {
            FileName = Pick(s_files),
            Name = Pick(s_names),
            Permission = _random.Next(4),
            IpVer = ipv6 ? 6 : 4,
            IpLocal = Address(ipv6),
            LocalPort = (ushort)_random.Next(0, 65536),
            LocalCmdPort = (ushort)_random.Next(0, 65536),
            IpRemote = Address(ipv6),
            RemotePort = (ushort)_random.Next(1, 65536),
            RemoteCmdPort = (ushort)_random.Next(1, 65536),
            Status = _random.Next(256),
            ReorderWindow = _random.Next(3) == 0 ? 0 : _random.Next(0, 10001),
            MaxBuffDelayMs = _random.Next(1, 65536),
            AuthType = _random.Next(3),
            AuthKey = _random.Next(3) switch
            {
                0 => ConnectionConfig.DefaultAuthKey,
                1 => Convert.ToHexString(Bytes(32)),
                _ => Pick(s_names),
            },
            Paths = paths.ToEquatableArray(),
            Networks = networks.ToEquatableArray(),
        };
    }

    public InterfaceConfig Interface() => new()
    {
        TunnelNum = 1,
        AcceptRemote = _random.Next(2) == 0,
        CommandPort = (ushort)_random.Next(0, 65536),
        CommandTimeoutSeconds = _random.Next(0, 3600),
        InterfaceNum = _random.Next(0, 100),
        TunName = Pick(s_interfaces),
        Mtu = _random.Next(68, 65536),
        Ipv4Address = _random.Next(3) == 0 ? null : new IpPrefix(Address(false), _random.Next(1, 33)),
        Ipv6Address = _random.Next(3) == 0 ? null : new IpPrefix(Address(true), _random.Next(1, 129)),
    };

    private PathConfig Path()
    {
        bool ipv6 = _random.Next(2) == 0;
        IPAddress privateAddress = ipv6 ? NonZeroIpv6() : Address(false);
        bool publicIsPrivate = _random.Next(4) == 0;
        int keepalive = _random.Next(256);
        return new PathConfig
        {
            InterfaceName = Pick(s_interfaces),
            IpVer = ipv6 ? 6 : 4,
            CmdDefault = _random.Next(3) == 0,
            GatewayAddress = Address(ipv6),
            PrivateAddress = privateAddress,
            PublicAddress = publicIsPrivate ? privateAddress : Address(ipv6),
            PublicIsPrivate = publicIsPrivate,
            RemoteAddress = Address(ipv6),
            KeepaliveTime = keepalive,
            DeadTime = _random.Next(2) == 0 ? keepalive * 3 : _random.Next(65536),
            KeepaliveMsec = _random.Next(3) == 0 ? _random.Next(255_001) : null,
            DeadTimeMsec = _random.Next(3) == 0 ? _random.Next(65_535_001) : null,
            WeightIn = _random.Next(10001),
            WeightOut = _random.Next(4) == 0 ? 0 : _random.Next(1, 10001),
            WindowSize = _random.Next(3) == 0 ? _random.Next(-5, 100000) : 1,
            Status = (PathStatus)_random.Next(256),
        };
    }

    // Disjoint ranges per key (a port on two paths is a conflict), single ports and ranges, spread over the paths.
    private void AssignPortMaps(List<PathConfig> paths)
    {
        for (int k = 0; k < PortMapRules.KeyCount; k++)
        {
            var perPath = new List<PortRange>[paths.Count];
            int port = 1;
            int entries = _random.Next(3) == 0 ? 0 : _random.Next(1, 8);
            for (int e = 0; e < entries; e++)
            {
                port += _random.Next(0, 5000);
                int last = _random.Next(2) == 0 ? port : port + _random.Next(1, 3000);
                if (last > 65535)
                {
                    break;
                }

                int owner = _random.Next(paths.Count);
                (perPath[owner] ??= []).Add(new PortRange(port, last));
                port = last + 1;
            }

            for (int i = 0; i < paths.Count; i++)
            {
                EquatableArray<PortRange> ranges = (perPath[i] ?? []).ToEquatableArray();
                paths[i] = (PortMapKey)k switch
                {
                    PortMapKey.TcpSrc => paths[i] with { TcpSrc = ranges },
                    PortMapKey.TcpDst => paths[i] with { TcpDst = ranges },
                    PortMapKey.UdpSrc => paths[i] with { UdpSrc = ranges },
                    _ => paths[i] with { UdpDst = ranges },
                };
            }
        }
    }

    private IpPrefix Prefix(bool ipv6) => new(Address(ipv6), _random.Next(0, ipv6 ? 129 : 33));

    private IPAddress Address(bool ipv6) => _random.Next(8) switch
    {
        0 => ipv6 ? IPAddress.IPv6Any : IPAddress.Any,
        1 when ipv6 => IPAddress.Parse("::ffff:198.18.1." + _random.Next(256).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        2 when ipv6 => new IPAddress([0xfd, 0, 0, (byte)_random.Next(256), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)_random.Next(256)]),
        _ => new IPAddress(Bytes(ipv6 ? 16 : 4)),
    };

    private IPAddress NonZeroIpv6()
    {
        IPAddress address;
        do
        {
            address = Address(true);
        }
        while (address.Equals(IPAddress.IPv6Any));

        return address;
    }

    private byte[] Bytes(int count)
    {
        byte[] bytes = new byte[count];
        _random.NextBytes(bytes);
        return bytes;
    }

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];
}
