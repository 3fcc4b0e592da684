using MptFast.Engine.Control.Protocol;
using MptFast.Engine.Tests.Wire;
using MptFast.Engine.Wire;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Control;

/// <summary>Malformed, replayed and out-of-order requests: rejected, counted, no state change, no exception.</summary>
public sealed class ResponderMalformedTests
{
    public static TheoryData<string> ControlVectorNames() => [.. WireVectors.ControlVectorNames];

    [Theory]
    [MemberData(nameof(ControlVectorNames))]
    public void Every_truncation_of_every_control_vector_is_rejected_and_counted(string name)
    {
        byte[] vector = SharedFiles.LoadVector(name);
        bool create = name.StartsWith("ctrl-create", StringComparison.Ordinal);
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", name.Contains("sha256", StringComparison.Ordinal) ? 2 : 0, withConnection: !create);
        ControlResponder responder = ControlFixtures.Responder(b);
        string before = b.Snapshot();

        for (int length = 0; length < vector.Length; length++)
        {
            ResponderResult r = responder.Respond(vector.AsSpan(0, length), ControlFixtures.A0, length);
            Assert.NotEqual(ResponderRejection.None, r.Rejection);
            Assert.Null(r.Reply);
        }

        long counted = Enum.GetValues<ResponderRejection>().Sum(responder.Rejected);
        Assert.Equal(vector.Length, counted);
        Assert.Equal(before, b.Snapshot());
        Assert.Equal(0, responder.Answered);
    }

