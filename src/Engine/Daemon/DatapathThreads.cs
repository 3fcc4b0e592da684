using MptFast.Engine.Classify;
using MptFast.Engine.Datapath;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Logging;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Daemon;

/// <summary>
/// The two datapath threads over one connection set: the transmit pump (TUN → paths) and the receive pump (paths →
/// TUN), each on its own thread — or both on one (<see cref="DaemonOptions.SingleThread"/>,
/// <see cref="SingleThreadDatapath"/>). <see cref="Start"/> builds both over the connections, <see cref="Stop"/> ends and
/// disposes them; a rebuild is Stop, new connections, Start. The pumps' counters continue across rebuilds
/// (<see cref="Counters"/>). Called by the daemon on start-up, shutdown and the control thread's rebuilds.
/// </summary>
internal sealed class DatapathThreads(ITunDevice tun, DaemonOptions options, int mtu)
{
    private TxPump? _tx;
    private RxPump? _rx;
    private Thread? _txThread;
    private Thread? _rxThread;

    // Counters of pumps replaced by a rebuild.
    private CounterSnapshot _retired = new();

    /// <summary>Both pumps' counters since the daemon started (zeros before the first start).</summary>
    public CounterSnapshot Counters()
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

    /// <summary>Bytes allocated by the running transmit and receive threads since they started (0 in the steady state).</summary>
    public (long Tx, long Rx) AllocatedBytes => (_tx?.AllocatedBytes ?? 0, _rx?.AllocatedBytes ?? 0);

    /// <summary>Builds the transmit and receive pumps over <paramref name="connections"/> and starts their threads.</summary>
    public void Start(ConnectionRuntime[] connections)
    {
        var matcher = ConnectionMatcher.FromConfigs([.. connections.Select(c => c.Config)]);
        int slotSize = SlotSize(mtu);
        _tx = new TxPump(tun, connections, matcher, slotSize, segmentationOffload: options.Offload);
        var rxOffload = new RxOffload(options.Offload, options.Offload && tun is LinuxTunDevice { Capabilities.VnetHeader: true });
        _rx = new RxPump(tun, connections, slotSize, rxOffload, _tx);
        int groPaths = connections.Sum(c => c.Paths.Count(p => p.Socket!.Capabilities.GroSupported));
        Log.Info((options.Offload
            ? $"receive offloads: UDP GRO on {groPaths} of {connections.Sum(c => c.Paths.Length)} path(s), TCP coalescing toward the TUN {(rxOffload.TcpCoalescing ? "on" : "off (no vnet header)")}"
            : "receive offloads: off (--no-offload)")
            + (options.SingleThread ? $"; both directions on one thread ({SingleThreadDatapath.ThreadName}, --single-thread)" : ""));
        if (options.SingleThread)
        {
            (TxPump tx, RxPump rx) = (_tx, _rx);
            SingleThreadDatapath.Join(rx, tx, tun);
            _rxThread = DaemonThread.Start(SingleThreadDatapath.ThreadName, () => SingleThreadDatapath.Run(rx, tx), ThreadPriority.AboveNormal);
            return;
        }

        _txThread = DaemonThread.Start(TxThreadName, _tx.Run, ThreadPriority.AboveNormal);
        _rxThread = DaemonThread.Start(RxThreadName, _rx.Run, ThreadPriority.AboveNormal);
    }

    /// <summary>Stops the pump threads and disposes the pumps (the TUN device and the path sockets stay open); their
    /// counters are kept. With <paramref name="final"/>, logs what the receive offloads did.</summary>
    public void Stop(bool final = false)
    {
        _tx?.Stop();
        _rx?.Stop();
        foreach (Thread? t in (Thread?[])[_txThread, _rxThread])
        {
            if (t is not null && !t.Join(TimeSpan.FromSeconds(5)))
            {
                Log.Warn($"{t.Name} did not stop within 5 s");
            }
        }

        if (final && _rx is { } rx && options.Offload)
        {
            Log.Info($"receive offloads: {rx.GroMessages} GRO messages carried {rx.GroDatagrams} datagrams; {rx.SuperPackets} TCP super-packets carried {rx.CoalescedSegments} segments; "
                + $"{rx.GroSlotShortages} GRO slot shortages, {rx.CopiedViews} datagrams copied out of GRO messages");
        }

        _retired = Counters();
        _tx?.Dispose();
        _rx?.Dispose();
        (_tx, _rx, _txThread, _rxThread) = (null, null, null, null);
    }

    private static int SlotSize(int mtu) => Math.Max(2048, ((mtu + Buffers.PacketPool.Headroom + 64 + 63) / 64) * 64);
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
