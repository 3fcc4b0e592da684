using MptFast.Engine.Config;
using MptFast.Engine.Control;
using MptFast.Engine.Runtime;
using static MptFast.Engine.Tests.Control.LivenessHarness;

namespace MptFast.Engine.Tests.Control;

/// <summary>
/// <see cref="LivenessMonitor"/> on a fake clock: keepalive sending (MPT-SPEC §3.2), dead-path detection (§3.5) and
/// recovery (§3.6), with the transitions of §8.3 it owns, in milliseconds (keepalive_msec/dead_time_msec) and in the
/// original's whole seconds. The link-monitor transitions are in <see cref="LivenessLinkTests"/>.
/// </summary>
public class LivenessMonitorTests
{
    [Fact]
    public void A_path_sends_its_first_keepalive_at_start_and_then_one_every_interval()
    {
        var h = new LivenessHarness(Ms(100, 300));
        h.Tick();
        h.RunWithPeer(0, intervalMs: 100, durationMs: 1000);

        long[] expected = [.. Enumerable.Range(0, 11).Select(i => Start + (i * 100L))];
        Assert.Equal(expected, h.SentOn(0));
    }

    [Fact]
    public void Whole_second_keys_mean_seconds()
    {
        var h = new LivenessHarness(Seconds(1, 3));
        h.Tick();
        h.Run(2500, stepMs: 50);

        Assert.Equal([Start, Start + 1000, Start + 2000], h.SentOn(0));
    }

    [Fact]
    public void A_late_tick_sends_one_keepalive_and_keeps_the_schedule_unless_a_whole_interval_was_missed()
    {
        var h = new LivenessHarness(Ms(100, 1000));
        h.Tick();                       // Start: the first one; the next is due at +100
        h.Advance(130);
        h.Tick();                       // 30 ms late: sent, the next still due at +200
        h.Advance(70);
        h.Tick();
        h.Advance(250);
        h.Tick();                       // +450, two intervals missed: one keepalive, no burst; the next at +550
        h.Advance(90);
        h.Tick();                       // +540: not yet
        h.Advance(10);
        h.Tick();

        Assert.Equal([Start, Start + 130, Start + 200, Start + 450, Start + 550], h.SentOn(0));
    }

    [Fact]
    public void No_keepalive_interval_sends_none_but_the_dead_timer_still_watches_the_peers()
    {
        var h = new LivenessHarness(Ms(0, 300));
        h.Tick();
        h.Run(400);

        Assert.Empty(h.Sent);
        Assert.Equal([(0, PathStatus.Ok, PathStatus.Down, StatusOrigin.DeadTimer, Start + 310)], h.Changes);
    }

    [Fact]
    public void An_ok_path_goes_down_on_the_first_tick_after_more_than_the_dead_time_without_a_keepalive()
    {
        var h = new LivenessHarness(Ms(100, 300), Ms(100, 300));
        h.Tick();
        h.Run(250, stepMs: 1);
        h.Receive(1);                   // path 1's peer is heard at +250, path 0's never
        h.Run(310, stepMs: 1);

        // Strictly more than dead_time (§3.5): not at +300, at +301; path 1 300 ms after its keepalive.
        Assert.Equal(
            [(0, PathStatus.Ok, PathStatus.Down, StatusOrigin.DeadTimer, Start + 301), (1, PathStatus.Ok, PathStatus.Down, StatusOrigin.DeadTimer, Start + 551)],
            h.Changes);
        Assert.Equal(0u, h.Connection.OkMask);
    }

    [Fact]
    public void The_dead_time_in_whole_seconds_is_three_seconds_not_three_milliseconds()
    {
        var h = new LivenessHarness(Seconds(1, 3));
        h.Tick();
        h.Run(3000, stepMs: 50);
        Assert.Empty(h.Changes);

        h.Run(100, stepMs: 50);
        Assert.Equal([(0, PathStatus.Ok, PathStatus.Down, StatusOrigin.DeadTimer, Start + 3050)], h.Changes);
    }

