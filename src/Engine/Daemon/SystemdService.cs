using System.Diagnostics;
using System.Globalization;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Logging;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Daemon;

/// <summary>
/// What systemd hears from the running daemon (issue 16; the units are <c>Type=notify</c>): <c>READY=1</c> once the
/// TUN device, sockets and routes are up; <c>STATUS=</c> with the paths up per connection whenever that changes;
/// <c>RELOADING=1</c> … <c>READY=1</c> around a reload; <c>STOPPING=1</c>; and, when systemd asked for a watchdog,
/// <c>WATCHDOG=1</c> only while both datapath threads turn (<see cref="DatapathWatchdog"/>). The checks run on the
/// control thread, posted by a timer: a stuck control thread stops the pings too. Nothing here touches the datapath.
/// </summary>
internal sealed class SystemdService : IDisposable
{
    private readonly TunnelDaemon _daemon;
    private readonly ServiceNotifier _notifier;
    private readonly DatapathWatchdog? _watchdog;
    private readonly Timer _timer;
    private string _status = "";
    private string? _stuck;
    private int _tickPending;

    /// <param name="daemon">The daemon whose connections and pumps are reported.</param>
    /// <param name="notifier">Where notifications go.</param>
    /// <param name="watchdog">systemd's watchdog interval (WATCHDOG_USEC), null when it wants no pings.</param>
    public SystemdService(TunnelDaemon daemon, ServiceNotifier notifier, TimeSpan? watchdog)
    {
        _daemon = daemon;
        _notifier = notifier;
        if (watchdog is not null)
        {
            _watchdog = new DatapathWatchdog(DatapathWatchdog.DefaultStallAfter, Stopwatch.Frequency);
        }

        // sd_watchdog_enabled(3): ping at least every half interval; a second is often enough for STATUS= too.
        TimeSpan period = watchdog is { } w && w < TimeSpan.FromSeconds(2) ? w / 2 : TimeSpan.FromSeconds(1);
        Period = period;
        _timer = new Timer(_ => PostTick(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>How often the state is checked (and the watchdog pinged).</summary>
    public TimeSpan Period { get; }

    /// <summary>The tunnel is up: READY=1 and the first STATUS=; from now on the state is checked every <see cref="Period"/>.</summary>
    public void Ready()
    {
        _status = StatusLine(_daemon.Connections);
        _notifier.Ready(_status);
        _timer.Change(Period, Period);
    }

    /// <summary>A reload begins (control thread).</summary>
    public void Reloading() => _notifier.Reloading();

    /// <summary>A reload ended, applied or refused: the service runs again (control thread).</summary>
    public void Reloaded()
    {
        _status = StatusLine(_daemon.Connections);
        _notifier.Ready(_status);
    }

    /// <summary>Shutdown begins: no more checks, STOPPING=1.</summary>
    public void Stopping()
    {
        _timer.Change(Timeout.Infinite, Timeout.Infinite);
        _notifier.Stopping();
    }

    /// <summary>"tunnel.conf: 2/2 paths up; tunnel6.conf: 1/2 paths up" (a path is up in status 0x00).</summary>
    public static string StatusLine(IReadOnlyList<ConnectionRuntime> connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        if (connections.Count == 0)
        {
            return "no connections";
        }

        var sb = new StringBuilder();
        foreach (ConnectionRuntime c in connections)
        {
            int up = c.Paths.Count(p => p.Status == PathStatus.Ok);
            sb.Append(sb.Length > 0 ? "; " : "").Append(c.Config.FileName).Append(": ")
                .Append(up.ToString(CultureInfo.InvariantCulture)).Append('/').Append(c.Paths.Length.ToString(CultureInfo.InvariantCulture))
                .Append(" paths up");
        }

        return sb.ToString();
    }

    // Timer thread: one check at a time waits in the control thread's queue (a stuck control thread gets no backlog).
    private void PostTick()
    {
        if (Interlocked.Exchange(ref _tickPending, 1) == 0)
        {
            _daemon.Post(Tick);
        }
    }

    /// <summary>One check on the control thread: STATUS= when it changed; WATCHDOG=1 while the datapath turns.</summary>
    internal void Tick()
    {
        Volatile.Write(ref _tickPending, 0);
        string status = StatusLine(_daemon.Connections);
        if (status != _status)
        {
            _status = status;
            _notifier.Status(status);
        }

        if (_watchdog is null)
        {
            return;
        }

        string? stuck = _watchdog.Check(_daemon.DatapathIterations(), Stopwatch.GetTimestamp());
        if (stuck is null)
        {
            if (_stuck is not null)
            {
                Log.Write(LogLevel.Warning, $"watchdog: {_stuck} turns again; pinging systemd again", new LogFields("watchdog"));
                _stuck = null;
            }

            _notifier.Watchdog();
        }
        else if (_stuck != stuck)
        {
            _stuck = stuck;
            Log.Write(LogLevel.Error, $"watchdog: {stuck} has not turned for {_watchdog.StallAfter.TotalSeconds:0} s; no WATCHDOG=1 to systemd until it does",
                new LogFields("watchdog"));
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _notifier.Dispose();
    }
}
