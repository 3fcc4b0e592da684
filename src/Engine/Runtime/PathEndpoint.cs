using System.Net;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Runtime;

/// <summary>
/// Where a path's datagrams go and whom its receive side accepts: the peer's address and data port. Starts as the
/// configured <c>remote_ipaddr</c> and <c>remote_port</c> (MPT-SPEC §2.1); a peer behind NAT is found elsewhere
/// (issue 15: the address from an authenticated handshake, the port from the datagrams of that address). Immutable: a
/// move publishes a new object, so the receive thread reads address and port of one and the same endpoint.
/// </summary>
/// <param name="Address">The peer address.</param>
/// <param name="Port">The peer's data port.</param>
public sealed record PathEndpoint(IPAddress Address, ushort Port)
{
    /// <summary><see cref="Address"/> in 16-byte form, for the per-datagram sender check (MPT-SPEC §2.6 step 3).</summary>
    public Address16 Address16 { get; } = Address16.FromIPAddress(Address);

    /// <summary>"address:port" ([v6]:port).</summary>
    public override string ToString() => new IPEndPoint(Address, Port).ToString();
}
