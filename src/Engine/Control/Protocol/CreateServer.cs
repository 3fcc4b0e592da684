using System.Net;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Control.Protocol;

/// <summary>
/// Round 3 of a CONNECTION CREATE on the server (MPT-SPEC §4.7 server side, F80): parse the peer's text, refuse
/// duplicates (5), merge with the template, start the connection and answer with its text. Every field is
/// validated like a config file (B52); a start failure is an error code, not a crash (B55). Issue 15: a retry carrying
/// <see cref="CreateExtension"/> gets the existing connection's view, and the path it came over moves to its observed
/// source (NAT); issue 14 item 6: at most <see cref="ControlPeerState.MaxRemoteConnections"/> created connections.
/// </summary>
internal static class CreateServer
{
    /// <summary>File names of connections a create made (<see cref="ConnectionMerge.CreatedFileName"/>): what the cap counts.</summary>
    public const string CreatedPrefix = "peer_";

    /// <summary>Executes the create for the requester at <paramref name="from"/>; returns the result code and the round-4
    /// body. <paramref name="limited"/>: refused because the cap of created connections is reached.</summary>
    public static (byte Code, byte[] Body) Execute(IControlConnections connections, in ControlHeader header, ReadOnlySpan<byte> body,
        IPEndPoint from, out bool limited, out bool moved)
    {
        ArgumentNullException.ThrowIfNull(from);
        limited = false;
        moved = false;
        ConnectionConfig? template = connections.Template;
        ControlPeerState peerState = connections.Peer;
        if (template is null)
        {
            return (HandshakeCodes.BadRequest, []);
        }

        // B49: parse from the body start (a leading comment line is harmless), up to the first NUL as the original.
        int nul = body.IndexOf((byte)0);
        string text = Encoding.UTF8.GetString(nul >= 0 ? body[..nul] : body);
        ConfigParseResult<ConnectionConfig> parsed = ConnectionParser.Parse(text, "create-request.conf");
        if (parsed.Value is not ConnectionConfig peer
            || peer.IpVer != header.IpVersion
            || Address16.FromIPAddress(peer.IpLocal) != header.LocalTunnel)
        {
            return (HandshakeCodes.BadRequest, []);
        }

        IPAddress? localTunnel = peerState.TunnelAddress(peer.IpVer);
        if (localTunnel is null)
        {
            return (HandshakeCodes.BadRequest, []);
        }

        bool extended = CreateExtension.TryRead(text, out int viaPath);

        // §4.7 server step 2 (with the received addresses swapped), and the pair the new connection would have.
        int existing = ControlLookup.FindByTunnel(connections, header.RemoteTunnel, header.LocalTunnel);
        if (existing < 0)
        {
            existing = ControlLookup.FindByTunnel(connections, Address16.FromIPAddress(localTunnel), header.LocalTunnel);
        }

        if (existing >= 0)
        {
            // Issue 15: the retry of a create whose answer was lost gets the connection a create made for this requester.
            ConnectionConfig current = connections.Connection(existing);
            if (!extended || !current.FileName.StartsWith(CreatedPrefix, StringComparison.Ordinal) || !current.IpRemote.Equals(peer.IpLocal))
            {
                return (HandshakeCodes.Exists, [1]);
            }

            moved = Observe(connections, existing, viaPath, from);
            return (HandshakeCodes.Ok, Encoding.UTF8.GetBytes(ConfigWriter.WriteConnection(current, ConnectionFormat.Original)));
        }

        if (CreatedCount(connections) >= peerState.MaxRemoteConnections)
        {
            limited = true;
            return (HandshakeCodes.StartFailed, []);
        }

        // The template's port, or the next one no running connection binds: after a restart from `mptfast save` the
        // template starts over at its file's port while the saved connections still hold theirs, and two sockets on
        // one address and port split the datagrams between them (B85) — the older tunnel would go dark.
        template = template with { LocalPort = FreeLocalPort(connections, template.LocalPort, peerState.CommandPort) };
        ConnectionConfig created = ConnectionMerge.Merge(peer, template, localTunnel, peerState.CommandPort) with
        {
            FileName = ConnectionMerge.CreatedFileName(peer.IpLocal),
            Networks = ConnectionMerge.CreatedNetworks(peer),
            AuthKey = template.AuthKey, // B53: the key the requester had to prove, never one from the wire
        };
        if (CreateExtension.TryReadTimings(text, peer.Paths.Count, out int[] keepaliveMs, out int[] deadMs))
        {
            // The requester's millisecond liveness, as the table takes its keepalive_time and dead_time.
            created = created with
            {
                Paths = created.Paths.Select((p, i) => p with { KeepaliveMsec = keepaliveMs[i], DeadTimeMsec = deadMs[i] }).ToEquatableArray(),
            };
        }

        if (created.Paths.Count == 0 || !ConnectionMerge.PathFamiliesAgree(created) || !IsValidConnectionFile(created))
        {
            return (HandshakeCodes.BadRequest, []);
        }

        // §4.7 table: the next create gets the next port (0 = ephemeral stays 0).
        if (template.LocalPort is > 0 and < ushort.MaxValue)
        {
            connections.Template = template with { LocalPort = (ushort)(template.LocalPort + 1) };
        }

        if (!connections.TryStartCreated(created))
        {
            return (HandshakeCodes.StartFailed, []);
        }

        if (extended)
        {
            moved = Observe(connections, ControlLookup.FindByTunnel(connections, Address16.FromIPAddress(localTunnel), header.LocalTunnel), viaPath, from);
        }

        return (HandshakeCodes.Ok, Encoding.UTF8.GetBytes(ConfigWriter.WriteConnection(created, ConnectionFormat.Original)));
    }

    /// <summary><paramref name="from"/>, or the first port above it that no running connection binds and that is not
    /// the command port; 0 (ephemeral: the reply carries the bound port) stays 0, and so does a search that runs out of
    /// ports.</summary>
    internal static ushort FreeLocalPort(IControlConnections connections, ushort from, ushort commandPort)
    {
        if (from == 0)
        {
            return 0;
        }

        var taken = new HashSet<ushort> { commandPort };
        for (int i = 0; i < connections.Count; i++)
        {
            taken.Add(connections.Connection(i).LocalPort);
        }

        for (int port = from; port <= ushort.MaxValue; port++)
        {
            if (!taken.Contains((ushort)port))
            {
                return (ushort)port;
            }
        }

        return 0;
    }

    // The request came over the requester's path viaPath from that path's address (NAT: its mapping).
    private static bool Observe(IControlConnections connections, int connection, int viaPath, IPEndPoint from) =>
        connection >= 0 && viaPath >= 0 && viaPath < connections.Connection(connection).Paths.Count
        && connections.MovePath(connection, viaPath, from.Address);

    private static int CreatedCount(IControlConnections connections)
    {
        int n = 0;
        for (int i = 0; i < connections.Count; i++)
        {
            if (connections.Connection(i).FileName.StartsWith(CreatedPrefix, StringComparison.Ordinal))
            {
                n++;
            }
        }

        return n;
    }

    // The merged connection must be one a connection file could hold: mpt save writes it and the next start reads it, and
    // the reply body describes it. A peer's local_port 0 would otherwise become remote_port 0 (found by fuzzing: the
    // create body must carry the ports the peer bound, §5.10), and its weight_in 0 on every path no usable weight_out.
    private static bool IsValidConnectionFile(ConnectionConfig created) =>
        ConnectionParser.Parse(ConfigWriter.WriteConnection(created, ConnectionFormat.Full), created.FileName).Succeeded;
}
