using MptFast.Engine.Config;
using MptFast.Engine.Control;
using MptFast.Engine.Control.Protocol;
using MptFast.Engine.Runtime;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Control;

/// <summary>The control-plane counters of the status report and the notifier's announce-only path (dead timer, link monitor).</summary>
public sealed class ControlCountersTests
{
    [Theory]
    [InlineData(ResponderRejection.Truncated, "truncated")]
    [InlineData(ResponderRejection.UnknownCommand, "unknown_command")]
    [InlineData(ResponderRejection.AuthTypeMismatch, "auth_type_mismatch")]
    [InlineData(ResponderRejection.BadIpVersion, "bad_ip_version")]
    [InlineData(ResponderRejection.CreateNotAllowed, "create_not_allowed")]
    public void Rejection_names_are_snake_case(ResponderRejection reason, string name) =>
        Assert.Equal(name, ControlCounters.Name(reason));

    [Fact]
    public void Rejections_list_every_reason_but_none_with_its_count_and_the_total_sums_them()
    {
        CounterSnapshot list = ControlCounters.Rejections(r => (long)r * 10);
        Assert.Equal(Enum.GetValues<ResponderRejection>().Length - 1, list.Count);
        Assert.DoesNotContain(list, c => c.Name == "none");
        Assert.Equal(10, list.Single(c => c.Name == "truncated").Value);
        Assert.Equal(10, list["truncated"]);
        Assert.Equal(list.Sum(c => c.Value), list.Total);
    }

    [Fact]
    public void Announce_sends_the_current_status_as_0x80_without_changing_it()
    {
        FakeConnections a = ControlFixtures.Daemon("ipv4-a");
        a.Statuses[0][1] = PathStatus.InterfaceDown; // set by the link monitor
        var transport = new RecordingTransport();
        var notifier = new PathStatusNotifier(a, new HandshakeEngine(transport));

        Assert.Equal(PathChangeResult.Sent, notifier.Announce(0, 1, 0));
        Assert.Empty(a.Changes);
        (byte[] data, _) = Assert.Single(transport.Sent);
        Assert.Equal(ControlStatus.Ok, ControlCodec.Decode(data, out ControlHeader header));
        Assert.Equal(ControlCommand.PathStatusChange, header.Command);
        Assert.Equal(0x80, header.Parameter); // §4.6 step 2: every down-like status goes out as 0x80
    }

    [Fact]
    public void Announce_without_the_send_permission_sends_nothing()
    {
        FakeConnections a = ControlFixtures.Daemon("ipv4-a");
        a.Configs[0] = a.Configs[0] with { Permission = 2 };
        a.Statuses[0][1] = PathStatus.Down;
        var transport = new RecordingTransport();
        var notifier = new PathStatusNotifier(a, new HandshakeEngine(transport));

        Assert.Equal(PathChangeResult.NotPermitted, notifier.Announce(0, 1, 0));
        Assert.Empty(transport.Sent);
    }
}
