using MptFast.Engine.Config;
using MptFast.Engine.Control.Protocol;

namespace MptFast.Engine.Tests.Control;

/// <summary><c>auto_create = 1</c> (issue 15): the create when the connection is loaded, again after every path has been
/// down for <see cref="AutoCreator.RecheckMs"/>, and failures retried with a doubling wait — over two in-memory daemons.</summary>
public sealed class AutoCreatorTests
{
    private static (InMemoryPeerTests.PeerPair Pair, AutoCreator Auto) Setup()
    {
        FakeConnections client = ControlFixtures.Daemon("ipv4-a", 2);
        client.Configs[0] = client.Configs[0] with { AutoCreate = true };
        var pair = new InMemoryPeerTests.PeerPair(client, ControlFixtures.Daemon("ipv4-b", 2, withConnection: false), seed: 70);
        return (pair, new AutoCreator(pair.A.Daemon, pair.A.Create, () => pair.Clock.Now));
    }

    [Fact]
    public void The_connection_is_created_when_loaded_and_again_only_after_every_path_was_down_for_the_recheck_time()
    {
        (InMemoryPeerTests.PeerPair pair, AutoCreator auto) = Setup();

        auto.Tick(pair.Clock.Now);
        pair.Pump();
        Assert.Single(pair.B.Daemon.Created);
        Assert.True(pair.A.Daemon.Configs[0].AutoCreate); // kept through the merge
        auto.Tick(pair.Clock.Advance(AutoCreator.RecheckMs * 3));
        Assert.Equal(1, auto.Started); // paths up: nothing to do

        // The server forgets the connection (restarted without save); the client's paths die.
        pair.B.Daemon.Configs.Clear();
        pair.B.Daemon.Statuses.Clear();
        Array.Fill(pair.A.Daemon.Statuses[0], PathStatus.Down);
        auto.Tick(pair.Clock.Advance(1));
        auto.Tick(pair.Clock.Advance(AutoCreator.RecheckMs - 10));
        Assert.Equal(1, auto.Started); // not down long enough yet
        pair.A.Daemon.Statuses[0][1] = PathStatus.Ok; // one path back: the count starts over
        auto.Tick(pair.Clock.Advance(20));
        pair.A.Daemon.Statuses[0][1] = PathStatus.Down;
        auto.Tick(pair.Clock.Advance(1));
        auto.Tick(pair.Clock.Advance(AutoCreator.RecheckMs - 10));
        Assert.Equal(1, auto.Started);
        auto.Tick(pair.Clock.Advance(20));
        Assert.Equal(2, auto.Started);
        pair.Pump();
        Assert.Equal(2, pair.B.Daemon.Created.Count);
        Assert.Equal(0, auto.Failed);
    }

    [Fact]
    public void A_refused_create_is_tried_again_after_a_doubling_wait()
    {
        (InMemoryPeerTests.PeerPair pair, AutoCreator auto) = Setup();
        pair.B.Daemon.StartSucceeds = false; // the server refuses: code 7

        auto.Tick(pair.Clock.Now);
        pair.Pump();
        Assert.Equal((1, 1), (auto.Started, auto.Failed));

        auto.Tick(pair.Clock.Advance(AutoCreator.FirstRetryMs - 100));
        Assert.Equal(1, auto.Started);
        auto.Tick(pair.Clock.Advance(200));
        pair.Pump();
        Assert.Equal((2, 2), (auto.Started, auto.Failed));

        auto.Tick(pair.Clock.Advance((2 * AutoCreator.FirstRetryMs) - 100));
        Assert.Equal(2, auto.Started); // the wait doubled
        pair.B.Daemon.StartSucceeds = true;
        auto.Tick(pair.Clock.Advance(200));
        pair.Pump();
        Assert.Equal((3, 2), (auto.Started, auto.Failed));
        Assert.Single(pair.B.Daemon.Created);
    }

    [Fact]
    public void A_connection_without_auto_create_is_left_alone()
    {
        FakeConnections client = ControlFixtures.Daemon("ipv4-a", 2);
        var pair = new InMemoryPeerTests.PeerPair(client, ControlFixtures.Daemon("ipv4-b", 2, withConnection: false), seed: 71);
        var auto = new AutoCreator(pair.A.Daemon, pair.A.Create, () => pair.Clock.Now);

        auto.Tick(pair.Clock.Now);
        pair.Pump();

        Assert.Equal(0, auto.Started);
        Assert.Empty(pair.B.Daemon.Created);
    }
}
