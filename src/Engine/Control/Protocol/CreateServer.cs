using System.Net;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Control.Protocol;

/// <summary>
/// Round 3 of a CONNECTION CREATE on the server (MPT-SPEC §4.7 server side, F80): parse the peer's text, refuse
/// duplicates (5), merge with the template, start the connection and answer with its text. Every field is
/// validated like a config file (B52); a start failure is an error code, not a crash (B55).
/// </summary>
internal static class CreateServer
{
    /// <summary>Executes the create; returns the result code and the round-4 body.</summary>
    public static (byte Code, byte[] Body) Execute(IControlConnections connections, in ControlHeader header, ReadOnlySpan<byte> body)
    {
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

        // §4.7 server step 2 (with the received addresses swapped), and the pair the new connection would have.
        if (ControlLookup.FindByTunnel(connections, header.RemoteTunnel, header.LocalTunnel) >= 0
            || ControlLookup.FindByTunnel(connections, Address16.FromIPAddress(localTunnel), header.LocalTunnel) >= 0)
        {
            return (HandshakeCodes.Exists, [1]);
        }

        ConnectionConfig created = ConnectionMerge.Merge(peer, template, localTunnel, peerState.CommandPort) with
        {
            FileName = ConnectionMerge.CreatedFileName(peer.IpLocal),
            Networks = ConnectionMerge.CreatedNetworks(peer),
            AuthKey = template.AuthKey, // B53: the key the requester had to prove, never one from the wire
        };
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

        return (HandshakeCodes.Ok, Encoding.UTF8.GetBytes(ConfigWriter.WriteConnection(created, ConnectionFormat.Original)));
    }

    // The merged connection must be one a connection file could hold: mpt save writes it and the next start reads it, and
    // the reply body describes it. A peer's local_port 0 would otherwise become remote_port 0 (found by fuzzing: the
    // create body must carry the ports the peer bound, §5.10), and its weight_in 0 on every path no usable weight_out.
    private static bool IsValidConnectionFile(ConnectionConfig created) =>
        ConnectionParser.Parse(ConfigWriter.WriteConnection(created, ConnectionFormat.Full), created.FileName).Succeeded;
}