    [Theory]
    [InlineData("ctrl-pathdown-auth0-r1", ResponderRejection.BadBodyLength)]
    [InlineData("ctrl-pathdown-auth0-r3", ResponderRejection.BadBodyLength)]
    [InlineData("ctrl-pathdown-auth0-r2", ResponderRejection.BadBodyLength)]
    [InlineData("ctrl-pathdown-sha256-r1", ResponderRejection.BadBodyLength)]
    public void One_byte_too_many_is_a_bad_length(string name, ResponderRejection expected)
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", name.Contains("sha256", StringComparison.Ordinal) ? 2 : 0);
        string before = b.Snapshot();
        ResponderResult r = ControlFixtures.Responder(b).Respond([.. SharedFiles.LoadVector(name), 0], ControlFixtures.A0, 0);
        Assert.Equal(expected, r.Rejection);
        Assert.Equal(before, b.Snapshot());
    }

    [Theory]
    [InlineData(0x00, ResponderRejection.UnknownCommand)]
    [InlineData(0x9F, ResponderRejection.UnknownCommand)]
    [InlineData(0xA0, ResponderRejection.UnknownCommand)]
    [InlineData(0xA4, ResponderRejection.UnknownCommand)]
    [InlineData(0xA5, ResponderRejection.UnknownCommand)]
    [InlineData(0xFF, ResponderRejection.UnknownCommand)]
    public void Unknown_command_codes_are_rejected(byte code, ResponderRejection expected)
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b");
        byte[] message = SharedFiles.LoadVector("ctrl-pathdown-auth0-r1");
        message[0] = code;
        ControlResponder responder = ControlFixtures.Responder(b);
        Assert.Equal(expected, responder.Respond(message, ControlFixtures.A0, 0).Rejection);
        Assert.Equal(1, responder.Rejected(expected));
    }

    [Theory]
    [InlineData(2, 3, ResponderRejection.BadAuthType)]   // auth type byte 3
    [InlineData(4, 0, ResponderRejection.BadRound)]      // round 0
    [InlineData(4, 5, ResponderRejection.BadRound)]      // round 5
    [InlineData(5, 5, ResponderRejection.BadIpVersion)]  // ip version 5
    [InlineData(1, 0x83, ResponderRejection.BadParameter)] // status other than 0x00/0x80
    public void Bad_header_fields_are_rejected(int offset, byte value, ResponderRejection expected)
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b");
        byte[] message = SharedFiles.LoadVector("ctrl-pathdown-auth0-r1");
        message[offset] = value;
        string before = b.Snapshot();
        Assert.Equal(expected, ControlFixtures.Responder(b).Respond(message, ControlFixtures.A0, 0).Rejection);
        Assert.Equal(before, b.Snapshot());
    }

    [Fact]
    public void Round_3_without_round_1_is_out_of_order()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", 2);
        string before = b.Snapshot();
        ResponderResult r = ControlFixtures.Responder(b).Respond(SharedFiles.LoadVector("ctrl-pathdown-sha256-r3"), ControlFixtures.A0, 0);
        Assert.Equal(ResponderRejection.RoundOutOfOrder, r.Rejection);
        Assert.Equal(before, b.Snapshot());
    }

    [Fact]
    public void Round_3_after_the_session_expired_is_out_of_order()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", 2);
        ControlResponder responder = ControlFixtures.Responder(b);
        responder.Respond(SharedFiles.LoadVector("ctrl-pathdown-sha256-r1"), ControlFixtures.A0, 0);
        string before = b.Snapshot();
        ResponderResult r = responder.Respond(SharedFiles.LoadVector("ctrl-pathdown-sha256-r3"), ControlFixtures.A0, ControlResponder.SessionTimeoutMs + 1);
        Assert.Equal(ResponderRejection.RoundOutOfOrder, r.Rejection);
        Assert.Equal(before, b.Snapshot());
    }

    [Fact]
    public void Replies_arriving_at_the_responder_are_not_requests()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b");
        ControlResponder responder = ControlFixtures.Responder(b);
        Assert.Equal(ResponderRejection.NotARequest, responder.Respond(SharedFiles.LoadVector("ctrl-pathdown-auth0-r2"), ControlFixtures.A0, 0).Rejection);
        Assert.Equal(ResponderRejection.NotARequest, responder.Respond(SharedFiles.LoadVector("ctrl-pathdown-auth0-r4"), ControlFixtures.A0, 0).Rejection);
    }

    [Fact]
    public void Retransmitted_round_3_gets_the_same_reply_without_executing_again_and_a_late_replay_is_rejected()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", 2);
        ControlResponder responder = ControlFixtures.Responder(b);
        byte[] r3 = SharedFiles.LoadVector("ctrl-pathdown-sha256-r3");
        responder.Respond(SharedFiles.LoadVector("ctrl-pathdown-sha256-r1"), ControlFixtures.A0, 0);
        byte[] first = responder.Respond(r3, ControlFixtures.A0, 10).Reply!;
        Assert.Single(b.Changes);

        // The peer "comes back up" locally; a retransmission must not take it down again.
        b.Statuses[0][1] = MptFast.Engine.Config.PathStatus.Ok;
        string before = b.Snapshot();
        ResponderResult again = responder.Respond(r3, ControlFixtures.A0, 500);
        Assert.True(again.IsRetransmission);
        Assert.Equal(first, again.Reply);
        Assert.Equal(before, b.Snapshot());

        ResponderResult replay = responder.Respond(r3, ControlFixtures.A0, 10 + ControlResponder.RetransmitWindowMs + 1);
        Assert.Equal(ResponderRejection.Replay, replay.Rejection);
        Assert.Null(replay.Reply);
        Assert.Equal(before, b.Snapshot());
    }

    [Fact]
    public void Retransmitted_round_1_gets_the_same_token()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b", 2);
        var responder = new ControlResponder(b, new SeededTokenSource(5));
        byte[] r1 = SharedFiles.LoadVector("ctrl-pathdown-sha256-r1");
        byte[] first = responder.Respond(r1, ControlFixtures.A0, 0).Reply!;
        ResponderResult second = responder.Respond(r1, ControlFixtures.A0, 500);
        Assert.True(second.IsRetransmission);
        Assert.Equal(first, second.Reply);
    }

    [Fact]
    public void Random_mutations_of_the_vectors_never_throw_and_are_all_accounted_for()
    {
        const int Seed = 4242;
        var random = new Random(Seed);
        string[] names = [.. WireVectors.ControlVectorNames];
        for (int i = 0; i < 2000; i++)
        {
            string name = names[random.Next(names.Length)];
            FakeConnections b = ControlFixtures.Daemon("ipv4-b", name.Contains("sha256", StringComparison.Ordinal) ? 2 : 0, withConnection: !name.Contains("create", StringComparison.Ordinal));
            ControlResponder responder = ControlFixtures.Responder(b);
            byte[] message = SharedFiles.LoadVector(name);
            int flips = 1 + random.Next(4);
            for (int f = 0; f < flips; f++)
            {
                message[random.Next(message.Length)] = (byte)random.Next(256);
            }

            ResponderResult r = responder.Respond(message, ControlFixtures.A0, i);
            long counted = Enum.GetValues<ResponderRejection>().Sum(responder.Rejected) + responder.Answered;
            Assert.True(counted == 1, $"seed {Seed}, case {i} ({name}): accounted {counted}");
            Assert.True(r.Rejection != ResponderRejection.None || r.Reply is not null, $"seed {Seed}, case {i} ({name}): neither answered nor rejected");
        }
    }
}
