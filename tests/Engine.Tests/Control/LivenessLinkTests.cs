using MptFast.Engine.Config;
using MptFast.Engine.Runtime;
using static MptFast.Engine.Tests.Control.LivenessHarness;

namespace MptFast.Engine.Tests.Control;

/// <summary>
/// The link monitor inside <see cref="MptFast.Engine.Control.LivenessMonitor"/> on a fake clock: an interface that is not
/// UP+RUNNING takes its own paths to 0x81 (MPT-SPEC §6.3, §8.3, B08), and when it returns they come back — confirmed by a
/// keepalive when the path has them (B30) — while manual and configured down states stay as they are.
/// </summary>
public class LivenessLinkTests
{
    [Fact]
    public void Carrier_loss_takes_only_the_paths_on_that_interface_to_0x81_once()
    {
        var h = new LivenessHarness(Ms(100, 300), Ms(100, 300));
        h.Links["veth1"] = true;
        h.Links["veth2"] = true;
        h.Tick();
        h.Links["veth2"] = false;
        long lost = h.Now + 10;
        for (int i = 0; i < 20; i++)
        {
            h.Run(10);
            h.Receive(0);
        }

        // B08: the path on veth2, not the one the packet was for; reported once, not every tick.
        Assert.Equal([(1, PathStatus.Ok, PathStatus.InterfaceDown, StatusOrigin.LinkMonitor, lost)], h.Changes);
        Assert.Equal(0b01u, h.Connection.OkMask);
        Assert.Empty(h.SentOn(1, from: lost)); // §3.2: 0x81 sends nothing
    }

    [Fact]
    public void Carrier_loss_also_takes_a_path_down_by_the_dead_timer_to_0x81()
    {
        var h = new LivenessHarness(Ms(100, 300));
        h.Links["veth1"] = true;
        h.Tick();
        h.Run(400);
        Assert.Equal(PathStatus.Down, h.Path(0).Status);

        h.Links["veth1"] = false;
        h.Run(10);
        Assert.Equal((0, PathStatus.Down, PathStatus.InterfaceDown, StatusOrigin.LinkMonitor, h.Now), h.Changes[^1]);
    }

    [Fact]
    public void When_the_link_returns_a_path_with_keepalives_goes_to_0x80_sends_one_at_once_and_is_up_on_the_answer()
    {
        var h = new LivenessHarness(Ms(100, 300));
        h.Links["veth1"] = true;
        h.Tick();
        h.Links["veth1"] = false;
        h.Run(10);
        h.Receive(0);                   // heard while the link was down (or just before): no proof for later
        h.Run(1000);
        Assert.Equal(PathStatus.InterfaceDown, h.Path(0).Status);

        h.Links["veth1"] = true;
        h.Run(10);
        long back = h.Now;
        Assert.Equal((0, PathStatus.InterfaceDown, PathStatus.Down, StatusOrigin.LinkMonitor, back), h.Changes[^1]);
        Assert.Equal([back], h.SentOn(0, from: back));  // confirm at once, not an interval later

        h.Run(50);
        Assert.Equal(PathStatus.Down, h.Path(0).Status);
        h.Receive(0);
        h.Run(10);
        Assert.Equal((0, PathStatus.Down, PathStatus.Ok, StatusOrigin.Keepalive, h.Now), h.Changes[^1]);
        Assert.Equal(1u, h.Connection.OkMask);
    }

    [Fact]
    public void A_link_back_within_one_keepalive_interval_is_confirmed_at_once_too()
    {
        var h = new LivenessHarness(Seconds(1, 3));
        h.Links["veth1"] = true;
        h.Tick();                       // a keepalive at Start; the next one would be due at +1000
        h.Links["veth1"] = false;
        h.Run(50);
        h.Links["veth1"] = true;
        h.Run(10);

        Assert.Equal([Start, Start + 60], h.SentOn(0));
        Assert.Equal(PathStatus.Down, h.Path(0).Status);
    }

    [Fact]
    public void When_the_link_returns_a_path_without_keepalives_is_up_at_once()
    {
        var h = new LivenessHarness(Seconds(0, 0));
        h.Links["veth1"] = true;
        h.Tick();
        h.Links["veth1"] = false;
        h.Run(10);
        h.Links["veth1"] = true;
        h.Run(10);

        Assert.Equal(
            [(0, PathStatus.Ok, PathStatus.InterfaceDown, StatusOrigin.LinkMonitor, Start + 10), (0, PathStatus.InterfaceDown, PathStatus.Ok, StatusOrigin.LinkMonitor, Start + 20)],
            h.Changes);
        Assert.Empty(h.Sent);
    }

    [Fact]
    public void A_returning_path_that_hears_nothing_stays_down_and_is_not_declared_dead_again()
    {
        var h = new LivenessHarness(Ms(100, 300));
        h.Links["veth1"] = false;
        h.Tick();
        h.Links["veth1"] = true;
        h.Run(2000);

        // Down (0x80) sending keepalives; the dead timer only takes 0x00 paths down (§3.5).
        Assert.Equal([PathStatus.InterfaceDown, PathStatus.Down], h.Changes.Select(c => c.To));
        Assert.Equal(PathStatus.Down, h.Path(0).Status);
        Assert.InRange(h.SentOn(0, from: Start + 10).Length, 20, 21);
    }

    [Theory]
    [InlineData(PathStatus.ManualDown, StatusOrigin.Command)]
    [InlineData(PathStatus.InterfaceDown, StatusOrigin.Command)]
    [InlineData(PathStatus.Disabled, StatusOrigin.Config)]
    public void Manual_and_configured_down_states_are_neither_taken_by_the_link_nor_lifted_when_it_returns(PathStatus status, StatusOrigin origin)
    {
        var h = new LivenessHarness(Ms(100, 300));
        h.SetStatus(0, status, origin);
        h.Links["veth1"] = false;
        h.Tick();
        h.Run(100);
        h.Links["veth1"] = true;
        h.Run(100);
        h.Receive(0);
        h.Run(100);

        Assert.Empty(h.Changes);
        Assert.Equal(status, h.Path(0).Status);
        Assert.Equal(origin, h.Path(0).StatusOrigin);
    }

    [Fact]
    public void An_unknown_link_state_changes_nothing_and_the_dead_timer_still_works()
    {
        var h = new LivenessHarness(Ms(100, 300));
        h.Tick();
        h.Run(400);

        Assert.Null(h.Path(0).LinkUp);
        Assert.Equal([(0, PathStatus.Ok, PathStatus.Down, StatusOrigin.DeadTimer, Start + 310)], h.Changes);
    }
}
