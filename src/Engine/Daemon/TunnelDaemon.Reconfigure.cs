using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MptFast.Engine.Config;
using MptFast.Engine.Control;
using MptFast.Engine.Logging;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Daemon;

/// <summary>
/// Run-time changes of the connection set (reload, restart, delete, remote create, create merge — MPT-SPEC §9.10,
/// §4.7): always on the control thread. The transmit and receive threads are stopped, the connections are rebuilt
/// from the new configuration — reusing each path socket whose endpoints did not change, keeping the path counters,
/// liveness and the sequence counter where a connection continues, keeping the TUN device — and the pumps are
/// started again. The pause is the time to build the runtime objects (no <c>ip</c> call in it: routes are
/// updated after the restart), milliseconds, so established TCP streams survive.
/// </summary>
public sealed partial class TunnelDaemon
{
    private readonly Dictionary<ConnectionRuntime, List<InstalledRoute>> _routes = [];

    /// <summary>
    /// Replaces the running connections by <paramref name="desired"/> (identity = file name). Paths of connections
    /// named by <paramref name="restart"/> become OK (MPT-SPEC §8.3 <c>mpt restart</c>); other continuing paths keep
    /// their runtime status unless their configured status changed (then the configured one, as <c>mpt reload</c>).
    /// Returns null on success, else why nothing changed. Control thread only.
    /// </summary>
    internal string? Apply(IReadOnlyList<ConnectionConfig> desired, Func<string, bool> restart, bool fallback = true)
    {
        lock (_gate)
        {
            if (_disposed || _tun is null)
            {
                return "the daemon is stopping";
            }

            ConnectionRuntime[] old = _connections;
            long started = Stopwatch.GetTimestamp();
            StopDatapath();
            HashSet<SocketKey> wanted;
            try
            {
                wanted = WantedSockets(desired);
            }
            catch (DaemonStartException e)
            {
                StartDatapath();
                return e.Message;
            }

            // Sockets nobody wants any more are closed first, so a changed path may bind the same local port.
            var reuse = new SocketReuse(ReusableSockets(old));
            foreach ((SocketKey key, PathRuntime path) in reuse.Candidates.ToArray())
            {
                if (!wanted.Contains(key))
                {
                    path.Socket!.Dispose();
                    path.Socket = null;
                    reuse.Candidates.Remove((key, path));
                }
            }

            var next = new ConnectionRuntime[desired.Count];
            try
            {
                for (int i = 0; i < next.Length; i++)
                {
                    next[i] = OpenConnection(i, desired[i], reuse);
                }
            }
            catch (Exception e) when (e is DaemonStartException or SocketException or IOException or InvalidOperationException or ArgumentException)
            {
                reuse.DisposeOpened();
                Log.Error($"reconfiguration failed: {e.Message}");
                if (!fallback)
                {
                    _connections = [];
                    StartDatapath();
                    return e.Message;
                }

                string? again = Apply([.. old.Select(c => c.Config)], _ => false, fallback: false);
                return e.Message + (again is null ? "; the previous connections were restored" : "; restoring the previous connections failed too: " + again);
            }

            long now = Stopwatch.GetTimestamp();
            foreach (ConnectionRuntime c in next)
            {
                Continue(c, Array.Find(old, o => o.Config.FileName == c.Config.FileName), reuse, restart(c.Config.FileName), now);
            }

            _connections = next;
            StartDatapath();
            double pauseMs = (Stopwatch.GetTimestamp() - started) * 1000.0 / Stopwatch.Frequency;
            _control?.SetConnections(next);

            var kept = new HashSet<IPathSocket>(next.SelectMany(c => c.Paths).Select(p => p.Socket!));
            foreach (ConnectionRuntime c in next)
            {
                InstallRoutes(c);
            }

            foreach (ConnectionRuntime c in old)
            {
                CloseConnection(c, kept);
            }

            Log.Info($"connections rebuilt: {next.Length} connection(s), {reuse.Previous.Count} path socket(s) reused, " +
                $"{reuse.Opened.Count} opened; datapath paused {pauseMs:0.0} ms");
            return null;
        }
    }

