using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Control.Protocol;

namespace MptFast.Engine.Tests.Control;

/// <summary>Two daemons wired back to back in memory: initiator engine ↔ responder, both directions.</summary>
public sealed class InMemoryPeerTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Status_change_down_and_up_reaches_the_peer(int authType)
    {
        var pair = new PeerPair(ControlFixtures.Daemon("ipv4-a", authType), ControlFixtures.Daemon("ipv4-b", authType), seed: authType);
        var reports = new List<PathNotification>();
        pair.A.Notifier.Notified += reports.Add;

        Assert.Equal(PathChangeResult.Sent, pair.A.Notifier.ChangeStatus(0, 1, PathStatus.ManualDown, StatusChangeOrigin.Manual, pair.Clock.Now));
        pair.Pump();
        Assert.Equal(PathStatus.Down, pair.B.Daemon.Statuses[0][1]);

        Assert.Equal(PathChangeResult.Sent, pair.A.Notifier.ChangeStatus(0, 1, PathStatus.Ok, StatusChangeOrigin.Manual, pair.Clock.Now));
        pair.Pump();
        Assert.Equal(PathStatus.Ok, pair.B.Daemon.Statuses[0][1]);

        Assert.Equal(2, reports.Count);
        Assert.All(reports, r => Assert.Equal(HandshakeCodes.Ok, r.Code));
        Assert.Equal(4, pair.B.Responder.Answered);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Create_builds_the_mirror_and_both_ends_can_then_talk(int authType)
    {
        var pair = new PeerPair(ControlFixtures.Daemon("ipv4-a", authType), ControlFixtures.Daemon("ipv4-b", authType, withConnection: false), seed: 10 + authType);
        ushort templatePort = pair.B.Daemon.Template!.LocalPort;
        CreateClientOutcome? done = null;

        pair.A.Create.Start("tunnel.conf", pair.Clock.Now, o => done = o);
        pair.Pump();

        Assert.NotNull(done);
        Assert.Equal(CreateClientStatus.Created, done.Status);
        ConnectionConfig created = Assert.Single(pair.B.Daemon.Created);
        Assert.Equal(authType, created.AuthType);
        Assert.Equal(templatePort, created.LocalPort);
        Assert.Equal(templatePort + 1, pair.B.Daemon.Template!.LocalPort);
        ConnectionConfig merged = Assert.Single(pair.A.Daemon.Replaced).Merged;
        Assert.Equal(created.LocalPort, merged.RemotePort);
        Assert.Equal(created.IpLocal, merged.IpRemote);
        Assert.Equal("tunnel.conf", merged.FileName);

        // The created connection answers status changes from the requester.
        pair.A.Notifier.ChangeStatus(0, 0, PathStatus.ManualDown, StatusChangeOrigin.Manual, pair.Clock.Now);
        pair.Pump();
        Assert.Equal(PathStatus.Down, pair.B.Daemon.Statuses[0][0]);
    }

    /// <summary>
    /// Issue 15: a server busy with a hundred creates answered a client's first create so late that the client had
    /// already sent it again; the late round 4 (authentic, with the first handshake's token) then counted as a failed
    /// authentication of the retry, which ended with code 3 — not retried — instead of "no answer". Now it is ignored
    /// as stale, the retry that gets no answer is retried once more, and the server answers that one with the
    /// connection it made.
    /// </summary>
    [Fact]
    public void A_late_answer_to_an_earlier_create_does_not_fail_the_retried_create()
    {
        var pair = new PeerPair(ControlFixtures.Daemon("ipv4-a", 2), ControlFixtures.Daemon("ipv4-b", 2, withConnection: false), seed: 40);
        CreateClientOutcome? done = null;
        pair.A.Create.Start("tunnel.conf", pair.Clock.Now, o => done = o);

        // First create: rounds 1–3 pass and the server creates, but its round 4 is late.
        pair.Deliver(pair.A, pair.B);
        pair.Deliver(pair.B, pair.A);
        pair.Deliver(pair.A, pair.B);
        List<(byte[] Data, IPEndPoint To)> late = [.. pair.B.Out.Sent];
        pair.B.Out.Sent.Clear();
        Assert.Single(pair.B.Daemon.Created);

        // Every resent round 3 and its answer is lost; then the create is sent again, and that one is lost too — only
        // the first create's late round 4 reaches the client, during the second create.
        GiveUp(pair);
        Assert.Equal(1, pair.A.Create.Retries);
        foreach ((byte[] data, IPEndPoint to) in late)
        {
            Assert.True(pair.A.Engine.HandleReply(data, pair.B.SourceFor(to), pair.Clock.Advance(1)));
        }

        GiveUp(pair);
        Assert.Null(done); // not failed with code 3: sent a third time
        Assert.Equal(2, pair.A.Create.Retries);

        pair.A.Engine.Tick(pair.Clock.Advance(HandshakeInitiator.RetryIntervalMs)); // the third create's round 1 again
        pair.Pump();
        Assert.NotNull(done);
        Assert.Equal(CreateClientStatus.Created, done.Status);
        Assert.Single(pair.B.Daemon.Created);
    }

    /// <summary>Lets the client's current handshake run out of attempts with everything it sends lost.</summary>
    private static void GiveUp(PeerPair pair)
    {
        for (int i = 0; i < HandshakeInitiator.MaxAttempts; i++)
        {
            pair.A.Out.Sent.Clear();
            pair.A.Engine.Tick(pair.Clock.Advance(HandshakeInitiator.RetryIntervalMs));
        }

        pair.A.Out.Sent.Clear(); // the next attempt's first send is lost too
    }

    /// <summary>One side: daemon state, engine, responder, notifier and create client over a queue transport.</summary>
    internal sealed class Peer
    {
        public Peer(FakeConnections daemon, int seed)
        {
            Daemon = daemon;
            Engine = new HandshakeEngine(Out);
            Responder = new ControlResponder(daemon, new SeededTokenSource(seed));
            Notifier = new PathStatusNotifier(daemon, Engine);
            Create = new CreateClient(daemon, Engine);
        }

        public FakeConnections Daemon { get; }

        public RecordingTransport Out { get; } = new();

        public HandshakeEngine Engine { get; }

        public ControlResponder Responder { get; }

        public PathStatusNotifier Notifier { get; }

        public CreateClient Create { get; }

        /// <summary>Our source address towards <paramref name="to"/>: the public address of the path whose remote it is.</summary>
        public IPEndPoint SourceFor(IPEndPoint to)
        {
            PathConfig path = Daemon.Template!.Paths.First(p => p.RemoteAddress.Equals(to.Address));
            return new IPEndPoint(ControlLookup.PublicAddress(path), 60456);
        }
    }

    internal sealed class PeerPair(FakeConnections a, FakeConnections b, int seed)
    {
        public Peer A { get; } = new(a, seed);

        public Peer B { get; } = new(b, seed + 100);

        public FakeClock Clock { get; } = new();

        /// <summary>Delivers queued datagrams both ways until quiet (bounded), advancing the clock a little per hop.</summary>
        public void Pump()
        {
            for (int hop = 0; hop < 100 && (A.Out.Sent.Count > 0 || B.Out.Sent.Count > 0); hop++)
            {
                Deliver(A, B);
                Deliver(B, A);
            }
        }

        /// <summary>Delivers what <paramref name="from"/> queued to <paramref name="to"/> (one hop), queueing its answers.</summary>
        public void Deliver(Peer from, Peer to)
        {
            var batch = from.Out.Sent.ToList();
            from.Out.Sent.Clear();
            foreach ((byte[] data, IPEndPoint dest) in batch)
            {
                IPEndPoint source = from.SourceFor(dest);
                long now = Clock.Advance(1);
                if (to.Engine.HandleReply(data, source, now))
                {
                    continue;
                }

                ResponderResult r = to.Responder.Respond(data, source, now);
                if (r.Reply is not null)
                {
                    to.Out.Send(r.Reply, source);
                }
            }
        }
    }
}
