using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MptFast.Engine.Config;
using MptFast.Engine.Control;
using MptFast.Engine.Control.Local;
using MptFast.Engine.Datapath;
using MptFast.Engine.Logging;
using MptFast.Engine.Runtime;
using MptFast.Engine.Status;

namespace MptFast.Engine.Daemon;

/// <summary>
/// The running tunnel and the program's composition root: it creates the TUN device, the connections
/// (<see cref="ConnectionBuilder"/>), their routes (<see cref="InstalledRoutes"/>), the two datapath pumps and the control
/// loop, and starts the three threads (transmit, receive, control); <see cref="Dispose"/> stops them and removes what it
/// installed (MPT-SPEC §1.4 start-up, §9.1–9.3, §9.6 "Required": orderly shutdown on SIGINT/SIGTERM). The control plane
/// reaches it only through <see cref="Commands"/> (<see cref="DaemonControl"/>); the connection set is swapped at run time
/// by <see cref="Apply"/>, always on the control thread.
/// </summary>
public sealed class TunnelDaemon : IDisposable
{
    private readonly LinkConfigurator _link = new();
    private readonly object _gate = new();
    private readonly long _startedTicks = Stopwatch.GetTimestamp();
    private ITunDevice? _tun;
    private ConnectionRuntime[] _connections = [];
    private ConnectionBuilder? _builder;
    private InstalledRoutes? _routes;
    private DatapathThreads? _datapath;
    private ControlLoop? _control;
    private Thread? _controlThread;
    private DaemonControl? _commands;
    private SystemdService? _service;
    private MetricsEndpoint? _metrics;
    private bool _disposed;

    private TunnelDaemon(MptConfig config, DaemonOptions options)
    {
        Config = config;
        Options = options;
    }

    public DaemonOptions Options { get; }

    /// <summary>The configuration in effect (the control thread updates the template and accept_remote on reload).</summary>
    internal MptConfig Config { get; set; }

    /// <summary>The running connections (replaced as a whole by <see cref="Apply"/>).</summary>
    public IReadOnlyList<ConnectionRuntime> Connections => _connections;

    /// <summary>The daemon as the control plane sees it: commands, routes, status, the peer protocol's view.</summary>
    public IDaemonCommands Commands => _commands ?? throw new InvalidOperationException("not started");

    internal InstalledRoutes Routes => _routes!;

    internal LinkConfigurator Link => _link;

    /// <summary>The service manager's view (sd_notify), null when not run by one.</summary>
    internal SystemdService? Service => _service;

    /// <summary>The pump threads' loop turns (control thread; see <see cref="DatapathWatchdog"/>).</summary>
    internal (string Thread, long Iterations)[] DatapathIterations() => _datapath?.LoopIterations() ?? [];

    /// <summary>The control loop (liveness actions for status changes the protocol makes).</summary>
    internal ControlLoop Control => _control ?? throw new InvalidOperationException("not started");

