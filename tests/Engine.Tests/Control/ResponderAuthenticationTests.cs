using MptFast.Engine.Control.Protocol;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Control;

/// <summary>The authentication matrix: none / wrong key / right key for every message type and round.</summary>
public sealed class ResponderAuthenticationTests
{
    public enum Credential
    {
        None,
        WrongKey,
        RightKey,
    }

    public static TheoryData<ControlCommand, byte, Credential> Requests()
    {
        var data = new TheoryData<ControlCommand, byte, Credential>();
        foreach (ControlCommand command in new[] { ControlCommand.PathStatusChange, ControlCommand.ConnectionCreate })
        {
            foreach (byte round in new byte[] { 1, 3 })
            {
                foreach (Credential credential in Enum.GetValues<Credential>())
                {
                    data.Add(command, round, credential);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public void Responder_accepts_only_the_right_key(ControlCommand command, byte round, Credential credential)
    {
        bool create = command == ControlCommand.ConnectionCreate;
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", authType: 2, withConnection: !create);
        ControlResponder responder = ControlFixtures.Responder(b, token: 0x11223344);
        byte[] body = create ? ControlMessages.CreateBody() : ControlMessages.Path1Body();
        uint token = 0;
        if (round == 3)
        {
            byte[] r1 = ControlMessages.FromA(command, create ? (byte)0 : (byte)0x80, ControlAuthType.Sha256, 1, 0, ControlMessages.Announce((uint)body.Length), ControlMessages.CaptureKey);
            ResponderResult r2 = responder.Respond(r1, ControlFixtures.A0, 0);
            token = ControlAuth.ReadToken(r2.Reply!);
        }

        byte[] requestBody = round == 1 ? ControlMessages.Announce((uint)body.Length) : body;
        ControlAuthType type = credential == Credential.None ? ControlAuthType.None : ControlAuthType.Sha256;
        byte[] key = credential == Credential.WrongKey ? ControlMessages.WrongKey : ControlMessages.CaptureKey;
        byte[] message = ControlMessages.FromA(command, create ? (byte)0 : (byte)0x80, create ? ControlAuthType.Sha256 : type, round, token, requestBody, key);
        if (create && credential == Credential.None)
        {
            message[2] = 0; // a create "without auth": the codec refuses it outright (B43)
        }

        string before = b.Snapshot();
        ResponderResult result = responder.Respond(message, ControlFixtures.A0, 10);

        ResponderRejection expected = credential switch
        {
            Credential.None => create ? ResponderRejection.BadAuthType : ResponderRejection.AuthTypeMismatch,
            Credential.WrongKey => ResponderRejection.AuthFailed,
            _ => ResponderRejection.None,
        };
        Assert.Equal(expected, result.Rejection);
        Assert.Equal(expected == ResponderRejection.None, result.Reply is not null);
        Assert.Equal(1, expected == ResponderRejection.None ? 1 : responder.Rejected(expected));
        if (expected != ResponderRejection.None || round == 1)
        {
            Assert.Equal(before, b.Snapshot());
        }
        else
        {
            Assert.NotEqual(before, b.Snapshot()); // round 3 with the right key executes
        }
    }

    [Theory]
    [InlineData(2, Credential.None)]
    [InlineData(2, Credential.WrongKey)]
    [InlineData(4, Credential.None)]
    [InlineData(4, Credential.WrongKey)]
    public void Initiator_ignores_unauthentic_replies_and_reports_code_3(byte round, Credential credential)
    {
        var transport = new RecordingTransport();
        var initiator = new HandshakeInitiator(HandshakeRequest.ForConnection(
            ControlFixtures.Running("ipv4-a", authType: 2), ControlCommand.PathStatusChange, 0x80, ControlMessages.Path1Body(), ControlFixtures.B0.Address));
        var clock = new FakeClock();
        initiator.Start(transport, clock.Now);
        const uint Token = 0x55667788;
        if (round == 4)
        {
            byte[] good2 = Reply(2, Token, ControlAuthType.Sha256, ControlMessages.CaptureKey, ControlMessages.Announce(32));
            Assert.Equal(ReplyDisposition.Advanced, initiator.OnReply(good2, ControlFixtures.B0, transport, clock.Now));
        }

        ControlAuthType type = credential == Credential.None ? ControlAuthType.None : ControlAuthType.Sha256;
        byte[] body = round == 2 ? ControlMessages.Announce(32) : [];
        byte[] bad = Reply(round, Token, type, ControlMessages.WrongKey, body);

        Assert.Equal(ReplyDisposition.Ignored, initiator.OnReply(bad, ControlFixtures.B0, transport, clock.Now));
        for (int i = 0; i < HandshakeInitiator.MaxAttempts; i++)
        {
            initiator.Tick(transport, clock.Advance(HandshakeInitiator.RetryIntervalMs));
        }

        Assert.Equal(HandshakePhase.Completed, initiator.Phase);
        Assert.Equal(HandshakeCodes.AuthFailed, initiator.Outcome!.Code);
    }

    [Fact]
    public void Initiator_accepts_round_4_with_the_right_key_and_token_and_returns_the_result_code()
    {
        var transport = new RecordingTransport();
        var initiator = new HandshakeInitiator(HandshakeRequest.ForConnection(
            ControlFixtures.Running("ipv4-a", authType: 2), ControlCommand.PathStatusChange, 0x80, ControlMessages.Path1Body(), ControlFixtures.B0.Address));
        initiator.Start(transport, 0);
        initiator.OnReply(Reply(2, 7, ControlAuthType.Sha256, ControlMessages.CaptureKey, ControlMessages.Announce(32)), ControlFixtures.B0, transport, 1);

        // Right key, stale token: not ours.
        Assert.Equal(ReplyDisposition.Ignored, initiator.OnReply(Reply(4, 8, ControlAuthType.Sha256, ControlMessages.CaptureKey, [], result: 0), ControlFixtures.B0, transport, 2));
        Assert.Equal(ReplyDisposition.Completed, initiator.OnReply(Reply(4, 7, ControlAuthType.Sha256, ControlMessages.CaptureKey, [], result: 4), ControlFixtures.B0, transport, 3));
        Assert.Equal(4, initiator.Outcome!.Code);
    }

    [Theory]
    [InlineData(ControlAuthType.Sha256, HandshakeCodes.NoAnswer)] // the digest proves it ours: a late answer to another handshake
    [InlineData(ControlAuthType.Random, HandshakeCodes.AuthFailed)] // the token is the only proof: a wrong one fails it
    public void An_authentic_round_4_with_another_handshakes_token_is_stale_under_sha256(ControlAuthType type, byte expected)
    {
        var transport = new RecordingTransport();
        var initiator = new HandshakeInitiator(HandshakeRequest.ForConnection(
            ControlFixtures.Running("ipv4-a", authType: (int)type), ControlCommand.PathStatusChange, 0x80, ControlMessages.Path1Body(), ControlFixtures.B0.Address));
        var clock = new FakeClock();
        initiator.Start(transport, clock.Now);
        Assert.Equal(ReplyDisposition.Advanced, initiator.OnReply(Reply(2, 7, type, ControlMessages.CaptureKey, ControlMessages.Announce(32)), ControlFixtures.B0, transport, clock.Now));

        Assert.Equal(ReplyDisposition.Ignored, initiator.OnReply(Reply(4, 8, type, ControlMessages.CaptureKey, [], result: 0), ControlFixtures.B0, transport, clock.Now));
        for (int i = 0; i < HandshakeInitiator.MaxAttempts; i++)
        {
            initiator.Tick(transport, clock.Advance(HandshakeInitiator.RetryIntervalMs));
        }

        Assert.Equal(HandshakePhase.Completed, initiator.Phase);
        Assert.Equal(expected, initiator.Outcome!.Code);
        Assert.Equal(1, initiator.StaleReplies);
    }

    [Fact]
    public void Responder_rejects_a_round_3_with_another_token_for_auth_type_1()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", authType: 1);
        ControlResponder responder = ControlFixtures.Responder(b, token: 42);
        byte[] r1 = ControlMessages.FromA(ControlCommand.PathStatusChange, 0x80, ControlAuthType.Random, 1, 0, ControlMessages.Announce(32), []);
        Assert.Equal(42u, ControlAuth.ReadToken(responder.Respond(r1, ControlFixtures.A0, 0).Reply!));
        string before = b.Snapshot();

        byte[] r3 = ControlMessages.FromA(ControlCommand.PathStatusChange, 0x80, ControlAuthType.Random, 3, 41, ControlMessages.Path1Body(), []);

        Assert.Equal(ResponderRejection.BadToken, responder.Respond(r3, ControlFixtures.A0, 1).Rejection);
        Assert.Equal(before, b.Snapshot());
    }

    // A reply from b (its local = B, remote = A), echoing a's tunnel pair as the responder does.
    private static byte[] Reply(byte round, uint token, ControlAuthType type, byte[] key, byte[] body, byte result = 0)
    {
        byte[] message = ControlMessages.FromA(ControlCommand.PathStatusChange, result, type, round, token, body, key);
        return message;
    }
}
