using MptFast.Engine.Config;
using MptFast.Engine.Control.Protocol;

namespace MptFast.Engine.Tests.Control;

/// <summary>
/// MptFast's millisecond liveness keys (<c>keepalive_msec</c>, <c>dead_time_msec</c>) through a create: the original's
/// text has no place for them, so the requester's go in the extension line and the created paths take them (as the
/// §4.7 table takes <c>keepalive_time</c> and <c>dead_time</c>), and the requester keeps its own through the merge —
/// before, a create left the server's paths at the seconds and the client's sub-second failover silently gone.
/// </summary>
public sealed class CreateTimingTests
{
    [Fact]
    public void The_line_carries_every_paths_timing_only_when_a_path_configures_milliseconds_and_reads_back()
    {
        ConnectionConfig plain = ControlFixtures.Running("ipv4-a");
        Assert.Equal(CreateExtension.Line(1), CreateExtension.Line(1, plain));
        Assert.False(CreateExtension.TryReadTimings(CreateExtension.Line(1), plain.Paths.Count, out _, out _));

        ConnectionConfig fast = WithMilliseconds(plain);
        string line = CreateExtension.Line(1, fast);
        Assert.Equal("; mptfast-create: view-on-exists via_path=1 keepalive_msec=100,100 dead_time_msec=300,300\n", line);
        Assert.True(CreateExtension.TryRead("x\n" + line, out int via)); // what an older server reads: the path
        Assert.Equal(1, via);
        Assert.True(CreateExtension.TryReadTimings("x\n" + line, 2, out int[] keepalive, out int[] dead));
        Assert.Equal([100, 100], keepalive);
        Assert.Equal([300, 300], dead);

        Assert.False(CreateExtension.TryReadTimings(line, 3, out _, out _)); // not one per path
        Assert.False(CreateExtension.TryReadTimings(line.Replace("300,300", "300,x", StringComparison.Ordinal), 2, out _, out _));
        Assert.False(CreateExtension.TryReadTimings(line.Replace("100,100", "100,256000", StringComparison.Ordinal), 2, out _, out _));
        Assert.False(CreateExtension.TryReadTimings(line.Replace(" dead_time_msec=300,300", "", StringComparison.Ordinal), 2, out _, out _));
    }

    [Fact]
    public void The_created_paths_take_the_requesters_milliseconds_and_the_requester_keeps_its_own()
    {
        FakeConnections client = ControlFixtures.Daemon("ipv4-a", 2);
        client.Configs[0] = WithMilliseconds(client.Configs[0]);
        var pair = new InMemoryPeerTests.PeerPair(client, ControlFixtures.Daemon("ipv4-b", 2, withConnection: false), seed: 80);
        CreateClientOutcome? done = null;

        pair.A.Create.Start("tunnel.conf", pair.Clock.Now, o => done = o);
        pair.Pump();

        Assert.Equal(CreateClientStatus.Created, done?.Status);
        ConnectionConfig created = Assert.Single(pair.B.Daemon.Created);
        Assert.All(created.Paths, p => Assert.Equal((100, 300), (p.KeepaliveMs, p.DeadMs)));
        ConnectionConfig merged = Assert.Single(pair.A.Daemon.Replaced).Merged;
        Assert.All(merged.Paths, p => Assert.Equal((100, 300), (p.KeepaliveMs, p.DeadMs)));
    }

    private static ConnectionConfig WithMilliseconds(ConnectionConfig c) =>
        c with { Paths = c.Paths.Select(p => p with { KeepaliveMsec = 100, DeadTimeMsec = 300 }).ToEquatableArray() };
}
