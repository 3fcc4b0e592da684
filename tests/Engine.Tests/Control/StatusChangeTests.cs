using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Control.Protocol;
using MptFast.Engine.Wire;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Control;

/// <summary>Retries and timeouts with a fake clock, the path choice of B37, the peer rules of B38, permissions (B57), keepalives (§3.4).</summary>
public sealed class StatusChangeTests
{
    [Fact]
    public void No_answer_gives_six_sends_500_ms_apart_then_code_1()
    {
        var transport = new RecordingTransport();
        var engine = new HandshakeEngine(transport);
        var clock = new FakeClock();
        HandshakeOutcome? outcome = null;
        engine.Start(Request(), clock.Now, o => outcome = o);

        for (int i = 0; i < 5; i++)
        {
            engine.Tick(clock.Advance(HandshakeInitiator.RetryIntervalMs - 1));
            Assert.Equal(i + 1, transport.Sent.Count); // not yet
            engine.Tick(clock.Advance(1));
            Assert.Equal(i + 2, transport.Sent.Count);
        }

        Assert.Null(outcome);
        engine.Tick(clock.Advance(HandshakeInitiator.RetryIntervalMs));
        Assert.Equal(6, transport.Sent.Count);
        Assert.NotNull(outcome);
        Assert.Equal(HandshakeCodes.NoAnswer, outcome.Code);
        Assert.False(outcome.Round2Received);
        Assert.Equal(0, engine.ActiveCount);
    }

    [Fact]
    public void An_authentic_reply_with_the_wrong_round_ends_in_code_9()
    {
        var transport = new RecordingTransport();
        var initiator = new HandshakeInitiator(Request());
        initiator.Start(transport, 0);
        byte[] round4 = SharedFiles.LoadVector("ctrl-pathdown-auth0-r4");
        Assert.Equal(ReplyDisposition.Ignored, initiator.OnReply(round4, ControlFixtures.B0, transport, 1));
        for (int i = 1; i <= HandshakeInitiator.MaxAttempts; i++)
        {
            initiator.Tick(transport, i * HandshakeInitiator.RetryIntervalMs);
        }

        Assert.Equal(HandshakeCodes.WrongRound, initiator.Outcome!.Code);
    }

    [Fact]
    public void Replies_from_another_address_or_for_another_tunnel_are_not_matched()
    {
        var transport = new RecordingTransport();
        var initiator = new HandshakeInitiator(Request());
        initiator.Start(transport, 0);
        byte[] r2 = SharedFiles.LoadVector("ctrl-pathdown-auth0-r2");
        Assert.Equal(ReplyDisposition.NotMine, initiator.OnReply(r2, new IPEndPoint(IPAddress.Parse("198.18.9.9"), 60456), transport, 1));
        byte[] otherTunnel = (byte[])r2.Clone();
        otherTunnel[27] ^= 1;
        Assert.Equal(ReplyDisposition.NotMine, initiator.OnReply(otherTunnel, ControlFixtures.B0, transport, 1));
        byte[] otherCommand = (byte[])r2.Clone();
        otherCommand[0] = 0xA3;
        Assert.Equal(ReplyDisposition.NotMine, initiator.OnReply(otherCommand, ControlFixtures.B0, transport, 1));
        Assert.Equal(ReplyDisposition.NotMine, initiator.OnReply(r2, ControlFixtures.B1, transport, 1));
        Assert.Equal(ReplyDisposition.Advanced, initiator.OnReply(r2, new IPEndPoint(ControlFixtures.B0.Address, 1234), transport, 1));
    }

    [Fact]
    public void Down_goes_through_the_first_other_ok_path_and_up_through_the_changed_path_when_all_are_down()
    {
        FakeConnections a = ControlFixtures.Daemon("ipv4-a");
        var transport = new RecordingTransport();
        var notifier = new PathStatusNotifier(a, new HandshakeEngine(transport));

        Assert.Equal(PathChangeResult.Sent, notifier.ChangeStatus(0, 0, PathStatus.ManualDown, StatusChangeOrigin.Manual, 0));
        Assert.Equal(ControlFixtures.B1, transport.Sent[^1].To); // path 1 is the first OK one now

        a.Statuses[0][1] = PathStatus.Down;
        Assert.Equal(PathChangeResult.Sent, notifier.ChangeStatus(0, 1, PathStatus.Ok, StatusChangeOrigin.Manual, 0));
        Assert.Equal(ControlFixtures.B1, transport.Sent[^1].To); // B37: the changed path itself, never "::"
    }

