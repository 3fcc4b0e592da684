using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using MptFast.Engine.Config;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Logging;
using MptFast.Engine.Mapping;
using MptFast.Engine.Runtime;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Daemon;

/// <summary>
/// Builds the running connections from their configuration (MPT-SPEC §1.4, §2.1, §5.9, §9.9): resolves each path's
/// addresses, opens its UDP socket — or takes over the socket of the previous path with the same endpoints, so a reload
/// keeps the socket and its queued datagrams (<see cref="SocketReuse"/>) — and carries counters, sequence and liveness
/// over to the connection that continues (<see cref="Continue"/>). No thread of its own; called on start-up and by the
/// control thread's rebuilds while the datapath threads are stopped.
/// </summary>
internal sealed class ConnectionBuilder(InterfaceConfig tunnel, DaemonOptions options, ushort commandPort)
{
    /// <summary>Connection <paramref name="index"/> from <paramref name="c"/>, its sockets taken from
    /// <paramref name="reuse"/> where the endpoints match, opened otherwise.</summary>
    public ConnectionRuntime Open(int index, ConnectionConfig c, SocketReuse reuse)
    {
        // MPT-SPEC §5.9: an IPv4 connection's local tunnel address is the tunnel's IPv4 address.
        if (c.IpVer != 6 && tunnel.Ipv4Address is { } v4 && !v4.Address.Equals(c.IpLocal))
        {
            Log.Info($"{c.FileName}: ip_local {c.IpLocal} replaced by the tunnel address {v4.Address} (as the original)");
            c = c with { IpLocal = v4.Address };
        }
        else if (c.IpVer == 6 && tunnel.Ipv6Address is { } v6 && !v6.Address.Equals(c.IpLocal))
        {
            Log.Warn($"{c.FileName}: ip_local {c.IpLocal} differs from the tunnel's IPv6 address {v6.Address} (B73)");
        }

        c = c with { LocalCmdPort = commandPort }; // MPT-SPEC §4.1: overwritten with the daemon's command port
        var paths = new PathRuntime[c.Paths.Count];
        ushort localPort = c.LocalPort;
        for (int p = 0; p < paths.Length; p++)
        {
            PathConfig pc = c.Paths[p];
            IPAddress local = ResolveLocal(c, pc);
            IPAddress publicAddress = pc.PublicIsPrivate || IsUnspecified(pc.PublicAddress) ? local : pc.PublicAddress;
            var path = new PathRuntime(p, pc, local, publicAddress, pc.RemoteAddress);
            path.Endpoint = new PathEndpoint(pc.RemoteAddress, c.RemotePort);
            string? device = Device(pc);
            var key = new SocketKey(local, localPort, pc.RemoteAddress, c.RemotePort, device);
            if (reuse.Take(key) is { } previous)
            {
                // Same endpoints: the socket (and its queued datagrams) carries on; the path's live state is carried
                // over by Continue, while the datapath is paused.
                path.Socket = previous.Socket;
                reuse.Previous[path] = previous;
            }
            else
            {
                path.Socket = LinuxUdpPathSocket.Open(local, localPort, pc.RemoteAddress, c.RemotePort, device, options.SocketBufferBytes, gro: options.Offload);
                reuse.Opened.Add(path.Socket);
            }

            if (localPort == 0)
            {
                // MPT-SPEC §2.1: the first path's ephemeral port becomes the connection's local_port.
                localPort = path.Socket!.LocalPort;
                c = c with { LocalPort = localPort };
            }

            paths[p] = path;
            // A connection that continues across a rebuild (every other one, when a server with a hundred clients gets
            // its next create) is logged only at debug level: its lines were logged when it started.
            Log.Write(reuse.Previous.ContainsKey(path) ? LogLevel.Debug : LogLevel.Info, $"{c.FileName}: path {p} {local}:{localPort} -> {pc.RemoteAddress}:{c.RemotePort} on {pc.InterfaceName}" +
                $"{(device is null ? "" : " (bound)")}, weight {pc.WeightOut}, status 0x{(int)pc.Status:x2}");
        }

        // Conflicting port maps were rejected when the configuration was loaded (ConnectionParser).
        PortMapTable? baked = options.BakedPortMap?.Invoke(c.FileName);
        PortMapTable portMap = PortMapTable.ForPaths(c.Paths, baked);
        LogPortMap(c, portMap, baked);
        var runtime = new ConnectionRuntime(index, c, paths, portMap, Address16.FromIPAddress(c.IpLocal), Address16.FromIPAddress(c.IpRemote));
        foreach (PathRuntime path in paths)
        {
            if (!reuse.Previous.ContainsKey(path))
            {
                WarnIfTooLarge(runtime, path);
            }
        }

        Log.Write(paths.All(reuse.Previous.ContainsKey) ? LogLevel.Debug : LogLevel.Info, $"{c.FileName}: {c.Name} {c.IpLocal} -> {c.IpRemote}, selection list [{string.Join(' ', runtime.Scheduler.List.ToArray())}]" +
            $"{(c.ReorderWindow > 0 ? $", reorder window {c.ReorderWindow}, hold {c.MaxBuffDelayMs} ms" : "")}");
        return runtime;
    }