    [Fact]
    public void A_peer_that_keeps_sending_keeps_the_path_up_and_its_silence_takes_it_down_after_the_dead_time()
    {
        var h = new LivenessHarness(Ms(100, 300), Ms(100, 300));
        h.Tick();
        long end = Start + 5000;
        while (h.Now < end)
        {
            h.Run(100);
            h.Receive(0);
            h.Receive(1);
        }

        Assert.Empty(h.Changes);
        Assert.Equal(0b11u, h.Connection.OkMask);

        long lastHeard = h.Now;
        h.Run(1000, stepMs: 10);
        Assert.Equal(2, h.Changes.Count);
        Assert.All(h.Changes, c => Assert.InRange(c.At - lastHeard, 301, 310));
    }

    [Fact]
    public void Dead_time_0_never_declares_a_path_dead()
    {
        var h = new LivenessHarness(Ms(100, 0), Seconds(1, 0));
        h.Tick();
        h.Run(10_000, stepMs: 50);

        Assert.Empty(h.Changes);
        Assert.Equal(101, h.SentOn(0).Length);
        Assert.Equal(11, h.SentOn(1).Length);
    }

    [Fact]
    public void A_path_down_by_the_timer_keeps_sending_keepalives_and_comes_back_on_the_first_one_received()
    {
        var h = new LivenessHarness(Ms(100, 300), Ms(100, 300));
        h.Tick();
        h.RunWithPeer(1, 100, 400);
        Assert.Equal(PathStatus.Down, h.Path(0).Status);
        long down = h.Changes.Single().At;

        h.RunWithPeer(1, 100, 500);
        Assert.Equal(PathStatus.Down, h.Path(0).Status);
        Assert.Equal(6, h.SentOn(0, from: down + 1).Length); // §3.2: 0x80 still sends, every 100 ms (+400 … +900)

        h.Receive(0);
        long heard = h.Now;
        h.Run(10);

        // §3.3, §3.6, B35: silently (no peer notification is the daemon's part), on the next tick.
        Assert.Equal((0, PathStatus.Down, PathStatus.Ok, StatusOrigin.Keepalive, heard + 10), h.Changes[^1]);
        Assert.Equal(0b11u, h.Connection.OkMask);
    }

    [Fact]
    public void A_keepalive_heard_before_the_path_went_down_does_not_bring_it_back()
    {
        var h = new LivenessHarness(Ms(100, 300));
        h.Tick();
        h.Run(200);
        h.Receive(0);
        h.Run(400);
        Assert.Equal(PathStatus.Down, h.Path(0).Status);

        h.Run(1000);
        Assert.Single(h.Changes);
        Assert.Equal(PathStatus.Down, h.Path(0).Status);
    }

    [Fact]
    public void A_path_configured_as_128_is_down_until_its_first_keepalive()
    {
        var h = new LivenessHarness(Ms(100, 300, PathStatus.Down));
        h.Tick();
        h.Run(1000);
        Assert.Equal(PathStatus.Down, h.Path(0).Status);
        Assert.Equal(11, h.SentOn(0).Length);   // §8.1: 0x80 sends keepalives

        h.Receive(0);
        h.Run(10);
        Assert.Equal([(0, PathStatus.Down, PathStatus.Ok, StatusOrigin.Keepalive, h.Now)], h.Changes);
    }

    [Fact]
    public void A_path_the_peer_set_down_comes_back_on_a_later_keepalive()
    {
        var h = new LivenessHarness(Ms(100, 300));
        h.Tick();
        h.Run(100);
        h.Receive(0);
        h.SetStatus(0, PathStatus.Down, StatusOrigin.Peer);
        h.Run(100);
        Assert.Equal(PathStatus.Down, h.Path(0).Status);

        h.Receive(0);
        h.Run(10);
        Assert.Equal(PathStatus.Ok, h.Path(0).Status);
        Assert.Equal(StatusOrigin.Keepalive, h.Path(0).StatusOrigin);
    }

    [Theory]
    [InlineData(PathStatus.ManualDown, StatusOrigin.Command)]
    [InlineData(PathStatus.Disabled, StatusOrigin.Config)]
    [InlineData(PathStatus.InterfaceDown, StatusOrigin.Command)]
    [InlineData(PathStatus.AddressDown, StatusOrigin.Config)]
    [InlineData((PathStatus)0x42, StatusOrigin.Config)]
    public void Paths_in_other_down_states_send_nothing_never_die_and_never_come_back_by_keepalive(PathStatus status, StatusOrigin origin)
    {
        var h = new LivenessHarness(Ms(100, 300), Ms(100, 300));
        h.SetStatus(0, status, origin);
        h.Tick();
        h.RunWithPeer(0, 100, 2000);

        // §3.2, §3.6, §8.1: no keepalives, no dead timer, no recovery; path 1 (0x00, silent) died meanwhile.
        Assert.Empty(h.SentOn(0));
        Assert.Equal(status, h.Path(0).Status);
        Assert.Equal([(1, PathStatus.Ok, PathStatus.Down, StatusOrigin.DeadTimer, Start + 310)], h.Changes);
    }

