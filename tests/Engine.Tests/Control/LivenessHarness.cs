using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Control;
using MptFast.Engine.Mapping;
using MptFast.Engine.Runtime;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Control;

/// <summary>
/// A <see cref="LivenessMonitor"/> over one in-memory connection on a fake clock that counts milliseconds (the monitor is
/// built with 1000 ticks per second), with a fake daemon that records every keepalive sent and every status change and
/// answers link queries from <see cref="Links"/>. <see cref="Run"/> ticks the way the control thread does.
/// </summary>
internal sealed class LivenessHarness : ILivenessActions
{
    /// <summary>Where the fake clock starts: far from 0, which <see cref="PathRuntime.NextKeepaliveTicks"/> uses as "now".</summary>
    public const long Start = 1_000_000;

    private readonly LivenessMonitor _monitor = new(ticksPerSecond: 1000);

    public LivenessHarness(params PathConfig[] paths)
    {
        var runtimes = new PathRuntime[paths.Length];
        for (int i = 0; i < paths.Length; i++)
        {
            PathConfig p = paths[i] with
            {
                InterfaceName = paths[i].InterfaceName == "unnamed_path" ? $"veth{i + 1}" : paths[i].InterfaceName,
                RemoteAddress = IPAddress.Parse($"198.18.{i + 1}.2"),
            };
            paths[i] = p;
            runtimes[i] = new PathRuntime(i, p, IPAddress.Parse($"198.18.{i + 1}.1"), IPAddress.Parse($"198.18.{i + 1}.1"), p.RemoteAddress);
        }

        var config = new ConnectionConfig
        {
            FileName = "liveness.conf",
            IpVer = 4,
            IpLocal = IPAddress.Parse("198.19.0.1"),
            IpRemote = IPAddress.Parse("198.19.0.2"),
            Paths = paths.ToEquatableArray(),
        };
        Connection = new ConnectionRuntime(0, config, runtimes, PortMapTable.Empty,
            Address16.FromIPAddress(config.IpLocal), Address16.FromIPAddress(config.IpRemote));
        LivenessMonitor.ResetLiveness([Connection], Now);
    }

    public ConnectionRuntime Connection { get; }

    /// <summary>The fake clock, in milliseconds.</summary>
    public long Now { get; private set; } = Start;

    /// <summary>Link state per interface name; an interface not listed is unknown (null), as without permission.</summary>
    public Dictionary<string, bool> Links { get; } = [];

    /// <summary>Every keepalive sent: path index and the time.</summary>
    public List<(int Path, long At)> Sent { get; } = [];

    /// <summary>Every status change reported: path, from, to, origin and the time.</summary>
    public List<(int Path, PathStatus From, PathStatus To, StatusOrigin Origin, long At)> Changes { get; } = [];

    public PathRuntime Path(int index) => Connection.Paths[index];

    /// <summary>One liveness tick at the current time.</summary>
    public void Tick() => _monitor.Tick([Connection], Now, this);

    /// <summary>The monitor (its next-due time after a tick).</summary>
    public LivenessMonitor Monitor => _monitor;

    /// <summary>Ticks every <paramref name="stepMs"/> for <paramref name="durationMs"/> (the first tick one step from now).</summary>
    public void Run(long durationMs, long stepMs = 10)
    {
        long end = Now + durationMs;
        while (Now + stepMs <= end)
        {
            Now += stepMs;
            Tick();
        }
    }

    /// <summary>Moves the clock without ticking (a control thread held up).</summary>
    public void Advance(long ms) => Now += ms;

    /// <summary>A keepalive (or probe) of the peer arrives on the path now, as the receive thread records it (§3.3).</summary>
    public void Receive(int path) => Path(path).LastKeepaliveTicks = Now;

    /// <summary>The path's peer sends a keepalive every <paramref name="intervalMs"/> while ticking every 10 ms for <paramref name="durationMs"/>.</summary>
    public void RunWithPeer(int path, long intervalMs, long durationMs)
    {
        long end = Now + durationMs;
        long next = Now + intervalMs;
        while (Now + 10 <= end)
        {
            Now += 10;
            if (Now >= next)
            {
                Receive(path);
                next += intervalMs;
            }

            Tick();
        }
    }

    /// <summary>Keepalives sent on <paramref name="path"/> at or after <paramref name="from"/>.</summary>
    public long[] SentOn(int path, long from = 0) => [.. Sent.Where(s => s.Path == path && s.At >= from).Select(s => s.At)];

    /// <summary>Sets a status as a command or the peer would (not through the monitor); records nothing.</summary>
    public void SetStatus(int path, PathStatus status, StatusOrigin origin)
    {
        PathRuntime p = Path(path);
        p.Status = status;
        p.StatusOrigin = origin;
        p.StatusChangedTicks = Now;
        Connection.RecomputeOkMask();
    }

    bool ILivenessActions.SendKeepalive(ConnectionRuntime connection, PathRuntime path)
    {
        Sent.Add((path.Index, Now));
        return true;
    }

    void ILivenessActions.StatusChanged(ConnectionRuntime connection, PathRuntime path, PathStatus from, PathStatus to, StatusOrigin origin) =>
        Changes.Add((path.Index, from, to, origin, Now));

    bool? ILivenessActions.QueryLink(string interfaceName) => Links.TryGetValue(interfaceName, out bool up) ? up : null;

    /// <summary>A path config with MptFast's millisecond timers.</summary>
    public static PathConfig Ms(int keepaliveMs, int deadMs, PathStatus status = PathStatus.Ok) =>
        new() { KeepaliveMsec = keepaliveMs, DeadTimeMsec = deadMs, Status = status };

    /// <summary>A path config with the original's whole-second timers.</summary>
    public static PathConfig Seconds(int keepaliveTime, int deadTime, PathStatus status = PathStatus.Ok) =>
        new() { KeepaliveTime = keepaliveTime, DeadTime = deadTime, Status = status };
}
