using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Daemon;
using MptFast.Engine.Tests.Config;

namespace MptFast.Engine.Tests.Daemon;

/// <summary>
/// MPT-SPEC B85 at run time: the sockets a connection set needs, refused when two paths would bind one address and
/// port — the case a reload or a create adds beside the running connections, which the config check of one directory
/// does not see.
/// </summary>
public sealed class WantedSocketsTests
{
    private static readonly ConnectionBuilder Builder = new(new InterfaceConfig(), new DaemonOptions { Offload = false }, 60456);

    private static ConnectionConfig Connection(string file, string remote, int localPort) =>
        ConnectionParser.Parse(ConfigText.Connection(), file).GetValueOrThrow() with
        {
            FileName = file,
            IpRemote = IPAddress.Parse(remote),
            LocalPort = (ushort)localPort,
        };

    [Fact]
    public void Two_connections_on_one_address_and_port_are_refused_with_both_named()
    {
        var e = Assert.Throws<DaemonStartException>(() =>
            Builder.WantedSockets([Connection("a.conf", "198.19.0.2", 23456), Connection("b.conf", "198.19.0.3", 23456)]));

        Assert.Equal("b.conf path_0 binds 198.18.1.1 port 23456 as a.conf path_0 does: two sockets on one address and port split the datagrams between them (B85)", e.Message);
    }

    [Fact]
    public void Distinct_ports_and_ephemeral_ports_are_fine()
    {
        HashSet<SocketKey> wanted = Builder.WantedSockets(
            [Connection("a.conf", "198.19.0.2", 23456), Connection("b.conf", "198.19.0.3", 23457), Connection("c.conf", "198.19.0.4", 0),
             Connection("d.conf", "198.19.0.5", 0) with { RemotePort = 23457 }]);

        Assert.Equal(8, wanted.Count);
    }
}
