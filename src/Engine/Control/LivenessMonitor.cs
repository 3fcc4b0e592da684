using System.Diagnostics;
using MptFast.Engine.Config;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Control;

/// <summary>
/// Keepalives, dead-path detection and link monitoring, run on the control thread every few tens of milliseconds
/// with a monotonic clock (MPT-SPEC §3, §6.3 Required, B30, B31, B33, B35, B36):
/// <list type="bullet">
/// <item>every path with a keepalive interval in status 0x00 or 0x80 sends a keepalive every interval, the first at
/// start (§3.2);</item>
/// <item>a 0x00 path with a dead time and no keepalive for more than the dead time goes to 0x80 (§3.5);</item>
/// <item>a 0x80 path that received a keepalive after it went down comes back to 0x00 silently (§3.3, B35);</item>
/// <item>an interface that is not UP+RUNNING takes its 0x00/0x80 paths to 0x81 (the right path, B08; asynchronously,
/// B09/B10); when the link returns they go to 0x80 and come back on the first keepalive, or straight to 0x00 when
/// the path runs without keepalives (B30). Manual and configured down states are never lifted here.</item>
/// </list>
/// Intervals are <see cref="PathConfig.KeepaliveMs"/> and <see cref="PathConfig.DeadMs"/>: the original's whole seconds
/// (§3.7), or MptFast's <c>keepalive_msec</c>/<c>dead_time_msec</c>; the caller ticks at <see cref="NextDueTicks"/>
/// (within <see cref="TickPeriodMs"/>), and every <see cref="TickPeriodMs"/> while <see cref="AwaitsKeepalive"/>.
/// </summary>
public sealed class LivenessMonitor
{
    private readonly long _frequency;

    /// <summary>Longest time between two ticks: the original checks every second (§3.7); 50 ms keeps second-scale timers exact.</summary>
    public const int MaxTickMs = 50;

    /// <summary>Shortest time between two ticks, whatever the configured intervals.</summary>
    public const int MinTickMs = 10;

    public LivenessMonitor(long ticksPerSecond = 0)
    {
        _frequency = ticksPerSecond > 0 ? ticksPerSecond : Stopwatch.Frequency;
    }

    /// <summary>
    /// How often to tick for <paramref name="connections"/>: a quarter of the shortest keepalive interval and a tenth of the
    /// shortest dead time, within <see cref="MinTickMs"/>–<see cref="MaxTickMs"/>, so that millisecond timers (100 ms /
    /// 300 ms) are kept to within a few percent rather than to the whole-second check of the original (§3.5).
    /// </summary>
    public static int TickPeriodMs(IReadOnlyList<ConnectionRuntime> connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        int tick = MaxTickMs;
        foreach (ConnectionRuntime c in connections)
        {
            foreach (PathRuntime p in c.Paths)
            {
                if (p.Config.KeepaliveMs > 0)
                {
                    tick = Math.Min(tick, p.Config.KeepaliveMs / 4);
                }

                if (p.Config.DeadMs > 0)
                {
                    tick = Math.Min(tick, p.Config.DeadMs / 10);
                }
            }
        }

        return Math.Max(MinTickMs, tick);
    }

    /// <summary>Marks every path as just heard from (start-up grace, §3.5; and after a restart, B33).</summary>
    public static void ResetLiveness(IReadOnlyList<ConnectionRuntime> connections, long now)
    {
        foreach (ConnectionRuntime c in connections)
        {
            foreach (PathRuntime p in c.Paths)
            {
                p.LastKeepaliveTicks = now;
                p.NextKeepaliveTicks = now;
                p.StatusChangedTicks = now;
            }
        }
    }

    /// <summary>
    /// After a <see cref="Tick"/>: the earliest time (Stopwatch ticks) at which a timer of the last tick's paths falls
    /// due — a keepalive to send, a dead timer to expire — or <see cref="long.MaxValue"/> when none runs. A dead timer's
    /// time can only move later (a keepalive arriving in between restarts it), so ticking at it never misses one.
    /// </summary>
    public long NextDueTicks { get; private set; } = long.MaxValue;

    /// <summary>After a <see cref="Tick"/>: a path is down and waits for a keepalive to come back up, which only a tick
    /// notices (the receive thread stamps the arrival) — the caller keeps ticking at <see cref="TickPeriodMs"/>.</summary>
    public bool AwaitsKeepalive { get; private set; }