    [Fact]
    public void Reset_after_a_restart_gives_a_fresh_grace_period_B33()
    {
        var h = new LivenessHarness(Ms(100, 300));
        h.Tick();
        h.Run(250);
        LivenessMonitor.ResetLiveness([h.Connection], h.Now);
        long reset = h.Now;
        h.Run(300);
        Assert.Empty(h.Changes);

        h.Run(20);
        Assert.Equal(reset + 310, h.Changes.Single().At);
    }

    [Fact]
    public void The_tick_period_follows_the_shortest_timer_within_10_to_50_ms()
    {
        Assert.Equal(50, LivenessMonitor.TickPeriodMs([new LivenessHarness(Seconds(1, 3)).Connection]));
        Assert.Equal(50, LivenessMonitor.TickPeriodMs([new LivenessHarness(Seconds(0, 0)).Connection]));
        Assert.Equal(25, LivenessMonitor.TickPeriodMs([new LivenessHarness(Seconds(1, 3), Ms(100, 300)).Connection]));
        Assert.Equal(20, LivenessMonitor.TickPeriodMs([new LivenessHarness(Ms(1000, 200)).Connection]));
        Assert.Equal(10, LivenessMonitor.TickPeriodMs([new LivenessHarness(Ms(20, 60)).Connection]));
    }

    [Fact]
    public void With_ticks_at_the_period_a_100_300_ms_path_dies_within_a_tick_of_its_dead_time()
    {
        var h = new LivenessHarness(Ms(100, 300));
        int tick = LivenessMonitor.TickPeriodMs([h.Connection]);
        h.Tick();
        h.Run(1000, tick);

        Assert.InRange(h.Changes.Single().At - Start, 301, 300 + tick);
    }

    [Fact]
    public void Ticking_only_when_a_timer_is_due_keeps_every_keepalive_and_dead_timer_on_time()
    {
        // The control loop waits until NextDueTicks (issue 15). The peer's keepalives arrive on path 0 every 100 ms, 5 ms
        // after ours; path 1 hears nothing and must go down one tick after its 300 ms dead time.
        var h = new LivenessHarness(Ms(100, 300), Ms(100, 300));
        int ticks = 0;
        long nextPeer = Start + 5;
        while (h.Now <= Start + 1000)
        {
            h.Tick();
            ticks++;
            long due = h.Monitor.NextDueTicks;
            Assert.True(due > h.Now, $"a tick at {h.Now} left a timer due at {due}");
            while (nextPeer <= due)
            {
                h.Advance(nextPeer - h.Now);
                h.Receive(0);
                nextPeer += 100;
            }

            h.Advance(due - h.Now);
        }

        long[] every100 = [.. Enumerable.Range(0, 11).Select(i => Start + (i * 100L))];
        Assert.Equal(every100, h.SentOn(0));
        Assert.Equal(every100, h.SentOn(1)); // a down path keeps sending them (0x80, §3.6)
        Assert.Equal([(1, PathStatus.Ok, PathStatus.Down, StatusOrigin.DeadTimer, Start + 301)], h.Changes);
        Assert.Equal(PathStatus.Ok, h.Path(0).Status);
        // A down path waits for the peer's keepalive, which only a tick sees: the loop must keep ticking for it.
        Assert.True(h.Monitor.AwaitsKeepalive);
        // The keepalives (both paths' fall due together) and the dead timer: not a tick every 10 ms (100 of them).
        Assert.InRange(ticks, 11, 20);
    }

    [Fact]
    public void Without_keepalives_or_dead_timers_nothing_is_ever_due()
    {
        var h = new LivenessHarness(Ms(0, 0), Ms(0, 0));
        h.Tick();
        Assert.Equal(long.MaxValue, h.Monitor.NextDueTicks);
        Assert.False(h.Monitor.AwaitsKeepalive);
    }
}
