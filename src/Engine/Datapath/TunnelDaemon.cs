using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using MptFast.Engine.Classify;
using MptFast.Engine.Config;
using MptFast.Engine.Control;
using MptFast.Engine.Control.Protocol;
using MptFast.Engine.Logging;
using MptFast.Engine.Mapping;
using MptFast.Engine.Offload;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Datapath;

/// <summary>
/// The running tunnel: TUN device, path sockets, routes and the three threads (transmit, receive, control). Built
/// from a validated <see cref="MptConfig"/>; <see cref="Dispose"/> stops the threads and removes what it installed
/// (MPT-SPEC §1.4 start-up, §9.1–9.3, §9.6 "Required": orderly shutdown on SIGINT/SIGTERM). Connections are
/// reloaded, restarted, created and deleted at run time by the control thread (TunnelDaemon.Reconfigure.cs).
/// </summary>
public sealed partial class TunnelDaemon : IDisposable
{
    private readonly LinkConfigurator _link = new();
    private readonly object _gate = new();
    private MptConfig _config;
    private ITunDevice? _tun;
    private ConnectionRuntime[] _connections = [];
    private TxPump? _tx;
    private RxPump? _rx;
    private Thread? _txThread;
    private Thread? _rxThread;
    private ControlLoop? _control;
    private readonly List<Thread> _threads = [];
    private bool _disposed;

    private TunnelDaemon(MptConfig config, DaemonOptions options)
    {
        _config = config;
        _template = config.Template;
        _peer = ControlPeerState.From(config.Interface, config.Template);
        Options = options;
    }

    public DaemonOptions Options { get; }

    public IReadOnlyList<ConnectionRuntime> Connections => _connections;

    public TunnelInfo Info { get; private set; } = null!;

    public long DropNoConnection => _dropNoConnectionBefore + (_tx?.DropNoConnection ?? 0);

    // Drops counted by transmit pumps that were replaced by a reload (the count continues across rebuilds).
    private long _dropNoConnectionBefore;

    /// <summary>Bytes allocated by the transmit and receive threads since they started (0 in the steady state).</summary>
    public (long Tx, long Rx) DatapathAllocatedBytes => (_tx?.AllocatedBytes ?? 0, _rx?.AllocatedBytes ?? 0);

    /// <summary>Offload and reorder counters of the running pumps (zeros before they start).</summary>
    public DatapathCounters Datapath
    {
        get
        {
            TxPump? tx = _tx;
            RxPump? rx = _rx;
            return rx is null
                ? new DatapathCounters(tx?.SuperPackets ?? 0, 0, 0, 0, 0, 0, 0)
                : new DatapathCounters(tx?.SuperPackets ?? 0, rx.GroMessages, rx.GroDatagrams, rx.SuperPackets,
                    rx.CoalescedSegments, rx.RepollsClosed, rx.RepollsTimedOut, rx.GroSlotShortages, rx.CopiedViews,
                    rx.CatchUpReads);
        }
    }

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

    /// <summary>
    /// gso_max_size for the TUN so a TCP super-packet of MTU-sized segments, each cut and encapsulated (inner packet ≤
    /// MTU plus a GRE header of ≤ 8 bytes), fits one UDP GSO train (<see cref="GsoRunList.MaxTrainBytes"/>): n segments
    /// fit. Linux TCP builds whole-MSS segments out of gso_max_size − 1 − MAX_TCP_HEADER (≥ 320) bytes, and the MSS is
    /// at least MTU − 72 (IPv6 + TCP timestamps), so n · (MTU − 72) + 321 bytes never make more than n segments.
    /// </summary>
    internal static int TunGsoMaxSize(int mtu)
    {
        int segments = Math.Clamp(GsoRunList.MaxTrainBytes / (mtu + 8), 1, GsoRunList.MaxSegments);
        return Math.Clamp((segments * (mtu - 72)) + 321, mtu, 65536);
    }