    [Fact]
    public void Down_with_no_ok_path_is_code_6_applied_locally_and_retried_when_a_path_returns()
    {
        FakeConnections a = ControlFixtures.Daemon("ipv4-a");
        a.Statuses[0][0] = PathStatus.InterfaceDown;
        var transport = new RecordingTransport();
        var notifier = new PathStatusNotifier(a, new HandshakeEngine(transport));
        var reports = new List<PathNotification>();
        notifier.Notified += reports.Add;

        Assert.Equal(PathChangeResult.NoUsablePath, notifier.ChangeStatus(0, 1, PathStatus.Down, StatusChangeOrigin.DeadTimer, 0));
        Assert.Equal(PathStatus.Down, a.Statuses[0][1]); // §4.6 step 5: applied regardless
        Assert.Empty(transport.Sent);
        Assert.Equal(HandshakeCodes.NoUsablePath, Assert.Single(reports).Code);
        Assert.Equal(1, notifier.PendingRetries);

        a.Statuses[0][0] = PathStatus.Ok;
        notifier.Tick(PathStatusNotifier.RetryDelayMs - 1);
        Assert.Empty(transport.Sent);
        notifier.Tick(PathStatusNotifier.RetryDelayMs);
        Assert.Equal(ControlFixtures.B0, Assert.Single(transport.Sent).To);
    }

    [Fact]
    public void Failed_notifications_are_retried_a_few_times_then_given_up()
    {
        FakeConnections a = ControlFixtures.Daemon("ipv4-a");
        var transport = new RecordingTransport();
        var engine = new HandshakeEngine(transport);
        var notifier = new PathStatusNotifier(a, engine);
        var reports = new List<PathNotification>();
        notifier.Notified += reports.Add;
        var clock = new FakeClock();

        notifier.ChangeStatus(0, 1, PathStatus.ManualDown, StatusChangeOrigin.Manual, clock.Now);
        for (int i = 0; i < 200; i++)
        {
            clock.Advance(100);
            engine.Tick(clock.Now);
            notifier.Tick(clock.Now);
        }

        Assert.Equal(1 + PathStatusNotifier.MaxRetries, reports.Count);
        Assert.All(reports, r => Assert.Equal(HandshakeCodes.NoAnswer, r.Code));
        Assert.False(reports[^1].WillRetry);
        Assert.Equal(HandshakeInitiator.MaxAttempts * (1 + PathStatusNotifier.MaxRetries), transport.Sent.Count);
        Assert.Equal(PathStatus.ManualDown, a.Statuses[0][1]);
    }

    [Fact]
    public void A_retry_is_dropped_when_the_path_changed_again()
    {
        FakeConnections a = ControlFixtures.Daemon("ipv4-a");
        a.Statuses[0][0] = PathStatus.InterfaceDown;
        var transport = new RecordingTransport();
        var notifier = new PathStatusNotifier(a, new HandshakeEngine(transport));
        notifier.ChangeStatus(0, 1, PathStatus.Down, StatusChangeOrigin.DeadTimer, 0);
        a.Statuses[0][0] = PathStatus.Ok;
        a.Statuses[0][1] = PathStatus.Ok; // revived by a keepalive meanwhile
        notifier.Tick(PathStatusNotifier.RetryDelayMs);
        Assert.Empty(transport.Sent);
        Assert.Equal(0, notifier.PendingRetries);
    }

    [Theory]
    [InlineData(PathStatus.ManualDown, 0x00, PathStatus.ManualDown)]
    [InlineData(PathStatus.InterfaceDown, 0x00, PathStatus.InterfaceDown)]
    [InlineData(PathStatus.Disabled, 0x00, PathStatus.Disabled)]
    [InlineData(PathStatus.ManualDown, 0x80, PathStatus.ManualDown)]
    [InlineData(PathStatus.Ok, 0x80, PathStatus.Down)]
    [InlineData(PathStatus.Down, 0x00, PathStatus.Ok)]
    public void A_peer_moves_a_path_only_between_ok_and_down(PathStatus local, byte requested, PathStatus expected)
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b");
        b.Statuses[0][1] = local;
        ControlResponder responder = ControlFixtures.Responder(b);
        string change = requested == 0 ? "pathup" : "pathdown";
        responder.Respond(SharedFiles.LoadVector($"ctrl-{change}-auth0-r1"), ControlFixtures.A0, 0);
        ResponderResult r = responder.Respond(SharedFiles.LoadVector($"ctrl-{change}-auth0-r3"), ControlFixtures.A0, 1);

