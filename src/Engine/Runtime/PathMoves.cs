using System.Net;

namespace MptFast.Engine.Runtime;

/// <summary>
/// Moving a path to where its peer really is (issue 15: clients behind NAT and clients whose address changes). The
/// peer's ADDRESS moves only on an authenticated control message that came over the path itself (the control thread,
/// <see cref="MoveAddress"/>); the peer's data PORT follows its authentic probes from that address (the receive thread,
/// <see cref="FollowPort"/>, only for a probe whose MAC and send time <c>RxPump.Authentic</c> accepted): a NAT maps the
/// data socket's port independently of the command socket's, and only the datagrams of that socket show it. Data and
/// plain keepalives carry no proof and move nothing; from any other address they stay a counted drop (MPT-SPEC §2.6
/// step 3).
/// </summary>
public static class PathMoves
{
    /// <summary>
    /// Sends and accepts from <paramref name="address"/> from now on (the port is kept until the peer's data shows its
    /// mapping). True when the path moved. Control thread.
    /// </summary>
    public static bool MoveAddress(PathRuntime path, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(address);
        IPAddress normal = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        PathEndpoint current = path.Endpoint;
        if (current.Address.Equals(normal) || normal.AddressFamily != current.Address.AddressFamily)
        {
            return false;
        }

        Publish(path, new PathEndpoint(normal, current.Port));
        return true;
    }

    /// <summary>
    /// An authentic probe from the path's current address arrived from <paramref name="port"/>: sends go there from now
    /// on. Only for paths whose connection authenticates with SHA-256 (the probe's MAC proves the sender); a rare event
    /// (a NAT's new mapping), so the one allocation does not touch the steady state. Receive thread.
    /// </summary>
    public static void FollowPort(PathRuntime path, ushort port)
    {
        ArgumentNullException.ThrowIfNull(path);
        PathEndpoint current = path.Endpoint;
        if (current.Port != port && port != 0)
        {
            Publish(path, current with { Port = port });
            Interlocked.Increment(ref path.PortMovesField);
        }
    }

    private static void Publish(PathRuntime path, PathEndpoint next)
    {
        path.Socket?.Retarget(next.Address, next.Port); // first the socket, so a sender check never accepts what we cannot answer
        path.Endpoint = next;
    }
}