    // Carries counters, sequence and liveness over to the rebuilt connection and decides each path's status.
    private static void Continue(ConnectionRuntime c, ConnectionRuntime? previous, SocketReuse reuse, bool restart, long now)
    {
        if (previous is not null)
        {
            c.ContinueFrom(previous);
        }

        foreach (PathRuntime p in c.Paths)
        {
            if (restart)
            {
                // MPT-SPEC §8.3: restart sets every path OK; B33: with a fresh dead-timer grace.
                p.Status = PathStatus.Ok;
                p.StatusOrigin = StatusOrigin.Command;
                p.LastKeepaliveTicks = now;
                p.NextKeepaliveTicks = now;
                p.StatusChangedTicks = now;
            }
            else if (reuse.Previous.TryGetValue(p, out PathRuntime? before) && before.Config.Status == p.Config.Status)
            {
                p.Status = before.Status; // reload: the configured value did not change, the runtime state stands
            }
            else
            {
                p.StatusOrigin = StatusOrigin.Config;
                p.LastKeepaliveTicks = now;
                p.NextKeepaliveTicks = now;
                p.StatusChangedTicks = now;
            }
        }

        c.RecomputeOkMask();
    }

    /// <summary>Closes the sockets of <paramref name="c"/> that are not in <paramref name="keep"/> and removes its routes.</summary>
    private void CloseConnection(ConnectionRuntime c, HashSet<IPathSocket>? keep)
    {
        foreach (PathRuntime p in c.Paths)
        {
            if (p.Socket is { } socket && (keep is null || !keep.Contains(socket)))
            {
                socket.Dispose();
            }
        }

        try
        {
            RemoveRoutes(c);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
        {
            Log.Warn($"{c.Config.FileName}: removing routes: {e.Message}");
        }
    }

    private HashSet<SocketKey> WantedSockets(IReadOnlyList<ConnectionConfig> desired)
    {
        var wanted = new HashSet<SocketKey>();
        foreach (ConnectionConfig c in desired)
        {
            foreach (PathConfig p in c.Paths)
            {
                wanted.Add(new SocketKey(ResolveLocal(c, p), c.LocalPort, p.RemoteAddress, c.RemotePort, Device(p)));
            }
        }

        return wanted;
    }

    private List<(SocketKey, PathRuntime)> ReusableSockets(ConnectionRuntime[] connections)
    {
        var list = new List<(SocketKey, PathRuntime)>();
        foreach (ConnectionRuntime c in connections)
        {
            foreach (PathRuntime p in c.Paths)
            {
                if (p.Socket is not null)
                {
                    list.Add((new SocketKey(p.LocalAddress, c.Config.LocalPort, p.RemoteAddress, c.Config.RemotePort, Device(p.Config)), p));
                }
            }
        }

        return list;
    }

    private string? Device(PathConfig p) => Options.BindToDevice && InterfaceExists(p.InterfaceName) ? p.InterfaceName : null;

    /// <summary>What identifies a path socket: bound address and port, connected peer, bound device.</summary>
    private readonly record struct SocketKey(IPAddress Local, ushort LocalPort, IPAddress Remote, ushort RemotePort, string? Device);

    /// <summary>A route this daemon installed (removed again when its connection stops).</summary>
    private readonly record struct InstalledRoute(IpPrefix Destination, IPAddress? Via, string Device)
    {
        public override string ToString() => $"{Destination}{(Via is null ? "" : " via " + Via)} dev {Device}";
    }

    /// <summary>The sockets of the previous connections that a rebuilt path may take over, and what was opened anew.</summary>
    private sealed class SocketReuse(List<(SocketKey Key, PathRuntime Path)> candidates)
    {
        public List<(SocketKey Key, PathRuntime Path)> Candidates { get; } = candidates;

        public List<IPathSocket> Opened { get; } = [];

        /// <summary>New path → the previous path whose socket it took over.</summary>
        public Dictionary<PathRuntime, PathRuntime> Previous { get; } = [];

        public PathRuntime? Take(SocketKey key)
        {
            int i = Candidates.FindIndex(c => c.Key == key);
            if (i < 0)
            {
                return null;
            }

            PathRuntime path = Candidates[i].Path;
            Candidates.RemoveAt(i);
            return path;
        }

        public void DisposeOpened()
        {
            foreach (IPathSocket s in Opened)
            {
                s.Dispose();
            }

            Opened.Clear();
        }
    }
}
