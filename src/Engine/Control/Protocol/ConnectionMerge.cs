using System.Net;
using MptFast.Engine.Config;

namespace MptFast.Engine.Control.Protocol;

/// <summary>
/// <c>conn_merge</c> of MPT-SPEC §4.7: the mirror of a peer's connection built from the peer's view and a local
/// base (the template on the server, the own connection on the client). Pure; callers set file name, key and
/// networks per side.
/// </summary>
public static class ConnectionMerge
{
    /// <summary>
    /// Merges per the §4.7 table: identity and timing from <paramref name="peer"/>, local addresses and policy from
    /// <paramref name="local"/>, paths paired by index (count = the smaller), weights swapped, remote path address =
    /// the peer's public address. The key is the local one — never taken from the wire (B53).
    /// </summary>
    public static ConnectionConfig Merge(ConnectionConfig peer, ConnectionConfig local, IPAddress localTunnel, ushort commandPort)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(localTunnel);
        int pathCount = Math.Min(peer.Paths.Count, local.Paths.Count);
        int window = Math.Max(peer.ReorderWindow, local.ReorderWindow);
        var paths = new PathConfig[pathCount];
        for (int i = 0; i < pathCount; i++)
        {
            PathConfig p = peer.Paths[i];
            PathConfig t = local.Paths[i];
            paths[i] = new PathConfig
            {
                IpVer = p.IpVer,
                InterfaceName = t.InterfaceName,
                PrivateAddress = t.PrivateAddress,
                PublicAddress = t.PublicAddress,
                PublicIsPrivate = t.PublicIsPrivate,
                GatewayAddress = t.GatewayAddress,
                RemoteAddress = ControlLookup.PublicAddress(p),
                KeepaliveTime = p.KeepaliveTime,
                DeadTime = p.DeadTime,
                WeightOut = p.WeightIn,
                WeightIn = p.WeightOut,
                Status = t.Status,
            };
        }

        return new ConnectionConfig
        {
            Name = peer.Name,
            Permission = local.Permission,
            IpVer = peer.IpVer,
            IpLocal = localTunnel,
            LocalPort = local.LocalPort,
            LocalCmdPort = commandPort,
            IpRemote = peer.IpLocal,
            RemotePort = peer.LocalPort,
            RemoteCmdPort = peer.LocalCmdPort,
            Status = local.Status,
            ReorderWindow = window,
            // auto is the largest window with the hold from the measured delays: kept when the larger side asked for it.
            ReorderAuto = (peer.ReorderAuto || local.ReorderAuto) && window == ConnectionConfig.MaxReorderWindow,
            MaxBuffDelayMs = local.MaxBuffDelayMs,
            // MptFast's own keys (the table predates them) say how this side sends and receives: the template's on the
            // server, the connection's own on the client — never the defaults (a create used to drop them).
            Scheduler = local.Scheduler,
            LossRecovery = local.LossRecovery,
            EqualizeDelay = local.EqualizeDelay,
            EqualizeAcks = local.EqualizeAcks,
            EqualizeAuto = local.EqualizeAuto,
            ProbeIntervalMs = local.ProbeIntervalMs,
            AuthType = peer.AuthType,
            AuthKey = local.AuthKey,
            Paths = paths.ToEquatableArray(),
        };
    }

    /// <summary>
    /// The single network of a created connection (§4.7 table): any source (all-zero /0) to the peer's tunnel address
    /// as a host prefix; none when the peer announced no network.
    /// </summary>
    public static EquatableArray<NetworkConfig> CreatedNetworks(ConnectionConfig peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (peer.Networks.Count == 0)
        {
            return EquatableArray<NetworkConfig>.Empty;
        }

        bool v6 = peer.IpVer == 6;
        var network = new NetworkConfig(
            v6 ? 6 : 4,
            new IpPrefix(v6 ? IPAddress.IPv6Any : IPAddress.Any, 0),
            new IpPrefix(peer.IpLocal, v6 ? 128 : 32));
        return new[] { network }.ToEquatableArray();
    }

    /// <summary>File name of a created connection: <c>peer_</c> + the peer's tunnel address with '.' and ':' → '_' + <c>.conf</c>.</summary>
    public static string CreatedFileName(IPAddress peerTunnel)
    {
        ArgumentNullException.ThrowIfNull(peerTunnel);
        return "peer_" + peerTunnel.ToString().Replace('.', '_').Replace(':', '_') + ".conf";
    }

    /// <summary>True when every merged path's local addresses are of the family the peer declared for it.</summary>
    public static bool PathFamiliesAgree(ConnectionConfig merged)
    {
        ArgumentNullException.ThrowIfNull(merged);
        foreach (PathConfig p in merged.Paths)
        {
            bool v6 = p.IpVer == 6;
            if (IsV6(p.PrivateAddress) != v6 || IsV6(p.RemoteAddress) != v6)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsV6(IPAddress a) => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
}