    /// <summary>The sockets <paramref name="desired"/> needs (throws <see cref="DaemonStartException"/> when an address
    /// cannot be resolved, or when two paths would bind one address and port: MPT-SPEC B85, the two sockets would split
    /// the datagrams arriving there and each path drop its sibling's — what the config check cannot see, a reload or a
    /// create beside the running connections, or an address taken from an interface).</summary>
    public HashSet<SocketKey> WantedSockets(IReadOnlyList<ConnectionConfig> desired)
    {
        var wanted = new HashSet<SocketKey>();
        var bound = new Dictionary<(IPAddress Local, ushort Port), string>();
        foreach (ConnectionConfig c in desired)
        {
            for (int i = 0; i < c.Paths.Count; i++)
            {
                PathConfig p = c.Paths[i];
                IPAddress local = ResolveLocal(c, p);
                string which = $"{c.FileName} path_{i}";
                if (c.LocalPort != 0 && !bound.TryAdd((local, c.LocalPort), which))
                {
                    throw new DaemonStartException($"{which} binds {local} port {c.LocalPort} as {bound[(local, c.LocalPort)]} does: "
                        + "two sockets on one address and port split the datagrams between them (B85)");
                }

                wanted.Add(new SocketKey(local, c.LocalPort, p.RemoteAddress, c.RemotePort, Device(p)));
            }
        }

        return wanted;
    }

    /// <summary>The open sockets of <paramref name="connections"/>, by what identifies them.</summary>
    public List<(SocketKey, PathRuntime)> ReusableSockets(IReadOnlyList<ConnectionRuntime> connections)
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

    /// <summary>Carries counters, sequence, measurements and liveness over to the rebuilt connection <paramref name="c"/>
    /// and its paths that took over a socket, and decides each path's status: OK after a restart (MPT-SPEC §8.3), the
    /// runtime status where the configured one did not change (reload), else the configured one. The datapath threads
    /// write most of that state: they must be paused.</summary>
    public static void Continue(ConnectionRuntime c, ConnectionRuntime? previous, SocketReuse reuse, bool restart, long now)
    {
        if (previous is not null)
        {
            c.ContinueFrom(previous);
        }

        foreach (PathRuntime p in c.Paths)
        {
            PathRuntime? before = reuse.Previous.GetValueOrDefault(p);
            if (before is not null)
            {
                p.ContinueFrom(before);
            }

            if (restart)
            {
                // MPT-SPEC §8.3: restart sets every path OK; B33: with a fresh dead-timer grace.
                p.Status = PathStatus.Ok;
                p.StatusOrigin = StatusOrigin.Command;
                p.LastKeepaliveTicks = now;
                p.NextKeepaliveTicks = now;
                p.StatusChangedTicks = now;
            }
            else if (before is not null && before.Config.Status == p.Config.Status)
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

    /// <summary>Closes the sockets of <paramref name="c"/> that are not in <paramref name="keep"/>.</summary>
    public static void CloseSockets(ConnectionRuntime c, HashSet<IPathSocket>? keep)
    {
        foreach (PathRuntime p in c.Paths)
        {
            if (p.Socket is { } socket && (keep is null || !keep.Contains(socket)))
            {
                socket.Dispose();
            }
        }
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

    private static IPAddress ResolveLocal(ConnectionConfig c, PathConfig p)
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

    /// <summary>Warns when the tunnel's full-size packets, with this path's outer headers, exceed the MTU of the path's
    /// interface: they would leave fragmented (and be lost where fragments are).</summary>
    private void WarnIfTooLarge(ConnectionRuntime c, PathRuntime path)
    {
        PathConfig pc = path.Config;
        if (LinuxLinkState.Mtu(pc.InterfaceName) is not { } pathMtu)
        {
            return;
        }

        // The connection's own rules for what its packets carry: the sequence number, and the per-path numbers in the
        // key (toward an MptFast peer; the most they can be).
        int outer = OuterHeaders.Length(pc.RemoteAddress.AddressFamily == AddressFamily.InterNetworkV6, c.SendSequence, c.WantsPathSequence);
        if (tunnel.Mtu + outer > pathMtu)
        {
            Log.Warn($"{c.Config.FileName}: path {path.Index} on {pc.InterfaceName}: tunnel mtu {tunnel.Mtu} + {outer} bytes of outer headers " +
                $"exceeds the interface's MTU {pathMtu}: full-size packets leave fragmented; mtu = " +
                $"{OuterHeaders.LargestTunnelMtu(pathMtu, outer)} in [tun_0] fits");
        }
    }

    private string? Device(PathConfig p) => options.BindToDevice && LinuxLinkState.Exists(p.InterfaceName) ? p.InterfaceName : null;

    private static bool IsUnspecified(IPAddress a) => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any);
}

/// <summary>What identifies a path socket: bound address and port, connected peer, bound device.</summary>
internal readonly record struct SocketKey(IPAddress Local, ushort LocalPort, IPAddress Remote, ushort RemotePort, string? Device);

/// <summary>The sockets of the previous connections that a rebuilt path may take over, and what was opened anew.</summary>
internal sealed class SocketReuse(List<(SocketKey Key, PathRuntime Path)> candidates)
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
