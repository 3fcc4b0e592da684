using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Datapath;
using MptFast.Engine.Runtime;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Datapath;

/// <summary>
/// Which datagrams may move a path's peer port (issue 15's NAT support without its hole): MPT-SPEC §2.6 step 3 checks
/// only the source address, so anything else from that address — data, plain keepalives, probes without a valid MAC,
/// replayed probes — must move nothing; an authentic, fresh probe of a SHA-256 connection moves the path to its port.
/// Found by the soak's hostile sender: one mutated datagram from the peer's address used to take the path's traffic.
/// </summary>
public class PortFollowTests
{
    private const string Key = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";
    private static readonly Address16 Local = Address16.FromIPAddress(IPAddress.Parse("198.19.0.1"));
    private static readonly Address16 Remote = Address16.FromIPAddress(IPAddress.Parse("198.19.0.2"));

    [Fact]
    public void Only_an_authentic_fresh_probe_moves_the_port_of_a_sha256_connection()
    {
        var (c, sockets) = Build(authType: 2);
        PathRuntime path = c.Paths[0];
        ushort before = path.Endpoint.Port;
        byte[] key = ControlAuth.DeriveKey(Key);
        byte[] wrongKey = ControlAuth.DeriveKey(Key.Replace('F', 'E'));

        // From the peer's address, another port: data, a plain keepalive, a probe without MAC, one with a wrong MAC.
        byte[] data = new byte[64];
        GreCodec.WriteHeader(data, GreCodec.ProtocolIPv4, false, 0);
        byte[] keepalive = new byte[KeepaliveCodec.PacketLength];
        KeepaliveCodec.TryWrite(keepalive, 4, Remote, Local, out _);
        Receive(c, sockets[0], 40000, data, keepalive, Probe(1000, null), Probe(1001, wrongKey));
        Assert.Equal(before, path.Endpoint.Port);
        Assert.Equal(0, path.PortMoves);
        Assert.Equal(2, path.Measurement.Counters.Rx.ProbesRejected);
        Assert.Equal(0, path.Measurement.Counters.Rx.ProbesReceived);
        Assert.Equal(3, path.Counters.Rx.KeepalivesReceived); // every keepalive still proves the path alive (§3.3)

        // An authentic probe from a new port (a NAT's new mapping): the path follows it.
        byte[] authentic = Probe(2000, key);
        Receive(c, sockets[0], 40000, authentic);
        Assert.Equal(40000, path.Endpoint.Port);
        Assert.Equal(1, path.PortMoves);
        Assert.Equal(1, path.Measurement.Counters.Rx.ProbesReceived);

        // The same probe replayed from elsewhere, and an older one: taken for nothing while the path is up.
        Receive(c, sockets[0], 40001, authentic, Probe(1999, key));
        Assert.Equal(40000, path.Endpoint.Port);
        Assert.Equal(4, path.Measurement.Counters.Rx.ProbesRejected);

        // A path that is down takes the next authentic probe whatever its time (the peer may have restarted).
        path.Status = PathStatus.Down;
        Receive(c, sockets[0], 40002, Probe(5, key));
        Assert.Equal(40002, path.Endpoint.Port);
        Assert.Equal(2, path.Measurement.Counters.Rx.ProbesReceived);
    }

