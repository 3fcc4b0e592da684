using System.Net;
using System.Net.Sockets;
using MptFast.Engine.Config;
using MptFast.Engine.Logging;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Daemon;

/// <summary>
/// The routes this daemon installed (MPT-SPEC §9.3): per connection, a host route to each path's remote address on its
/// interface, a host route to the peer's tunnel address on the TUN and one route per <c>[net_N]</c> — removed again when
/// the connection stops, unless another running connection installed the same route. Also the temporary route to a
/// create requester (§4.5 step 10). Control thread (and start-up/shutdown).
/// </summary>
internal sealed class InstalledRoutes
{
    private readonly LinkConfigurator _link;
    private readonly string _tunName;
    private readonly bool _enabled;
    private readonly Dictionary<ConnectionRuntime, List<Route>> _routes = [];

    /// <summary>Routes through <paramref name="link"/> for the TUN <paramref name="tunName"/>; with
    /// <paramref name="enabled"/> false (DaemonOptions.InstallRoutes) nothing is installed.</summary>
    public InstalledRoutes(LinkConfigurator link, string tunName, bool enabled)
    {
        _link = link;
        _tunName = tunName;
        _enabled = enabled;
    }

    /// <summary>MPT-SPEC §9.3: per-path host routes, the tunnel peer route and the network routes of one connection
    /// (again, after <c>mpt int IF up</c>: <c>ip route replace</c> is idempotent).</summary>
    public void Install(ConnectionRuntime runtime)
    {
        var installed = new List<Route>();
        _routes[runtime] = installed;
        if (!_enabled)
        {
            return;
        }

        ConnectionConfig c = runtime.Config;
        foreach (PathRuntime path in runtime.Paths)
        {
            PathConfig p = path.Config;
            if (LinuxLinkState.Exists(p.InterfaceName))
            {
                Add(c.FileName, HostRoute(p.RemoteAddress, p), installed);
                if (!path.Endpoint.Address.Equals(p.RemoteAddress))
                {
                    Add(c.FileName, HostRoute(path.Endpoint.Address, p), installed); // the peer found behind NAT (issue 15)
                }
            }
        }

        Add(c.FileName, new Route(new IpPrefix(c.IpRemote, c.IpVer == 6 ? 128 : 32), null, _tunName), installed);
        foreach (NetworkConfig n in c.Networks)
        {
            // Via the remote tunnel address when the families agree; otherwise straight into the TUN.
            Add(c.FileName, new Route(n.Destination, n.Destination.IsIPv6 == (c.IpVer == 6) ? c.IpRemote : null, _tunName), installed);
        }
    }

    /// <summary>
    /// <paramref name="next"/> continues <paramref name="previous"/> with the same configuration and peer endpoints: its
    /// routes are the same, so they are taken over without an <c>ip</c> call (a create on a server with a hundred clients
    /// must not re-run every client's routes). False when they differ or <paramref name="previous"/> installed none.
    /// </summary>
    public bool Carry(ConnectionRuntime previous, ConnectionRuntime next)
    {
        if (previous.Config != next.Config || !SameEndpoints(previous, next) || !_routes.Remove(previous, out List<Route>? installed))
        {
            return false;
        }

        _routes[next] = installed;
        return true;
    }

    private static bool SameEndpoints(ConnectionRuntime a, ConnectionRuntime b)
    {
        for (int i = 0; i < a.Paths.Length && i < b.Paths.Length; i++)
        {
            if (!a.Paths[i].Endpoint.Address.Equals(b.Paths[i].Endpoint.Address))
            {
                return false;
            }
        }

        return a.Paths.Length == b.Paths.Length;
    }

    /// <summary>Removes the routes of <paramref name="runtime"/> that no current connection installed as well.</summary>
    public void Remove(ConnectionRuntime runtime)
    {
        if (!_routes.Remove(runtime, out List<Route>? installed))
        {
            return;
        }

        foreach (Route route in installed)
        {
            if (!_routes.Values.Any(list => list.Contains(route)))
            {
                _link.DeleteRoute(route.Destination, route.Via, route.Device);
            }
        }
    }

    /// <summary>
    /// MPT-SPEC §4.5 step 10 (F87): while this daemon answers a connection-create request, a host route to the requester
    /// through <paramref name="template"/>'s <c>cmd_default</c> path (the last one marked), unless a path of
    /// <paramref name="running"/> already has the requester as its remote address — a new peer is often reachable only
    /// that way. Null when no route is needed or it could not be added (an existing route is left alone and never
    /// deleted); dispose the result once the reply is sent.
    /// </summary>
    public IDisposable? TemporaryRouteTo(IPAddress requester, ConnectionConfig? template, IReadOnlyList<ConnectionRuntime> running)
    {
        IPAddress address = requester.IsIPv4MappedToIPv6 ? requester.MapToIPv4() : requester;
        PathConfig? through = template?.Paths.LastOrDefault(p => p.CmdDefault);
        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        if (!_enabled || through is null || (through.IpVer == 6) != v6
            || running.Any(c => c.Config.Paths.Any(p => p.RemoteAddress.Equals(address))))
        {
            return null;
        }

        Route route = HostRoute(address, through);
        LinkCommandResult added = _link.AddRoute(route.Destination, route.Via, route.Device);
        if (!added.Succeeded)
        {
            Log.Debug($"create request from {address}: temporary route {route} not added: {added.StandardError.Trim()}");
            return null;
        }

        Log.Info($"create request from {address}: temporary route {route} while replying");
        return new TemporaryRoute(_link, route);
    }

    /// <summary>A host route to <paramref name="destination"/> via <paramref name="path"/>'s gateway (none when unset or
    /// the destination itself) on the path's interface.</summary>
    private static Route HostRoute(IPAddress destination, PathConfig path) =>
        new(new IpPrefix(destination, destination.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32),
            IsUnspecified(path.GatewayAddress) || path.GatewayAddress.Equals(destination) ? null : path.GatewayAddress,
            path.InterfaceName);

    private void Add(string file, Route route, List<Route> installed)
    {
        LinkCommandResult r = _link.ReplaceRoute(route.Destination, route.Via, route.Device);
        if (!r.Succeeded)
        {
            Log.Warn($"{file}: route {route}: {r.StandardError}");
            return;
        }

        installed.Add(route);
    }

    private static bool IsUnspecified(IPAddress a) => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any);

    /// <summary>A route this daemon installed.</summary>
    private readonly record struct Route(IpPrefix Destination, IPAddress? Via, string Device)
    {
        public override string ToString() => $"{Destination}{(Via is null ? "" : " via " + Via)} dev {Device}";
    }

    private sealed class TemporaryRoute(LinkConfigurator link, Route route) : IDisposable
    {
        private bool _removed;

        public void Dispose()
        {
            if (_removed)
            {
                return;
            }

            _removed = true;
            LinkCommandResult r = link.DeleteRoute(route.Destination, route.Via, route.Device);
            if (!r.Succeeded)
            {
                Log.Warn($"temporary route {route}: delete failed: {r.StandardError.Trim()}");
            }
        }
    }
}