    public void Tick(IReadOnlyList<ConnectionRuntime> connections, long now, ILivenessActions actions)
    {
        long next = long.MaxValue;
        bool awaits = false;
        foreach (ConnectionRuntime c in connections)
        {
            bool changed = false;
            foreach (PathRuntime p in c.Paths)
            {
                changed |= CheckLink(c, p, now, actions);
                changed |= CheckKeepalive(c, p, now, actions);
                SendKeepaliveIfDue(c, p, now, actions);
                next = Math.Min(next, NextDue(p, ref awaits));
            }

            if (changed)
            {
                c.RecomputeOkMask();
            }
        }

        NextDueTicks = next;
        AwaitsKeepalive = awaits;
    }

    private long NextDue(PathRuntime p, ref bool awaits)
    {
        PathStatus s = p.Status;
        long next = long.MaxValue;
        if (p.Config.KeepaliveMs > 0 && (s == PathStatus.Ok || s == PathStatus.Down))
        {
            next = p.NextKeepaliveTicks;
        }

        if (s == PathStatus.Ok && p.Config.DeadMs > 0)
        {
            next = Math.Min(next, p.LastKeepaliveTicks + Ticks(p.Config.DeadMs) + 1);
        }

        awaits |= s == PathStatus.Down;
        return next;
    }

    private static bool CheckLink(ConnectionRuntime c, PathRuntime p, long now, ILivenessActions actions)
    {
        bool? up = actions.QueryLink(p.Config.InterfaceName);
        bool? was = p.LinkUp;
        p.LinkUp = up;
        if (up is null)
        {
            return false;
        }

        PathStatus s = p.Status;
        if (up == false && (s == PathStatus.Ok || s == PathStatus.Down))
        {
            return Set(c, p, PathStatus.InterfaceDown, StatusOrigin.LinkMonitor, now, actions);
        }

        if (up == true && was != true && s == PathStatus.InterfaceDown && p.StatusOrigin == StatusOrigin.LinkMonitor)
        {
            bool keepalives = p.Config.KeepaliveMs > 0 && p.Config.DeadMs > 0;
            if (keepalives)
            {
                // Confirm with a keepalive before carrying traffic again: 0x80 sends keepalives and recovers on the first one.
                p.NextKeepaliveTicks = 0;
            }

            return Set(c, p, keepalives ? PathStatus.Down : PathStatus.Ok, StatusOrigin.LinkMonitor, now, actions);
        }

        return false;
    }

    private bool CheckKeepalive(ConnectionRuntime c, PathRuntime p, long now, ILivenessActions actions)
    {
        PathStatus s = p.Status;
        long last = p.LastKeepaliveTicks;
        if (s == PathStatus.Down && last > p.StatusChangedTicks)
        {
            return Set(c, p, PathStatus.Ok, StatusOrigin.Keepalive, now, actions);
        }

        int dead = p.Config.DeadMs;
        if (s == PathStatus.Ok && dead > 0 && now - last > Ticks(dead))
        {
            return Set(c, p, PathStatus.Down, StatusOrigin.DeadTimer, now, actions);
        }

        return false;
    }

    private void SendKeepaliveIfDue(ConnectionRuntime c, PathRuntime p, long now, ILivenessActions actions)
    {
        int interval = p.Config.KeepaliveMs;
        PathStatus s = p.Status;
        if (interval <= 0 || (s != PathStatus.Ok && s != PathStatus.Down) || now < p.NextKeepaliveTicks)
        {
            return;
        }

        actions.SendKeepalive(c, p);
        long step = Ticks(interval);
        long next = p.NextKeepaliveTicks + step;
        p.NextKeepaliveTicks = next <= now ? now + step : next;
    }

    private long Ticks(int milliseconds) => milliseconds * _frequency / 1000;

    /// <summary>Changes a path's status (control thread only) and reports it.</summary>
    public static bool Set(ConnectionRuntime c, PathRuntime p, PathStatus to, StatusOrigin origin, long now, ILivenessActions actions)
    {
        PathStatus from = p.Status;
        if (from == to)
        {
            return false;
        }

        p.Status = to;
        p.StatusOrigin = origin;
        p.StatusChangedTicks = now;
        actions.StatusChanged(c, p, from, to, origin);
        return true;
    }
}
