using System.Diagnostics;
using MptFast.Engine.Classify;
using MptFast.Engine.Datapath;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Logging;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Daemon;

/// <summary>
/// The two datapath threads over one connection set: the transmit pump (TUN → paths) and the receive pump (paths →
/// TUN), each on its own thread — or both on one (<see cref="DaemonOptions.SingleThread"/>,
/// <see cref="SingleThreadDatapath"/>). The threads outlive the pumps: a rebuild builds the next pumps while the
/// running ones go on (<see cref="Prepare"/>), parks the threads between two turns of their loops (<see cref="Pause"/>),
/// carries the connections' live state over, and hands the threads the new pumps (<see cref="Resume"/>). The pumps'
/// counters continue across rebuilds (<see cref="Counters"/>). Called by the daemon on start-up, shutdown and the
/// control thread's rebuilds.
/// </summary>
/// <remarks>
/// Issue 15: a rebuild used to stop and join both threads, build the pumps (packet pools, epoll sets) and start two new
/// threads, all with every tunnel of the daemon stopped — 2–5 ms on an idle machine, 10–90 ms on a loaded one (a new
/// thread waits for a core like anything else), once for every client a server creates. Now the pause is two threads
/// finishing their turn and the state copy.
/// </remarks>
internal sealed class DatapathThreads(ITunDevice tun, DaemonOptions options, int mtu)
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private TxPump? _tx;
    private RxPump? _rx;
    private PumpThread? _txThread;
    private PumpThread? _rxThread;
    private bool _paused = true;

    // Counters of pumps replaced by a rebuild.
    private CounterSnapshot _retired = new();

    // Rebuilds' pauses: from Pause to the new pumps running (control thread only, as Pause, Resume and Counters).
    private long _pauseStarted;
    private long _pauses;
    private long _pausedTicks;

    /// <summary>Pumps built for a connection set, not yet running (<see cref="Prepare"/>, <see cref="Resume"/>).</summary>
    internal sealed class Pumps(TxPump tx, RxPump rx)
    {
        public TxPump Tx { get; } = tx;

        public RxPump Rx { get; } = rx;
    }

    /// <summary>Both pumps' counters since the daemon started (zeros before the first start), and the rebuilds' pauses:
    /// <c>pauses</c> (how often the datapath stopped to switch to a new connection set) and <c>paused_us</c> (for how
    /// long in all).</summary>
    public CounterSnapshot Counters() => PumpCounters()
        .Add("pauses", _pauses)
        .Duration("paused_us", _pausedTicks * 1_000_000 / Stopwatch.Frequency);

    private CounterSnapshot PumpCounters()
    {
        var live = new CounterSnapshot();
        if (_tx is { } tx)
        {
            live.Append(tx.PublishCounters());
        }

        if (_rx is { } rx)
        {
            live.Append(rx.PublishCounters());
        }

        return _retired.Plus(live);
    }

    /// <summary>The running pump threads by name with the turns of their loops (empty while stopped): the input of the
    /// <see cref="DatapathWatchdog"/>.</summary>
    public (string Thread, long Iterations)[] LoopIterations() =>
        _tx is { } tx && _rx is { } rx
            ? options.SingleThread
                ? [(SingleThreadDatapath.ThreadName, rx.LoopIterations)]
                : [(TxThreadName, tx.LoopIterations), (RxThreadName, rx.LoopIterations)]
            : [];

    /// <summary>The pump threads' names (as <c>ps -L</c> and the logs show them).</summary>
    public const string TxThreadName = "mptfast-tx", RxThreadName = "mptfast-rx";

    /// <summary>The datapath threads' managed ids (null where none runs): the same across rebuilds.</summary>
    internal (int? Tx, int? Rx) ThreadIds => (_txThread?.ManagedThreadId, _rxThread?.ManagedThreadId);

    /// <summary>Bytes allocated by the running transmit and receive threads since they started (0 in the steady state).</summary>
    public (long Tx, long Rx) AllocatedBytes => (_tx?.AllocatedBytes ?? 0, _rx?.AllocatedBytes ?? 0);

    /// <summary>Builds the transmit and receive pumps over <paramref name="connections"/> and starts the threads on them.</summary>
    public void Start(ConnectionRuntime[] connections)
    {
        Pause();
        Resume(Prepare(connections));
    }

    /// <summary>Builds the pumps over <paramref name="connections"/> without running them; the pumps running now go on.
    /// The pumps read only the connections' configuration and shape here, so the connections' live state may be carried
    /// over afterwards (while <see cref="Pause"/>d).</summary>
    public Pumps Prepare(ConnectionRuntime[] connections)
    {
        var matcher = ConnectionMatcher.FromConfigs([.. connections.Select(c => c.Config)]);
        int slotSize = SlotSize(mtu);
        var tx = new TxPump(tun, connections, matcher, slotSize, segmentationOffload: options.Offload);
        var rxOffload = new RxOffload(options.Offload, options.Offload && tun is LinuxTunDevice { Capabilities.VnetHeader: true });
        // equalize_delay = auto looks up this host's TCP senders (sock_diag, in the daemon's network namespace).
        LinuxSocketCongestion? congestion = RxPump.LooksUpSenders(connections) ? OpenSocketCongestion() : null;
        var rx = new RxPump(tun, connections, slotSize, rxOffload, tx, congestion);
        if (options.SingleThread)
        {
            SingleThreadDatapath.Join(rx, tx, tun);
        }

        int groPaths = connections.Sum(c => c.Paths.Count(p => p.Socket!.Capabilities.GroSupported));
        Log.Info((options.Offload
            ? $"receive offloads: UDP GRO on {groPaths} of {connections.Sum(c => c.Paths.Length)} path(s), TCP coalescing toward the TUN {(rxOffload.TcpCoalescing ? "on" : "off (no vnet header)")}"
            : "receive offloads: off (--no-offload)")
            + (options.SingleThread ? $"; both directions on one thread ({SingleThreadDatapath.ThreadName}, --single-thread)" : ""));
        return new Pumps(tx, rx);
    }

    /// <summary>The sock_diag lookup of <c>equalize_delay = auto</c>, or null (said once) where the kernel refuses it.</summary>
    private LinuxSocketCongestion? OpenSocketCongestion()
    {
        LinuxSocketCongestion? lookup = LinuxSocketCongestion.Open();
        if (lookup is null && !_socketCongestionRefused)
        {
            _socketCongestionRefused = true;
            Log.Warn("equalize_delay = auto: sock_diag refused, so no local sender's congestion control can be looked up and no acknowledgement is held (equalize_delay = acks holds them all)");
        }

        return lookup;
    }

    private bool _socketCongestionRefused;

    /// <summary>Ends the running pumps' loops and waits until their threads are parked between two turns; nothing moves
    /// until <see cref="Resume"/>. Nothing to do when already paused.</summary>
    public void Pause()
    {
        if (_paused)
        {
            return;
        }

        _pauseStarted = Stopwatch.GetTimestamp();
        _tx?.Stop();
        _rx?.Stop();
        foreach (PumpThread? t in (PumpThread?[])[_txThread, _rxThread])
        {
            if (t is not null && !t.WaitParked(StopTimeout))
            {
                Log.Warn($"{t.Name} did not stop within {StopTimeout.TotalSeconds:0} s");
            }
        }

        _paused = true;
    }

    /// <summary>Runs <paramref name="next"/> on the datapath threads (started the first time) in place of the paused
    /// pumps: what they hold is written to the TUN first, their counters are kept, and the rest of them (pools, epoll
    /// sets) is freed once the threads run the new ones.</summary>
    public void Resume(Pumps next)
    {
        if (!_paused)
        {
            throw new InvalidOperationException("Resume without Pause");
        }

        (TxPump? oldTx, RxPump? oldRx) = (_tx, _rx);
        oldRx?.ReleaseHeld(); // before the new pumps write to the TUN (and may share a connection's reorder buffer)
        _retired = PumpCounters();
        (_tx, _rx) = (next.Tx, next.Rx);
        if (options.SingleThread)
        {
            (TxPump tx, RxPump rx) = (next.Tx, next.Rx);
            Hand(ref _rxThread, SingleThreadDatapath.ThreadName, () => SingleThreadDatapath.Run(rx, tx));
        }
        else
        {
            Hand(ref _txThread, TxThreadName, next.Tx.Run);
            Hand(ref _rxThread, RxThreadName, next.Rx.Run);
        }

        _paused = false;
        if (_pauseStarted != 0)
        {
            _pauses++;
            _pausedTicks += Stopwatch.GetTimestamp() - _pauseStarted;
            _pauseStarted = 0;
        }

        oldTx?.Dispose();
        oldRx?.Dispose();
    }

    /// <summary>Stops the pump threads and disposes the pumps (the TUN device and the path sockets stay open); their
    /// counters are kept. With <paramref name="final"/>, logs what the receive offloads did.</summary>
    public void Stop(bool final = false)
    {
        Pause();
        if (final && _rx is { } rx && options.Offload)
        {
            Log.Info($"receive offloads: {rx.GroMessages} GRO messages carried {rx.GroDatagrams} datagrams; {rx.SuperPackets} TCP super-packets carried {rx.CoalescedSegments} segments; "
                + $"{rx.GroSlotShortages} GRO slot shortages, {rx.CopiedViews} datagrams copied out of GRO messages");
        }

        foreach (PumpThread? t in (PumpThread?[])[_txThread, _rxThread])
        {
            t?.Exit(StopTimeout);
        }

        _retired = PumpCounters();
        _pauseStarted = 0; // stopped for good, not a pause
        _tx?.Dispose();
        _rx?.Dispose();
        (_tx, _rx, _txThread, _rxThread) = (null, null, null, null);
    }

    // Gives the parked thread its next loop; a thread that did not park (stuck in a call for StopTimeout) is left behind
    // and a new one started in its place, as a stuck thread was before the threads outlived their pumps.
    private static void Hand(ref PumpThread? thread, string name, Action body)
    {
        if (thread is null || !thread.Parked)
        {
            thread = new PumpThread(name);
        }

        thread.Run(body);
    }

    private static int SlotSize(int mtu) => Math.Max(2048, ((mtu + Buffers.PacketPool.Headroom + 64 + 63) / 64) * 64);
}