    private void Open()
    {
        InterfaceConfig i = _config.Interface;
        _tun = LinuxTunDevice.Open(i.TunName, vnetHeader: Options.Offload, enableOffloads: Options.Offload);
        Check(_link.SetMtu(i.TunName, i.Mtu), "set MTU");
        if (_tun is LinuxTunDevice { EnabledOffloads: not 0 })
        {
            // TCP super-packets no bigger than one UDP GSO train once cut and encapsulated: one send per super-packet.
            int gsoMax = TunGsoMaxSize(i.Mtu);
            LinkCommandResult r = _link.Run("link", "set", "dev", i.TunName, "gso_max_size", gsoMax.ToString(CultureInfo.InvariantCulture));
            if (!r.Succeeded)
            {
                Log.Warn($"tunnel {i.TunName}: could not set gso_max_size {gsoMax} (super-packets may need two sends): {r.StandardError.Trim()}");
            }
        }
        if (i.Ipv4Address is { } v4)
        {
            Check(_link.AddAddress(i.TunName, v4), "add address " + v4);
        }

        if (i.Ipv6Address is { } v6)
        {
            Check(_link.Run("-6", "addr", "replace", v6.ToString(), "dev", i.TunName, "nodad"), "add address " + v6);
        }

        Check(_link.SetUp(i.TunName), "set link up");
        Log.Info($"tunnel {i.TunName}: mtu {i.Mtu}, {i.Ipv4Address?.ToString() ?? "no IPv4"}, {i.Ipv6Address?.ToString() ?? "no IPv6"}");

        // The command socket first: with cmdport_local = 0 the connections' local_cmd_port is the ephemeral port bound.
        Socket command = ControlLoop.BindCommandSocket(i.CommandPort);
        _peer = _peer with { CommandPort = (ushort)((IPEndPoint)command.LocalEndPoint!).Port };
        var reuse = new SocketReuse([]);
        var connections = new List<ConnectionRuntime>();
        try
        {
            for (int ci = 0; ci < _config.Connections.Count; ci++)
            {
                connections.Add(OpenConnection(ci, _config.Connections[ci], reuse));
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
                InstallRoutes(c);
            }

            _control = new ControlLoop(this, command, new LinuxLinkState());
        }
        catch
        {
            command.Dispose();
            throw;
        }

        StartDatapath();
        Info = new TunnelInfo(i, _tun.Fd, _control.CommandPort, Stopwatch.GetTimestamp(), () => DatapathAllocatedBytes, () => DropNoConnection, _control.Counters, () => Datapath);
        StartThread("mptfast-ctl", _control.Run);
        int paths = _connections.Sum(c => c.Paths.Length);
        Log.Info($"ready: {i.TunName} up, {_connections.Length} connection(s), {paths} path(s), command port {_control.CommandPort}");
    }

    /// <summary>Builds the transmit and receive pumps over the current connections and starts their threads.</summary>
    private void StartDatapath()
    {
        var matcher = ConnectionMatcher.FromConfigs([.. _connections.Select(c => c.Config)]);
        int slotSize = SlotSize(_config.Interface.Mtu);
        _tx = new TxPump(_tun!, _connections, matcher, slotSize, segmentationOffload: Options.Offload);
        var rxOffload = new RxOffload(Options.Offload, Options.Offload && _tun is LinuxTunDevice { Capabilities.VnetHeader: true });
        _rx = new RxPump(_tun!, _connections, slotSize, rxOffload);
        int groPaths = _connections.Sum(c => c.Paths.Count(p => p.Socket!.Capabilities.GroSupported));
        Log.Info(Options.Offload
            ? $"receive offloads: UDP GRO on {groPaths} of {_connections.Sum(c => c.Paths.Length)} path(s), TCP coalescing toward the TUN {(rxOffload.TcpCoalescing ? "on" : "off (no vnet header)")}"
            : "receive offloads: off (--no-offload)");
        _txThread = StartThread("mptfast-tx", _tx.Run);
        _rxThread = StartThread("mptfast-rx", _rx.Run);
    }

    /// <summary>Stops the pump threads and disposes the pumps (the TUN device and the path sockets stay open).</summary>
    private void StopDatapath()
    {
        _tx?.Stop();
        _rx?.Stop();
        foreach (Thread? t in (Thread?[])[_txThread, _rxThread])
        {
            if (t is not null && !t.Join(TimeSpan.FromSeconds(5)))
            {
                Log.Warn($"{t.Name} did not stop within 5 s");
            }

            if (t is not null)
            {
                _threads.Remove(t);
            }
        }

        _dropNoConnectionBefore += _tx?.DropNoConnection ?? 0;
        _tx?.Dispose();
        _rx?.Dispose();
        (_tx, _rx, _txThread, _rxThread) = (null, null, null, null);
    }

