using MptFast.Engine.Config;
using MptFast.Engine.Control.Protocol;
using MptFast.Engine.Wire;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Control;

/// <summary>The captured handshakes (testvectors/ctrl-*) are exactly what our initiator and responder produce.</summary>
public sealed class ControlVectorTests
{
    public static TheoryData<string, string> StatusChanges => new()
    {
        { "pathdown", "auth0" }, { "pathdown", "sha256" }, { "pathup", "auth0" }, { "pathup", "sha256" },
    };

    [Theory]
    [MemberData(nameof(StatusChanges))]
    public void Initiator_sends_the_captured_rounds_1_and_3_of_a_status_change(string change, string auth)
    {
        string prefix = $"ctrl-{change}-{auth}-r";
        FakeConnections a = ControlFixtures.Daemon("ipv4-a", auth == "sha256" ? 2 : 0);
        bool up = change == "pathup";
        if (up)
        {
            a.Statuses[0][1] = PathStatus.ManualDown; // the capture's "path up" followed a "path down"
        }

        var transport = new RecordingTransport();
        var engine = new HandshakeEngine(transport);
        var notifier = new PathStatusNotifier(a, engine);
        var reports = new List<PathNotification>();
        notifier.Notified += reports.Add;
        var clock = new FakeClock();

        // `mpt path down|up 198.18.2.1 198.18.2.2` changes path 1; the handshake goes through path 0 (first OK).
        Assert.Equal(PathChangeResult.Sent, notifier.ChangeStatus(0, 1, up ? PathStatus.Ok : PathStatus.ManualDown, StatusChangeOrigin.Manual, clock.Now));
        Assert.Equal(SharedFiles.LoadVector(prefix + "1"), Assert.Single(transport.Sent).Data);
        Assert.Equal(ControlFixtures.B0, transport.Sent[0].To);

        Assert.True(engine.HandleReply(SharedFiles.LoadVector(prefix + "2"), ControlFixtures.B0, clock.Advance(3)));
        Assert.Equal(SharedFiles.LoadVector(prefix + "3"), transport.Sent[1].Data);
        Assert.Equal(ControlFixtures.B0, transport.Sent[1].To);

        Assert.True(engine.HandleReply(SharedFiles.LoadVector(prefix + "4"), ControlFixtures.B0, clock.Advance(3)));
        PathNotification report = Assert.Single(reports);
        Assert.Equal(HandshakeCodes.Ok, report.Code);
        Assert.False(report.WillRetry);
        Assert.Equal(up ? PathStatus.Ok : PathStatus.ManualDown, a.Statuses[0][1]);
        Assert.Equal(0, engine.ActiveCount);
    }

    [Theory]
    [MemberData(nameof(StatusChanges))]
    public void Responder_answers_with_the_captured_rounds_2_and_4_and_changes_the_path(string change, string auth)
    {
        string prefix = $"ctrl-{change}-{auth}-r";
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", auth == "sha256" ? 2 : 0);
        bool up = change == "pathup";
        if (up)
        {
            b.Statuses[0][1] = PathStatus.Down; // the earlier "down" landed as 0x80
        }

        byte[] r2 = SharedFiles.LoadVector(prefix + "2");
        uint token = auth == "sha256" ? ControlAuth.ReadToken(r2) : 0;
        ControlResponder responder = ControlFixtures.Responder(b, token);
        var clock = new FakeClock();

        ResponderResult reply2 = responder.Respond(SharedFiles.LoadVector(prefix + "1"), ControlFixtures.A0, clock.Now);
        Assert.Equal(ResponderRejection.None, reply2.Rejection);
        Assert.Equal(r2, reply2.Reply);
        Assert.Equal(up ? PathStatus.Down : PathStatus.Ok, b.Statuses[0][1]); // round 1 executes nothing

        ResponderResult reply4 = responder.Respond(SharedFiles.LoadVector(prefix + "3"), ControlFixtures.A0, clock.Advance(2));
        Assert.Equal(ResponderRejection.None, reply4.Rejection);
        Assert.Equal(SharedFiles.LoadVector(prefix + "4"), reply4.Reply);
        Assert.Equal(up ? PathStatus.Ok : PathStatus.Down, b.Statuses[0][1]);
        Assert.Equal(PathStatus.Ok, b.Statuses[0][0]);
        Assert.Equal(StatusChangeOrigin.Peer, Assert.Single(b.Changes).Origin);
    }