    /// <summary>Creates the interface, sockets and routes and starts the threads. Throws <see cref="DaemonStartException"/>
    /// with a clear reason when something cannot be set up; everything done so far is undone.</summary>
    public static TunnelDaemon Start(MptConfig config, DaemonOptions options)
    {
        var d = new TunnelDaemon(config, options);
        try
        {
            d.Open();
            return d;
        }
        catch
        {
            d.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> on the control thread, which it wakes (thread-safe; e.g. SIGHUP's reload).</summary>
    public void Post(Action work) => Control.Post(work);

    /// <summary>The daemon's state now, for the status views.</summary>
    internal StatusSnapshot Status(long now)
    {
        CounterSnapshot datapath = _datapath?.Counters() ?? new CounterSnapshot();
        (long txAllocated, long rxAllocated) = _datapath?.AllocatedBytes ?? default;
        var tunnel = new TunnelReport(Config.Interface, _tun?.Fd ?? -1, _control?.CommandPort ?? 0, Stopwatch.GetElapsedTime(_startedTicks, now),
            datapath.TryGet("tx_dropped_no_connection", out long noConnection) ? noConnection : 0, txAllocated, rxAllocated, datapath)
        { Memory = ProcessMemoryReport.Capture() };
        return new StatusSnapshot(tunnel, _control?.Report(), [.. _connections.Select(c => ConnectionReport.Capture(c, now))]);
    }

    /// <summary>The daemon's state taken on the control thread (where the connection set changes), waiting at most
    /// <paramref name="timeout"/>; null when the control thread did not get to it in time. Any thread but that one.</summary>
    internal StatusSnapshot? CaptureStatus(TimeSpan timeout)
    {
        StatusSnapshot? taken = null;
        var done = new ManualResetEventSlim(); // not disposed: a late capture may still set it after the wait gave up
        Post(() =>
        {
            taken = Status(Stopwatch.GetTimestamp());
            done.Set();
        });
        return done.Wait(timeout) ? taken : null;
    }

    // Issue 14: MptFast's CLI over a Unix socket only root (or control_gid) can use; the original's UDP CLI on request.
    private static void OpenLocalControl(InterfaceConfig i, ControlLoop control)
    {
        control.ServeLocal(LocalControlSocket.Open(i.ControlSocket), new ControlAccessPolicy(i.ControlGroup));
        if (i.CliUdp)
        {
            Log.Warn("cli_udp = 1: the original's CLI is served on the UDP command port from loopback — any local user can " +
                "take paths down or delete connections (MPT-SPEC §4.8, B59)");
        }
    }

    private void Open()
    {
        // Packet pools are large calloc'd slabs, made anew at every rebuild: fresh mmap'd pages, resident only where used.
        Interop.Libc.FixMmapThreshold(128 * 1024);
        InterfaceConfig i = Config.Interface;
        _tun = TunnelInterface.Open(i, Options.Offload, _link);

        // The command socket first: with cmdport_local = 0 the connections' local_cmd_port is the ephemeral port bound.
        Socket command = ControlLoop.BindCommandSocket(i.CommandPort);
        ushort commandPort = (ushort)((IPEndPoint)command.LocalEndPoint!).Port;
        _builder = new ConnectionBuilder(i, Options, commandPort);
        _routes = new InstalledRoutes(_link, i.TunName, Options.InstallRoutes);
        var reuse = new SocketReuse([]);
        var connections = new List<ConnectionRuntime>();
        try
        {
            for (int ci = 0; ci < Config.Connections.Count; ci++)
            {
                connections.Add(_builder.Open(ci, Config.Connections[ci], reuse));
            }
        }
        catch
        {
            reuse.DisposeOpened();
            command.Dispose();
            throw;
        }

        _connections = [.. connections];
        try
        {
            foreach (ConnectionRuntime c in _connections)
            {
                _routes.Install(c);
            }

            _commands = new DaemonControl(this, commandPort);
            _control = new ControlLoop(_commands, _commands, _connections, command, new LinuxLinkState(), new PollControlWait()) { CliOverUdp = i.CliUdp };
            OpenLocalControl(i, _control);
        }
        catch
        {
            command.Dispose();
            throw;
        }

        if ((Options.MetricsListen ?? i.MetricsListen) is { } metricsAt)
        {
            _metrics = MetricsEndpoint.Start(metricsAt, CaptureStatus);
        }

        _datapath = new DatapathThreads(_tun, Options, i.Mtu);
        _datapath.Start(_connections);
        _controlThread = DaemonThread.Start("mptfast-ctl", _control.Run);
        int paths = _connections.Sum(c => c.Paths.Length);
        Log.Write(LogLevel.Info, $"ready: {i.TunName} up, {_connections.Length} connection(s), {paths} path(s), command port {_control.CommandPort}, " +
            $"control socket {i.ControlSocket}", new LogFields("ready"));
        if (CongestionControlHint.For(Config.Connections, CongestionControlHint.Read()) is { } hint)
        {
            Log.Info(hint);
        }
        if (Options.Service.NotifySocket is { } notifySocket)
        {
            _service = new SystemdService(this, new ServiceNotifier(notifySocket), Options.Service.Watchdog);
            _service.Ready();
        }

        TrimHeap();
    }

    /// <summary>
    /// Replaces the running connections by <paramref name="desired"/> (identity = file name; MPT-SPEC §9.10, §4.7),
    /// reusing each path socket whose endpoints did not change, keeping path counters, measurements, liveness and the
    /// sequence counter where a connection continues, keeping the TUN device and the datapath threads. The new
    /// connections and pumps are built while the running ones go on; the datapath pauses only to carry the live state
    /// over and switch (no <c>ip</c> call, no socket opened, no thread made in it: routes are updated after), so a server
    /// creating a client's connection barely disturbs the others. Only when a new socket needs the local port of one
    /// that goes away is the old one closed, and the datapath paused, first. Paths of connections named by
    /// <paramref name="restart"/> become OK (§8.3 <c>mpt restart</c>); other continuing paths keep their runtime status
    /// unless their configured status changed. Returns null on success, else why nothing changed. Control thread.
    /// </summary>
    internal string? Apply(IReadOnlyList<ConnectionConfig> desired, Func<string, bool> restart, bool fallback = true)
    {
        lock (_gate)
        {
            if (_disposed || _datapath is null || _builder is null || _routes is null)
            {
                return "the daemon is stopping";
            }

            ConnectionRuntime[] old = _connections;
            long started = Stopwatch.GetTimestamp();
            HashSet<SocketKey> wanted;
            try
            {
                wanted = _builder.WantedSockets(desired);
            }
            catch (DaemonStartException e)
            {
                return e.Message;
            }

            var reuse = new SocketReuse(_builder.ReusableSockets(old));
            (SocketKey Key, PathRuntime Path)[] unwanted = [.. reuse.Candidates.Where(k => !wanted.Contains(k.Key))];
            var open = new HashSet<SocketKey>(reuse.Candidates.Select(k => k.Key));
            bool portTaken = wanted.Any(w => w.LocalPort != 0 && !open.Contains(w) && unwanted.Any(u => u.Key.LocalPort == w.LocalPort));
            if (portTaken)
            {
                // A changed path binds a port a socket that goes away still holds: close those first, with the datapath
                // (which reads them) paused.
                _datapath.Pause();
                foreach ((SocketKey key, PathRuntime path) in unwanted)
                {
                    path.Socket!.Dispose();
                    path.Socket = null;
                    reuse.Candidates.Remove((key, path));
                }
            }

            var next = new ConnectionRuntime[desired.Count];
            DatapathThreads.Pumps pumps;
            try
            {
                for (int i = 0; i < next.Length; i++)
                {
                    next[i] = _builder.Open(i, desired[i], reuse);
                }

                pumps = _datapath.Prepare(next);
            }
            catch (Exception e) when (e is DaemonStartException or SocketException or IOException or InvalidOperationException or ArgumentException)
            {
                reuse.DisposeOpened();
                Log.Error($"reconfiguration failed: {e.Message}");
                if (!portTaken)
                {
                    return e.Message + "; the running connections were kept";
                }

                if (!fallback)
                {
                    _connections = [];
                    _datapath.Start(_connections);
                    return e.Message;
                }

                string? again = Apply([.. old.Select(c => c.Config)], _ => false, fallback: false);
                return e.Message + (again is null ? "; the previous connections were restored" : "; restoring the previous connections failed too: " + again);
            }

            long built = Stopwatch.GetTimestamp();
            _datapath.Pause();
            long paused = Stopwatch.GetTimestamp();
            long now = paused;
            var previousByFile = new Dictionary<string, ConnectionRuntime>(StringComparer.Ordinal);
            foreach (ConnectionRuntime c in old)
            {
                previousByFile.TryAdd(c.Config.FileName, c);
            }

            foreach (ConnectionRuntime c in next)
            {
                ConnectionBuilder.Continue(c, previousByFile.GetValueOrDefault(c.Config.FileName), reuse, restart(c.Config.FileName), now);
            }

            _connections = next;
            _datapath.Resume(pumps);
            long resumed = Stopwatch.GetTimestamp();
            _control?.SetConnections(next);

            var keptSockets = new HashSet<IPathSocket>(next.SelectMany(c => c.Paths).Select(p => p.Socket!));
            foreach (ConnectionRuntime c in next)
            {
                if (!previousByFile.TryGetValue(c.Config.FileName, out ConnectionRuntime? before) || !_routes.Carry(before, c))
                {
                    _routes.Install(c);
                }
            }

            foreach (ConnectionRuntime c in old)
            {
                CloseConnection(c, keptSockets);
            }

            // The pause: from the request to stop the running pumps to the new ones' start (with portTaken it began
            // before the build).
            string pause = portTaken
                ? $"{Ms(started, resumed):0.0} ms (before the build: a new socket takes the port of one that goes)"
                : $"{Ms(built, resumed):0.0} ms (threads parked in {Ms(built, paused):0.0})";
            Log.Info($"connections rebuilt: {next.Length} connection(s), {reuse.Previous.Count} path socket(s) reused, " +
                $"{reuse.Opened.Count} opened; datapath paused {pause}, built in {Ms(started, built):0.0} ms, " +
                $"{Ms(started, Stopwatch.GetTimestamp()):0.0} ms with routes and closing");
            // No heap trim here: a full compacting collection suspends the datapath threads too (1.3–2.6 ms per create in
            // a 100-client star, more than the rebuild's own pause); the control thread's idle trimmer returns the
            // rebuild's garbage to the system once the tunnels are quiet.
            return null;
        }
    }

    /// <summary>
    /// A full compacting collection that gives the GC's free regions back to the kernel, after the start: building a
    /// hundred connections leaves megabytes of garbage (parsed files, old runtimes) spread over 4 MiB regions that the
    /// GC otherwise keeps committed — resident memory of ~60 KiB per idle connection where the live objects are ~20
    /// (issue 15). After a rebuild the tunnels may be busy, and the collection stops their threads as well: the
    /// control thread's <see cref="IdleHeapTrimmer"/> trims once the datapath is idle.
    /// </summary>
    private static void TrimHeap() => IdleHeapTrimmer.Trim();

    private static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    /// <summary>Installs the routes of <paramref name="c"/> again (a path's peer moved; under the rebuild lock).</summary>
    internal void ReinstallRoutes(ConnectionRuntime c)
    {
        lock (_gate)
        {
            _routes?.Install(c);
        }
    }

    /// <summary>Installs the routes of every connection again (under the rebuild lock).</summary>
    internal void ReinstallRoutes()
    {
        lock (_gate)
        {
            foreach (ConnectionRuntime c in _connections)
            {
                _routes!.Install(c);
            }
        }
    }

    /// <summary>Closes the sockets of <paramref name="c"/> that are not in <paramref name="keep"/> and removes its routes.</summary>
    /// <summary>Retires a connection the datapath no longer runs (its threads were stopped and restarted on the next
    /// set, or stopped for good): sockets not kept, routes, and the reorder buffer's native block.</summary>
    private void CloseConnection(ConnectionRuntime c, HashSet<IPathSocket>? keep)
    {
        ConnectionBuilder.CloseSockets(c, keep);
        c.Reorder?.Dispose();
        try
        {
            _routes?.Remove(c);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
        {
            Log.Warn($"{c.Config.FileName}: removing routes: {e.Message}");
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _service?.Stopping();
        _metrics?.Dispose();

        // The control thread first: it is the one that reconfigures, so after it the connection set is stable.
        _control?.Stop();
        if (_controlThread is { } t && !t.Join(TimeSpan.FromSeconds(10)))
        {
            Log.Warn($"{t.Name} did not stop within 10 s");
        }

        lock (_gate)
        {
            _datapath?.Stop(final: true);
            _control?.Dispose();
            foreach (ConnectionRuntime c in _connections)
            {
                CloseConnection(c, keep: null);
            }

            _connections = [];
        }

        _tun?.Dispose();
        _service?.Dispose();
        Log.Write(LogLevel.Info, "stopped: routes removed, interface closed", new LogFields("stopped"));
    }
}