    private ConnectionRuntime OpenConnection(int index, ConnectionConfig c, SocketReuse reuse)
    {
        InterfaceConfig i = _config.Interface;

        // MPT-SPEC §5.9: an IPv4 connection's local tunnel address is the tunnel's IPv4 address.
        if (c.IpVer != 6 && i.Ipv4Address is { } v4 && !v4.Address.Equals(c.IpLocal))
        {
            Log.Info($"{c.FileName}: ip_local {c.IpLocal} replaced by the tunnel address {v4.Address} (as the original)");
            c = c with { IpLocal = v4.Address };
        }
        else if (c.IpVer == 6 && i.Ipv6Address is { } v6 && !v6.Address.Equals(c.IpLocal))
        {
            Log.Warn($"{c.FileName}: ip_local {c.IpLocal} differs from the tunnel's IPv6 address {v6.Address} (B73)");
        }

        c = c with { LocalCmdPort = _peer.CommandPort }; // MPT-SPEC §4.1: overwritten with the daemon's command port
        var paths = new PathRuntime[c.Paths.Count];
        ushort localPort = c.LocalPort;
        for (int p = 0; p < paths.Length; p++)
        {
            PathConfig pc = c.Paths[p];
            IPAddress local = ResolveLocal(c, pc);
            IPAddress publicAddress = pc.PublicIsPrivate || IsUnspecified(pc.PublicAddress) ? local : pc.PublicAddress;
            var path = new PathRuntime(p, pc, local, publicAddress, pc.RemoteAddress);
            string? device = Device(pc);
            var key = new SocketKey(local, localPort, pc.RemoteAddress, c.RemotePort, device);
            if (reuse.Take(key) is { } previous)
            {
                path.Socket = previous.Socket; // same endpoints: the socket (and its queued datagrams) carries on
                path.ContinueFrom(previous);
                reuse.Previous[path] = previous;
            }
            else
            {
                path.Socket = LinuxUdpPathSocket.Open(local, localPort, pc.RemoteAddress, c.RemotePort, device, Options.SocketBufferBytes, gro: Options.Offload);
                reuse.Opened.Add(path.Socket);
            }

            if (localPort == 0)
            {
                // MPT-SPEC §2.1: the first path's ephemeral port becomes the connection's local_port.
                localPort = path.Socket!.LocalPort;
                c = c with { LocalPort = localPort };
            }

            paths[p] = path;
            Log.Info($"{c.FileName}: path {p} {local}:{localPort} -> {pc.RemoteAddress}:{c.RemotePort} on {pc.InterfaceName}" +
                $"{(device is null ? "" : " (bound)")}, weight {pc.WeightOut}, status 0x{(int)pc.Status:x2}");
        }

        // Conflicting port maps were rejected when the configuration was loaded (ConnectionParser).
        PortMapTable? baked = Options.BakedPortMap?.Invoke(c.FileName);
        PortMapTable portMap = PortMapTable.ForPaths(c.Paths, baked);
        LogPortMap(c, portMap, baked);
        var runtime = new ConnectionRuntime(index, c, paths, portMap, Address16.FromIPAddress(c.IpLocal), Address16.FromIPAddress(c.IpRemote));
        Log.Info($"{c.FileName}: {c.Name} {c.IpLocal} -> {c.IpRemote}, selection list [{string.Join(' ', runtime.Scheduler.List.ToArray())}]" +
            $"{(c.ReorderWindow > 0 ? $", reorder window {c.ReorderWindow}, hold {c.MaxBuffDelayMs} ms" : "")}");
        return runtime;
    }

    private static void LogPortMap(ConnectionConfig c, PortMapTable portMap, PortMapTable? baked)
    {
        // Which table the datapath uses is logged, so an operator (and a test) can see it.
        string? origin = portMap.Origin == PortMapOrigin.Baked ? "baked into this binary"
            : baked is not null ? "built at load (the loaded rules differ from the ones baked into this binary)"
            : portMap.IsEmpty ? null
            : "built at load (not baked into this binary)";
        if (origin is not null)
        {
            Log.Info($"{c.FileName}: port map {origin}, {portMap.ByteCount} bytes");
        }
    }

    private IPAddress ResolveLocal(ConnectionConfig c, PathConfig p)
    {
        if (!IsUnspecified(p.PrivateAddress) || p.IpVer == 6)
        {
            return p.PrivateAddress;
        }

        // MPT-SPEC §9.9: IPv4 private_ipaddr 0.0.0.0 = the interface's first IPv4 address (a local query only).
        foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.Name != p.InterfaceName)
            {
                continue;
            }