    [Fact]
    public void Create_client_sends_the_captured_rounds_1_and_3()
    {
        FakeConnections a = ControlFixtures.Daemon("ipv4-a");
        var transport = new RecordingTransport();
        var engine = new HandshakeEngine(transport);
        // Without the MptFast extension line (CreateExtension) the request is the original client's, byte for byte.
        var client = new CreateClient(a, engine) { SendsExtension = false };
        var clock = new FakeClock();
        CreateClientOutcome? done = null;

        Assert.Null(client.Start("tunnel.conf", clock.Now, o => done = o));
        Assert.Equal(SharedFiles.LoadVector("ctrl-create-r1"), Assert.Single(transport.Sent).Data);
        Assert.Equal(ControlFixtures.B0, transport.Sent[0].To); // path_0 has cmd_default

        Assert.True(engine.HandleReply(SharedFiles.LoadVector("ctrl-create-r2"), ControlFixtures.B0, clock.Advance(2)));
        Assert.Equal(SharedFiles.LoadVector("ctrl-create-r3"), transport.Sent[1].Data);

        // The captured server never sent round 4 (B51): six sends of round 3, then "unknown", not "failed".
        for (int i = 0; i < 12; i++)
        {
            engine.Tick(clock.Advance(HandshakeInitiator.RetryIntervalMs));
        }

        Assert.Equal(7, transport.Sent.Count);
        Assert.All(transport.Sent.Skip(1), s => Assert.Equal(SharedFiles.LoadVector("ctrl-create-r3"), s.Data));
        Assert.NotNull(done);
        Assert.Equal(CreateClientStatus.Unknown, done.Status);
        Assert.Equal(HandshakeCodes.NoAnswer, done.Code);
        Assert.Empty(a.Replaced);
    }

    [Fact]
    public void Create_server_answers_round_1_with_the_captured_round_2_given_token_0()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", withConnection: false);
        ControlResponder responder = ControlFixtures.Responder(b, token: 0);

        ResponderResult reply = responder.Respond(SharedFiles.LoadVector("ctrl-create-r1"), ControlFixtures.A0, 0);

        Assert.Equal(ResponderRejection.None, reply.Rejection);
        Assert.Equal(SharedFiles.LoadVector("ctrl-create-r2"), reply.Reply);
        Assert.Empty(b.Created);
    }

    [Fact]
    public void Create_server_creates_the_captured_connection_and_answers_with_its_full_text()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", withConnection: false);
        ControlResponder responder = ControlFixtures.Responder(b, token: 0);
        responder.Respond(SharedFiles.LoadVector("ctrl-create-r1"), ControlFixtures.A0, 0);

        ResponderResult reply = responder.Respond(SharedFiles.LoadVector("ctrl-create-r3"), ControlFixtures.A0, 5);

        Assert.Equal(ResponderRejection.None, reply.Rejection);
        ConnectionConfig created = Assert.Single(b.Created);
        Assert.Equal("peer_198_19_0_1.conf", created.FileName);
        Assert.Equal(ControlStatus.Ok, ControlCodec.Decode(reply.Reply, out ControlHeader r4));
        Assert.Equal(4, r4.Round);
        Assert.Equal(HandshakeCodes.Ok, r4.Parameter);
        string text = ConfigWriter.WriteConnection(created, ConnectionFormat.Original);
        Assert.Equal(36 + 40 + text.Length, reply.Reply!.Length); // B50: sh + 40 + text
        Assert.Equal(text, System.Text.Encoding.ASCII.GetString(r4.BodyOf(reply.Reply)));
        Assert.Equal(ControlAuthStatus.Ok, ControlAuth.Verify(reply.Reply, ControlAuthType.Sha256, b.Peer.GlobalKey));
    }
}
