using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Control.Protocol;

/// <summary>Small lookups over <see cref="IControlConnections"/> shared by the initiator and responder sides.</summary>
public static class ControlLookup
{
    /// <summary>
    /// Index of the connection whose own tunnel pair is (<paramref name="local"/>, <paramref name="remote"/>), or -1.
    /// Exact 16-byte comparison, not the original's buggy IPv6 network matcher (MPT-SPEC §4.2, §2.7 Required).
    /// </summary>
    public static int FindByTunnel(IControlConnections connections, Address16 local, Address16 remote)
    {
        ArgumentNullException.ThrowIfNull(connections);
        for (int i = 0; i < connections.Count; i++)
        {
            ConnectionConfig c = connections.Connection(i);
            if (Address16.FromIPAddress(c.IpLocal) == local && Address16.FromIPAddress(c.IpRemote) == remote)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Index of the connection loaded from <paramref name="fileName"/> (bare name, ordinal), or -1.</summary>
    public static int FindByFileName(IControlConnections connections, string fileName)
    {
        ArgumentNullException.ThrowIfNull(connections);
        for (int i = 0; i < connections.Count; i++)
        {
            if (string.Equals(connections.Connection(i).FileName, fileName, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The address the peer knows for this end of a path: <c>public_ipaddr</c>, or the private one when "same as private" (§9.9).</summary>
    public static IPAddress PublicAddress(PathConfig path)
    {
        ArgumentNullException.ThrowIfNull(path);
        bool unspecified = path.PublicAddress.Equals(IPAddress.Any) || path.PublicAddress.Equals(IPAddress.IPv6Any);
        return path.PublicIsPrivate || unspecified ? path.PrivateAddress : path.PublicAddress;
    }

    /// <summary>The connection's own tunnel pair in the 16-byte form.</summary>
    public static (Address16 Local, Address16 Remote) Tunnel(ConnectionConfig connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return (Address16.FromIPAddress(connection.IpLocal), Address16.FromIPAddress(connection.IpRemote));
    }

    /// <summary>True when the permission value has the bit (MPT-SPEC Appendix A, B57).</summary>
    public static bool Allows(int permission, ConnectionPermission bit) => ((ConnectionPermission)permission & bit) == bit;

    /// <summary>Whether two addresses are the same host, treating IPv4 and IPv4-mapped IPv6 as equal.</summary>
    public static bool SameHost(IPAddress a, IPAddress b) => Address16.FromIPAddress(a) == Address16.FromIPAddress(b);
}
