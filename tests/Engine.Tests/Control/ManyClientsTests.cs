using System.Net;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Control.Protocol;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Control;

/// <summary>One server, many clients (issue 15) and bounded resources against a remote peer (issue 14 item 6): the create
/// retry's view, NAT moves from authenticated messages only, the create cap and the per-source rate limit.</summary>
public sealed class ManyClientsTests
{
    private static readonly IPEndPoint Nat = new(IPAddress.Parse("198.18.200.7"), 40123);

    private static byte Code(ResponderResult r)
    {
        Assert.Equal(ControlStatus.Ok, ControlCodec.Decode(r.Reply, out ControlHeader h));
        return h.Parameter;
    }

    private static ResponderResult Handshake(ControlResponder responder, ControlCommand command, byte parameter, ControlAuthType type,
        byte[] body, byte[] key, IPEndPoint from, uint token, long now)
    {
        byte[] r1 = ControlMessages.FromA(command, parameter, type, 1, 0, ControlMessages.Announce((uint)body.Length), key);
        ResponderResult first = responder.Respond(r1, from, now);
        if (first.Rejection != ResponderRejection.None)
        {
            return first;
        }

        return responder.Respond(ControlMessages.FromA(command, parameter, type, 3, token, body, key), from, now + 1);
    }

    private static byte[] CreateText(int viaPath) =>
        Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(ControlMessages.CreateBody()) + CreateExtension.Line(viaPath));

    [Fact]
    public void A_retried_create_with_the_extension_gets_the_existing_connections_view_and_without_it_code_5()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", withConnection: false);
        ControlResponder responder = ControlFixtures.Responder(b, token: 9);
        ResponderResult created = Handshake(responder, ControlCommand.ConnectionCreate, 0, ControlAuthType.Sha256, CreateText(0), ControlMessages.CaptureKey, ControlFixtures.A0, 9, 0);
        Assert.Equal(HandshakeCodes.Ok, Code(created));
        Assert.Single(b.Created);

        // The answer was lost; the client asks again (a new handshake, long after the retransmission window).
        ResponderResult retry = Handshake(responder, ControlCommand.ConnectionCreate, 0, ControlAuthType.Sha256, CreateText(0), ControlMessages.CaptureKey, ControlFixtures.A0, 9, 20_000);
        Assert.Equal(HandshakeCodes.Ok, Code(retry));
        Assert.Single(b.Created); // not created twice
        ControlCodec.Decode(retry.Reply, out ControlHeader h);
        string view = Encoding.UTF8.GetString(h.BodyOf(retry.Reply));
        Assert.Equal(ConfigWriter.WriteConnection(b.Configs[0], ConnectionFormat.Original), view);

        // An original client (no extension line) still gets "exists".
        ResponderResult original = Handshake(responder, ControlCommand.ConnectionCreate, 0, ControlAuthType.Sha256, ControlMessages.CreateBody(), ControlMessages.CaptureKey, ControlFixtures.A0, 9, 40_000);
        Assert.Equal(HandshakeCodes.Exists, Code(original));
    }

    [Fact]
    public void A_create_over_path_1_moves_that_path_to_the_observed_source_and_no_other()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", withConnection: false);
        ControlResponder responder = ControlFixtures.Responder(b, token: 9);
        Assert.Equal(HandshakeCodes.Ok, Code(Handshake(responder, ControlCommand.ConnectionCreate, 0, ControlAuthType.Sha256, CreateText(1), ControlMessages.CaptureKey, Nat, 9, 0)));
        Assert.Equal((0, 1, Nat.Address), Assert.Single(b.Moves));
    }

    [Fact]
    public void Creates_beyond_max_remote_connections_are_answered_with_code_7_and_counted()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", withConnection: false);
        b.Peer = b.Peer with { MaxRemoteConnections = 1 };
        ControlResponder responder = ControlFixtures.Responder(b, token: 9);
        Assert.Equal(HandshakeCodes.Ok, Code(Handshake(responder, ControlCommand.ConnectionCreate, 0, ControlAuthType.Sha256, CreateText(0), ControlMessages.CaptureKey, ControlFixtures.A0, 9, 0)));

        // A second client (another tunnel address) finds the cap reached.
        string other = Encoding.ASCII.GetString(ControlMessages.CreateBody()).Replace("198.19.0.1", "198.19.0.77", StringComparison.Ordinal);
        byte[] r1 = ControlMessages.FromA(ControlCommand.ConnectionCreate, 0, ControlAuthType.Sha256, 1, 0, ControlMessages.Announce((uint)other.Length), ControlMessages.CaptureKey);
        r1 = Retunnel(r1, "198.19.0.77", ControlMessages.CaptureKey);
        Assert.Equal(ResponderRejection.None, responder.Respond(r1, ControlFixtures.A0, 10).Rejection);
        byte[] r3 = Retunnel(ControlMessages.FromA(ControlCommand.ConnectionCreate, 0, ControlAuthType.Sha256, 3, 9, Encoding.ASCII.GetBytes(other), ControlMessages.CaptureKey), "198.19.0.77", ControlMessages.CaptureKey);
        ResponderResult refused = responder.Respond(r3, ControlFixtures.A0, 11);
        Assert.Equal(HandshakeCodes.StartFailed, Code(refused));
        Assert.Single(b.Created);
        Assert.Equal(1, responder.Rejected(ResponderRejection.CreateLimit));
    }

    [Fact]
    public void One_source_is_rate_limited_and_counted_while_another_is_still_served()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", authType: 2);
        ControlResponder responder = ControlFixtures.Responder(b, token: 9);
        byte[] r1 = ControlMessages.FromA(ControlCommand.PathStatusChange, 0x80, ControlAuthType.Sha256, 1, 0, ControlMessages.Announce(32), ControlMessages.CaptureKey);
        int answered = 0;
        for (int i = 0; i < HandshakeRateLimiter.Burst + 50; i++)
        {
            answered += responder.Respond(r1, Nat, 0).Rejection == ResponderRejection.None ? 1 : 0;
        }

        Assert.Equal(HandshakeRateLimiter.Burst, answered);
        Assert.Equal(50, responder.Rejected(ResponderRejection.RateLimited));
        Assert.Equal(ResponderRejection.None, responder.Respond(r1, ControlFixtures.A0, 0).Rejection);
        Assert.Equal(ResponderRejection.None, responder.Respond(r1, Nat, 1000).Rejection); // refilled a second later
    }

    [Theory]
    [InlineData(2, true, true, true)]    // SHA-256, tagged, right key: moves
    [InlineData(2, false, true, false)]  // no via-path tag: the message may have come over another path
    [InlineData(2, true, false, false)]  // wrong key: refused
    [InlineData(0, true, true, false)]   // no authentication: never
    public void A_status_change_moves_a_path_only_when_authenticated_with_sha256_and_sent_over_the_path(int authType, bool tagged, bool rightKey, bool moves)
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", authType: authType);
        ControlResponder responder = ControlFixtures.Responder(b, token: 9);
        byte[] body = tagged ? [.. ControlMessages.Path1Body(), .. ControlCodec.ViaPathTag] : ControlMessages.Path1Body();
        Handshake(responder, ControlCommand.PathStatusChange, 0, (ControlAuthType)authType, body, rightKey ? ControlMessages.CaptureKey : ControlMessages.WrongKey, Nat, authType == 0 ? 0u : 9u, 0);
        Assert.Equal(moves, b.Moves.Count == 1);
        if (moves)
        {
            Assert.Equal((0, 1, Nat.Address), b.Moves[0]);
            Assert.Equal(1, responder.PathsMoved);
        }
    }

    [Fact]
    public void A_replayed_status_change_moves_nothing_and_is_counted()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", authType: 2);
        var tokens = new SeededTokenSource(3);
        var responder = new ControlResponder(b, tokens);
        byte[] body = [.. ControlMessages.Path1Body(), .. ControlCodec.ViaPathTag];
        byte[] r1 = ControlMessages.FromA(ControlCommand.PathStatusChange, 0, ControlAuthType.Sha256, 1, 0, ControlMessages.Announce(36), ControlMessages.CaptureKey);
        ResponderResult r2 = responder.Respond(r1, ControlFixtures.A0, 0);
        uint token = ControlAuth.ReadToken(r2.Reply);
        byte[] r3 = ControlMessages.FromA(ControlCommand.PathStatusChange, 0, ControlAuthType.Sha256, 3, token, body, ControlMessages.CaptureKey);
        Assert.Equal(ResponderRejection.None, responder.Respond(r3, ControlFixtures.A0, 1).Rejection);
        Assert.Single(b.Moves);

        // An attacker replays the captured rounds from its own address: a new round 1 draws a new token, so the old round 3
        // is refused; replayed alone after the window it is a replay.
        Assert.Equal(ResponderRejection.Replay, responder.Respond(r3, Nat, 5_000).Rejection);
        responder.Respond(r1, Nat, 20_000);
        Assert.Equal(ResponderRejection.BadToken, responder.Respond(r3, Nat, 20_001).Rejection);
        Assert.Single(b.Moves);
        Assert.True(responder.Rejected(ResponderRejection.Replay) + responder.Rejected(ResponderRejection.BadToken) >= 2);
    }

    [Fact]
    public void The_announcer_sends_a_tagged_up_over_each_path_after_create_and_again_when_a_busy_path_falls_silent()
    {
        FakeConnections a = ControlFixtures.Daemon("ipv4-a", authType: 2);
        var transport = new RecordingTransport();
        var engine = new HandshakeEngine(transport);
        var announcer = new PathAnnouncer(a, engine);
        announcer.AnnounceAll(0, 0);
        Assert.Equal(2, announcer.Sent);
        Assert.Equal(ControlFixtures.B0, transport.Sent[0].To); // path 0's peer first; path 1 waits for the same pair

        // Path 0 carries traffic, then nothing: announced again after BusySilenceMs.
        long now = 10_000;
        long before = announcer.Sent;
        for (int i = 0; i < 40; i++, now += 50)
        {
            a.ReceivedCounts[(0, 0)] = (i + 1) * 10;
            a.ReceivedCounts[(0, 1)] = (i + 1) * 10;
            announcer.Tick(now);
        }

        Assert.Equal(before, announcer.Sent);
        for (int i = 0; i < 10; i++, now += 50)
        {
            a.ReceivedCounts[(0, 1)] += 10; // path 1 still busy
            announcer.Tick(now);
        }

        Assert.Equal(before + 1, announcer.Sent);
    }

    [Theory]
    [InlineData(true, true, true)]    // created here, right key: freed
    [InlineData(false, true, false)]  // a configured connection is never deleted by a peer, only marked down
    [InlineData(true, false, false)]  // wrong key: refused
    public void A_tagged_down_from_the_client_frees_only_a_connection_a_create_made(bool created, bool rightKey, bool deleted)
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", authType: 2);
        if (created)
        {
            b.Configs[0] = b.Configs[0] with { FileName = "peer_198_19_0_1.conf" };
        }

        ControlResponder responder = ControlFixtures.Responder(b, token: 9);
        byte[] body = [.. ControlMessages.Path1Body(), .. ControlCodec.DeleteTag];
        Handshake(responder, ControlCommand.PathStatusChange, 0x80, ControlAuthType.Sha256, body, rightKey ? ControlMessages.CaptureKey : ControlMessages.WrongKey, Nat, 9, 0);
        Assert.Equal(deleted, b.Deleted.Count == 1);
        Assert.Equal(deleted ? 0 : 1, b.Count);
        Assert.Equal(deleted ? 1 : 0, responder.DeletedByPeer);
    }

    // The message as if sent by another client whose tunnel address is `local` (re-signed).
    private static byte[] Retunnel(byte[] message, string local, byte[] key)
    {
        ControlCodec.Decode(message, out ControlHeader h);
        Address16.Write(IPAddress.Parse(local), message.AsSpan(h.BodyOffset - 32, 16));
        Assert.True(ControlAuth.Sign(message, key));
        return message;
    }
}