            foreach (UnicastIPAddressInformation a in nic.GetIPProperties().UnicastAddresses)
            {
                if (a.Address.AddressFamily == AddressFamily.InterNetwork)
                {
                    Log.Info($"{c.FileName}: path on {p.InterfaceName}: private address {a.Address} (from the interface)");
                    return a.Address;
                }
            }
        }

        throw new DaemonStartException($"{c.FileName}: private_ipaddr is 0.0.0.0 and interface {p.InterfaceName} has no IPv4 address");
    }

    /// <summary>MPT-SPEC §9.3: per-path host routes, the tunnel peer route and the network routes of one connection.</summary>
    private void InstallRoutes(ConnectionRuntime runtime)
    {
        var installed = new List<InstalledRoute>();
        _routes[runtime] = installed;
        if (!Options.InstallRoutes)
        {
            return;
        }

        ConnectionConfig c = runtime.Config;
        foreach (PathConfig p in c.Paths)
        {
            if (InterfaceExists(p.InterfaceName))
            {
                Route(c.FileName, HostRoute(p.RemoteAddress, p), installed);
            }
        }

        string tun = _config.Interface.TunName;
        Route(c.FileName, new InstalledRoute(new IpPrefix(c.IpRemote, c.IpVer == 6 ? 128 : 32), null, tun), installed);
        foreach (NetworkConfig n in c.Networks)
        {
            // Via the remote tunnel address when the families agree; otherwise straight into the TUN.
            Route(c.FileName, new InstalledRoute(n.Destination, n.Destination.IsIPv6 == (c.IpVer == 6) ? c.IpRemote : null, tun), installed);
        }
    }

    /// <summary>A host route to <paramref name="destination"/> via <paramref name="path"/>'s gateway (none when unset or
    /// the destination itself) on the path's interface.</summary>
    private static InstalledRoute HostRoute(IPAddress destination, PathConfig path) =>
        new(new IpPrefix(destination, destination.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32),
            IsUnspecified(path.GatewayAddress) || path.GatewayAddress.Equals(destination) ? null : path.GatewayAddress,
            path.InterfaceName);

    private void Route(string file, InstalledRoute route, List<InstalledRoute> installed)
    {
        LinkCommandResult r = _link.ReplaceRoute(route.Destination, route.Via, route.Device);
        if (!r.Succeeded)
        {
            Log.Warn($"{file}: route {route}: {r.StandardError}");
            return;
        }

        installed.Add(route);
    }

    /// <summary>Removes the routes of <paramref name="runtime"/> that no current connection installed as well.</summary>
    private void RemoveRoutes(ConnectionRuntime runtime)
    {
        if (!_routes.Remove(runtime, out List<InstalledRoute>? installed))
        {
            return;
        }

        foreach (InstalledRoute route in installed)
        {
            if (!_routes.Values.Any(list => list.Contains(route)))
            {
                _link.DeleteRoute(route.Destination, route.Via, route.Device);
            }
        }
    }

    private Thread StartThread(string name, Action body)
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
        { Name = name, IsBackground = true };
        if (name != "mptfast-ctl")
        {
            t.Priority = ThreadPriority.AboveNormal;
        }

        t.Start();
        _threads.Add(t);
        return t;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // The control thread first: it is the one that reconfigures, so after it the connection set is stable.
        _control?.Stop();
        foreach (Thread t in _threads.Where(t => t.Name == "mptfast-ctl"))
        {
            if (!t.Join(TimeSpan.FromSeconds(10)))
            {
                Log.Warn($"{t.Name} did not stop within 10 s");
            }
        }

        if (_rx is { } rx && Options.Offload)
        {
            Log.Info($"receive offloads: {rx.GroMessages} GRO messages carried {rx.GroDatagrams} datagrams; {rx.SuperPackets} TCP super-packets carried {rx.CoalescedSegments} segments; "
                + $"{rx.GroSlotShortages} GRO slot shortages, {rx.CopiedViews} datagrams copied out of GRO messages");
        }

        lock (_gate)
        {
            StopDatapath();
            _control?.Dispose();
            foreach (ConnectionRuntime c in _connections)
            {
                CloseConnection(c, keep: null);
            }

            _connections = [];
        }

        _tun?.Dispose();
        Log.Info("stopped: routes removed, interface closed");
    }

    private static int SlotSize(int mtu) => Math.Max(2048, ((mtu + Buffers.PacketPool.Headroom + 64 + 63) / 64) * 64);

    private static bool IsUnspecified(IPAddress a) => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any);

    private static bool InterfaceExists(string name) => LinuxTunDevice.IsValidInterfaceName(name) && Directory.Exists("/sys/class/net/" + name);

    private static void Check(LinkCommandResult r, string what)
    {
        if (!r.Succeeded)
        {
            throw new DaemonStartException($"tunnel interface: {what} failed: {r.StandardError}");
        }
    }
}

/// <summary>The daemon could not be set up; the message says why.</summary>
public sealed class DaemonStartException(string message) : Exception(message);