    [Fact]
    public void Verifying_probes_allocates_nothing_on_the_receive_thread()
    {
        var (c, sockets) = Build(authType: 2);
        c.Paths[0].Status = PathStatus.Down; // every probe is verified (a path that is up would refuse the repeats unverified)
        byte[] key = ControlAuth.DeriveKey(Key);
        sockets[0].PerReceive = 16;
        sockets[0].Feed([.. Enumerable.Range(0, 16).Select(i => Probe((ulong)i + 1, key))]);
        using var tun = new ReplayTun(PumpTests.Icmp(IPAddress.Parse("198.19.0.2"), IPAddress.Parse("198.19.0.1")));
        using var pump = new RxPump(tun, [c], 2048);
        for (int i = 0; i < 20; i++)
        {
            pump.RunOnce(0);
        }

        long taken = c.Paths[0].Measurement.Counters.Rx.ProbesReceived;
        SteadyState.AssertAllocatesNothing(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                pump.RunOnce(0);
            }
        });

        Assert.True(c.Paths[0].Measurement.Counters.Rx.ProbesReceived - taken >= 200 * 16, "the probes were not all verified and taken");
        Assert.Equal(0, c.Paths[0].Measurement.Counters.Rx.ProbesRejected);
    }

    [Fact]
    public void A_connection_without_sha256_takes_probes_for_measurement_but_never_moves_a_port()
    {
        var (c, sockets) = Build(authType: 0);
        PathRuntime path = c.Paths[0];
        ushort before = path.Endpoint.Port;
        Receive(c, sockets[0], 40000, Probe(1000, null));
        Assert.Equal(1, path.Measurement.Counters.Rx.ProbesReceived);
        Assert.Equal(0, path.Measurement.Counters.Rx.ProbesRejected);
        Assert.Equal(before, path.Endpoint.Port);
        Assert.Equal(0, path.PortMoves);
    }

    [Fact]
    public void A_sha256_connections_own_probes_carry_a_mac_the_peer_verifies()
    {
        var (c, _) = Build(authType: 2);
        byte[] buffer = new byte[ProbeCodec.MaxPacketLength];
        int n = ProbeWriter.Write(c, c.Paths[1], 123_456, [], buffer);
        Assert.Equal(KeepaliveCodec.PacketLength + ProbeCodec.Length(0, authenticated: true), n);
        Assert.Equal(KeepaliveStatus.Ok, KeepaliveCodec.Decode(buffer.AsSpan(0, n), out KeepaliveMessage m));
        Assert.True((m.Probe!.Value.Flags & ProbeFlags.Authenticated) != 0);
        Assert.True(ProbeCodec.Verify(buffer.AsSpan(GreCodec.BaseHeaderLength, n - GreCodec.BaseHeaderLength), new HmacSha256(ControlAuth.DeriveKey(Key))));
    }

    private static (ConnectionRuntime Connection, ReplaySocket[] Sockets) Build(int authType)
    {
        var (plain, sockets) = PumpTests.Connection(0, weights: [1, 1]);
        var c = new ConnectionRuntime(0, plain.Config with { AuthType = authType, AuthKey = Key }, [.. plain.Paths], plain.PortMap,
            plain.LocalTunnel, plain.RemoteTunnel);
        return (c, sockets);
    }

    /// <summary>A probe as the peer sends it (its tunnel pair), sent at <paramref name="txMicros"/>, with a MAC when
    /// <paramref name="key"/> is given.</summary>
    private static byte[] Probe(ulong txMicros, byte[]? key)
    {
        var trailer = new ProbeTrailer(key is null ? ProbeFlags.None : ProbeFlags.Authenticated, 0, txMicros, 0, 0, 0, 0, 0, 0, 0);
        byte[] buffer = new byte[ProbeCodec.MaxPacketLength];
        Assert.True(KeepaliveCodec.TryWriteProbe(buffer, 4, Remote, Local, trailer, [], key is null ? null : new HmacSha256(key), out int n));
        return buffer[..n];
    }

    private static void Receive(ConnectionRuntime c, ReplaySocket socket, ushort sourcePort, params byte[][] datagrams)
    {
        socket.SourcePort = sourcePort;
        socket.PerReceive = datagrams.Length;
        socket.Feed(datagrams);
        using var tun = new ReplayTun(PumpTests.Icmp(IPAddress.Parse("198.19.0.2"), IPAddress.Parse("198.19.0.1")));
        using var pump = new RxPump(tun, [c], 2048);
        pump.RunOnce(0);
    }
}