/// <summary>
/// A datapath thread that runs one pump loop after another: <see cref="Run"/> hands it a loop, which runs until the
/// pump is stopped; then the thread parks until the next (<see cref="DatapathThreads"/>: a rebuild does not make
/// threads).
/// </summary>
internal sealed class PumpThread
{
    private readonly object _lock = new(); // Monitor.Wait/Pulse, so not a System.Threading.Lock
    private Action? _body;
    private bool _exit;
    private readonly Thread _thread;

    public PumpThread(string name)
    {
        Name = name;
        _thread = DaemonThread.Start(name, Loop, ThreadPriority.AboveNormal);
    }

    public string Name { get; }

    public int ManagedThreadId => _thread.ManagedThreadId;

    /// <summary>The thread has not ended (<see cref="Exit"/>).</summary>
    public bool IsAlive => _thread.IsAlive;

    /// <summary>No loop is running (the last one returned).</summary>
    public bool Parked
    {
        get
        {
            lock (_lock)
            {
                return _body is null;
            }
        }
    }

    /// <summary>Runs <paramref name="body"/> on the thread; it must be <see cref="Parked"/>.</summary>
    public void Run(Action body)
    {
        lock (_lock)
        {
            if (_body is not null || _exit)
            {
                throw new InvalidOperationException($"{Name} is not parked");
            }

            _body = body;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Waits until the running loop returned (its pump was stopped); false after <paramref name="timeout"/>.</summary>
    public bool WaitParked(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_lock)
        {
            while (_body is not null)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0 || !Monitor.Wait(_lock, (int)left))
                {
                    return _body is null;
                }
            }

            return true;
        }
    }

    /// <summary>Ends the thread once its loop returned (waits at most <paramref name="timeout"/>).</summary>
    public void Exit(TimeSpan timeout)
    {
        lock (_lock)
        {
            _exit = true;
            Monitor.PulseAll(_lock);
        }

        if (!_thread.Join(timeout))
        {
            Log.Warn($"{Name} did not stop within {timeout.TotalSeconds:0} s");
        }
    }

    private void Loop()
    {
        while (true)
        {
            Action body;
            lock (_lock)
            {
                while (_body is null && !_exit)
                {
                    Monitor.Wait(_lock);
                }

                if (_body is null)
                {
                    return;
                }

                body = _body;
            }

            body();
            lock (_lock)
            {
                _body = null;
                Monitor.PulseAll(_lock);
            }
        }
    }
}

/// <summary>The daemon's threads: a failure in one ends the process (it must not run on half a tunnel).</summary>
internal static class DaemonThread
{
    /// <summary>Starts <paramref name="body"/> on a new background thread named <paramref name="name"/>.</summary>
    public static Thread Start(string name, Action body, ThreadPriority priority = ThreadPriority.Normal)
    {
        var t = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                Log.Error($"{name} failed: {e}");
                Environment.FailFast($"{name} failed", e);
            }
        })
        { Name = name, IsBackground = true, Priority = priority };
        t.Start();
        return t;
    }
}