        Assert.Equal(ResponderRejection.None, r.Rejection);
        Assert.Equal(expected, b.Statuses[0][1]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Peer_status_changes_need_the_receive_permission(int permission)
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b");
        b.Configs[0] = b.Configs[0] with { Permission = permission };
        string before = b.Snapshot();
        ResponderResult r = ControlFixtures.Responder(b).Respond(SharedFiles.LoadVector("ctrl-pathdown-auth0-r1"), ControlFixtures.A0, 0);
        Assert.Equal(ResponderRejection.PermissionDenied, r.Rejection);
        Assert.Equal(before, b.Snapshot());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Sending_status_changes_needs_the_send_permission_but_the_local_change_happens(int permission)
    {
        FakeConnections a = ControlFixtures.Daemon("ipv4-a");
        a.Configs[0] = a.Configs[0] with { Permission = permission };
        var transport = new RecordingTransport();
        var notifier = new PathStatusNotifier(a, new HandshakeEngine(transport));
        Assert.Equal(PathChangeResult.NotPermitted, notifier.ChangeStatus(0, 1, PathStatus.ManualDown, StatusChangeOrigin.Manual, 0));
        Assert.Equal(PathStatus.ManualDown, a.Statuses[0][1]);
        Assert.Empty(transport.Sent);
    }

    [Fact]
    public void Same_status_sends_nothing()
    {
        FakeConnections a = ControlFixtures.Daemon("ipv4-a");
        var transport = new RecordingTransport();
        var notifier = new PathStatusNotifier(a, new HandshakeEngine(transport));
        Assert.Equal(PathChangeResult.Unchanged, notifier.ChangeStatus(0, 1, PathStatus.Ok, StatusChangeOrigin.Manual, 0));
        Assert.Empty(transport.Sent);
        Assert.Empty(a.Changes);
    }

    [Fact]
    public void Keepalive_on_the_command_port_refreshes_and_revives_silently()
    {
        FakeConnections b = ControlFixtures.Daemon("ipv4-b");
        b.Statuses[0][0] = PathStatus.Down;
        b.Statuses[0][1] = PathStatus.ManualDown;
        ControlResponder responder = ControlFixtures.Responder(b);
        byte[] keepalive = SharedFiles.LoadVector("keepalive-ipv4-a-to-b")[4..]; // without the GRE header

        ResponderResult r = responder.Respond(keepalive, new IPEndPoint(IPAddress.Parse("198.18.1.1"), 23456), 0);

        Assert.Equal(ResponderRejection.None, r.Rejection);
        Assert.Null(r.Reply); // B35: silent, no handshake either
        Assert.Equal((0, 0), Assert.Single(b.Refreshes));
        Assert.Equal(PathStatus.Ok, b.Statuses[0][0]);
        Assert.Equal(PathStatus.ManualDown, b.Statuses[0][1]);
        Assert.Equal(StatusChangeOrigin.Keepalive, Assert.Single(b.Changes).Origin);
        Assert.Equal(ResponderRejection.UnknownSender, responder.Respond(keepalive, new IPEndPoint(IPAddress.Parse("198.18.7.7"), 1), 0).Rejection);
    }

    [Fact]
    public void Handshakes_for_the_same_tunnel_and_command_are_queued_not_interleaved()
    {
        var transport = new RecordingTransport();
        var engine = new HandshakeEngine(transport);
        engine.Start(Request(), 0);
        engine.Start(Request(), 0);
        Assert.Equal(1, engine.ActiveCount);
        Assert.Equal(1, engine.QueuedCount);
        for (int i = 1; i <= HandshakeInitiator.MaxAttempts; i++)
        {
            engine.Tick(i * HandshakeInitiator.RetryIntervalMs);
        }

        Assert.Equal(1, engine.ActiveCount);
        Assert.Equal(0, engine.QueuedCount);
        Assert.Equal(HandshakeInitiator.MaxAttempts + 1, transport.Sent.Count);
    }

    private static HandshakeRequest Request() => HandshakeRequest.ForConnection(
        ControlFixtures.Running("ipv4-a"), ControlCommand.PathStatusChange, 0x80, ControlMessages.Path1Body(), ControlFixtures.B0.Address);
}
