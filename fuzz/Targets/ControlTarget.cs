using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Control.Protocol;
using MptFast.Engine.Wire;

namespace MptFast.Fuzz;

/// <summary>
/// Control messages from a peer through <see cref="ControlResponder"/> (MPT-SPEC §4.2–§4.7). A mutated SHA-256 message
/// fails authentication before anything else runs, so the harness signs on request, with the key the responder uses
/// (the connection's, or the template's for a create, §4.4), fills in the token of the last round 2, and can send the
/// matching round 1 first — then the create body parser (§4.7 server step 1) sees the fuzzed text.
/// </summary>
/// <remarks>
/// Input: one byte choosing the <see cref="ControlDaemonKind"/>, then up to 8 records of [mode][length: 2 bytes BE][message].
/// Mode bit 0 signs, bit 1 sets the token, bit 2 sends a signed round 1 announcing this message's body first; the high
/// nibble advances the clock by that many seconds. Invariants: no exception; every datagram is answered, counted as a
/// rejection, or an accepted keepalive (the counters add up); an accepted message decodes and, with SHA-256, carries
/// a valid digest (recomputed here with the BCL's SHA-256); a reply is the request's command, next round, same auth
/// and addresses, signed; a created connection's reply body parses back as a connection, keeps the template's key
/// (B53); peers only move paths between OK and PATH_DOWN (B38); create-body diagnostics carry file:line positions.
/// </remarks>
internal static class ControlTarget
{
    public const byte ModeSign = 0x01, ModeToken = 0x02, ModeRound1First = 0x04;
    private const int MaxMessages = 8;
    private const uint Token = 0x67607431; // the responder's token in the capture (ctrl-*-sha256-r2)
    private static readonly IPEndPoint Peer = new(IPAddress.Parse("198.18.1.1"), 60456);

    public static void Run(ReadOnlySpan<byte> data)
    {
        var reader = new FuzzReader(data);
        var daemon = new ControlDaemon((ControlDaemonKind)(reader.Byte() & 3));
        var responder = new ControlResponder(daemon, new ConstantTokens());
        long now = 1_000_000;
        long sent = 0;
        uint lastToken = 0;
        for (int m = 0; m < MaxMessages && !reader.AtEnd; m++)
        {
            byte mode = reader.Byte();
            byte[] message = reader.Bytes(reader.UInt16()).ToArray();
            now += (mode >> 4) * 1000L;
            if ((mode & ModeToken) != 0 && message.Length >= 8)
            {
                ControlAuth.WriteToken(message, lastToken);
            }

            if ((mode & ModeSign) != 0)
            {
                Sign(daemon, message);
            }

            if ((mode & ModeRound1First) != 0 && Round1For(daemon, message) is { } round1)
            {
                ResponderResult r1 = responder.Respond(round1, Peer, now);
                sent++;
                CheckResult(daemon, round1, r1, ref lastToken);
                if ((mode & ModeToken) != 0 && message.Length >= 8)
                {
                    ControlAuth.WriteToken(message, lastToken);
                    Sign(daemon, message);
                }
            }

            CheckCreateBody(message);
            int createdBefore = daemon.Created.Count;
            ResponderResult result = responder.Respond(message, Peer, now);
            sent++;
            CheckResult(daemon, message, result, ref lastToken);
            CheckCreated(daemon, result, createdBefore);
        }

        long counted = responder.Answered + responder.KeepalivesAccepted;
        foreach (ResponderRejection reason in Enum.GetValues<ResponderRejection>())
        {
            counted += reason == ResponderRejection.None ? 0 : responder.Rejected(reason);
        }

        Fuzz.Require(counted == sent, $"control: {sent} datagrams but {counted} counted");
        Fuzz.Require(responder.SessionCount <= ControlResponder.MaxSessions, "control: more sessions than the bound");
        foreach ((PathStatus from, PathStatus to, StatusChangeOrigin origin) in daemon.Changes)
        {
            bool allowed = origin == StatusChangeOrigin.Keepalive
                ? from == PathStatus.Down && to == PathStatus.Ok
                : origin == StatusChangeOrigin.Peer && from is PathStatus.Ok or PathStatus.Down && to is PathStatus.Ok or PathStatus.Down && from != to;
            Fuzz.Require(allowed, $"control: a peer moved a path {from} → {to} ({origin}; B38)");
        }
    }

    /// <summary>The key the responder verifies <paramref name="message"/> with (§4.4): the template's for a create, else
    /// the connection's (every connection here has the capture key).</summary>
    public static byte[] KeyFor(ControlDaemon daemon, ReadOnlySpan<byte> message) =>
        ControlAuth.DeriveKey(message.Length > 0 && message[0] == (byte)ControlCommand.ConnectionCreate || daemon.Count == 0
            ? ControlDaemon.LoadedTemplate.AuthKey
            : daemon.Connection(0).AuthKey);

    private static void Sign(ControlDaemon daemon, byte[] message)
    {
        if (message.Length >= 3 && message[2] == (byte)ControlAuthType.Sha256)
        {
            ControlAuth.Sign(message, KeyFor(daemon, message));
        }
    }

    // The round 1 an initiator sends before this round 3 (§4.5): same header, announcing this body's length.
    private static byte[]? Round1For(ControlDaemon daemon, byte[] message)
    {
        if (ControlCodec.Decode(message, out ControlHeader header) != ControlStatus.Ok || header.Round != 3)
        {
            return null;
        }

        byte[] round1 = new byte[header.BodyOffset + ControlCodec.AnnounceBodyLength];
        ControlCodec.EncodeAnnounce(round1, header with { Round = 1, Token = 0 }, (uint)header.BodyLength, out _);
        Sign(daemon, round1);
        return round1;
    }

    private static void CheckResult(ControlDaemon daemon, byte[] message, in ResponderResult result, ref uint lastToken)
    {
        if (result.Rejection != ResponderRejection.None)
        {
            Fuzz.Require(result.Reply is null, "control: a rejected datagram got a reply");
            return;
        }

        Fuzz.Require(ControlCodec.Decode(message, out ControlHeader request) == ControlStatus.Ok, "control: accepted a message that does not decode");
        if (request.Command == ControlCommand.Keepalive)
        {
            Fuzz.Require(result.Reply is null, "control: a keepalive was answered");
            return;
        }

        int connection = ControlLookup.FindByTunnel(daemon, request.RemoteTunnel, request.LocalTunnel);
        int configured = request.Command == ControlCommand.ConnectionCreate ? 2 : daemon.Connection(connection).AuthType;
        Fuzz.Require((int)request.AuthType == configured, "control: accepted an auth type other than the configured one (B44)");
        Fuzz.Require(configured != 2 || DigestValid(message, KeyFor(daemon, message)), "control: accepted a message without a valid SHA-256 digest");
        Fuzz.Require(result.Reply is not null, "control: an accepted request got no reply");

        byte[] reply = result.Reply!;
        Fuzz.Require(ControlCodec.Decode(reply, out ControlHeader answer) == ControlStatus.Ok, "control: the reply does not decode");
        Fuzz.Require(answer.Command == request.Command && answer.Round == request.Round + 1 && answer.AuthType == request.AuthType
            && answer.LocalTunnel == request.LocalTunnel && answer.RemoteTunnel == request.RemoteTunnel,
            "control: the reply is not the request's command, next round, auth and addresses");
        Fuzz.Require(configured != 2 || DigestValid(reply, KeyFor(daemon, message)), "control: the reply's digest is not valid");
        Fuzz.Require(answer.Round != 2 || answer.BodyLength == ControlCodec.AnnounceBodyLength, "control: round 2 body is not the announced length");
        FuzzReach.ControlReplies++;
        if (answer.Round == 2)
        {
            lastToken = answer.Token;
        }
    }

    private static void CheckCreated(ControlDaemon daemon, in ResponderResult result, int createdBefore)
    {
        if (daemon.Created.Count == createdBefore)
        {
            return;
        }

        Fuzz.Require(daemon.Created.Count == createdBefore + 1 && result.Reply is not null, "control: a create started connections without one reply");
        ConnectionConfig created = daemon.Created[^1];
        FuzzReach.CreatesExecuted++;
        Fuzz.Require(created.AuthKey == ControlDaemon.LoadedTemplate.AuthKey, "control: a created connection took a key that is not the template's (B53)");
        ControlCodec.Decode(result.Reply!, out ControlHeader answer);
        Fuzz.Require(answer.Parameter == HandshakeCodes.Ok, "control: a connection was created but the reply says it failed");
        string body = Encoding.UTF8.GetString(answer.BodyOf(result.Reply!));
        ConfigParseResult<ConnectionConfig> parsed = ConnectionParser.Parse(body, "reply.conf");
        Fuzz.Require(parsed.Succeeded, "control: the create reply body does not parse: " + (parsed.Errors.Count > 0 ? parsed.Errors[0].ToString() : ""));
        Fuzz.Require(parsed.Value!.Name == created.Name && parsed.Value.Paths.Count == created.Paths.Count, "control: the create reply body is not the created connection");
    }

    // §4.7 server step 1 parses the round-3 body as a connection file; whatever the text, its diagnostics name positions.
    private static void CheckCreateBody(byte[] message)
    {
        if (ControlCodec.Decode(message, out ControlHeader header) != ControlStatus.Ok || header.Command != ControlCommand.ConnectionCreate || header.Round != 3)
        {
            return;
        }

        ReadOnlySpan<byte> body = header.BodyOf(message);
        int nul = body.IndexOf((byte)0);
        string text = Encoding.UTF8.GetString(nul >= 0 ? body[..nul] : body);
        int lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Length;
        ConfigTarget.CheckDiagnostics(ConnectionParser.Parse(text, "create-request.conf"), "create-request.conf", lines);
    }

    /// <summary>SHA-256(message with bytes 8..39 zeroed ‖ K) = bytes 8..39 (§4.4), computed with the BCL alone.</summary>
    private static bool DigestValid(ReadOnlySpan<byte> message, byte[] key)
    {
        if (message.Length < 76)
        {
            return false;
        }

        byte[] copy = [.. message, .. key];
        copy.AsSpan(8, 32).Clear();
        return SHA256.HashData(copy).AsSpan().SequenceEqual(message.Slice(8, 32));
    }

    private sealed class ConstantTokens : IControlTokenSource
    {
        public uint NextToken() => Token;
    }

    /// <summary>A seed record: [mode][length BE][message].</summary>
    public static byte[] Record(byte mode, ReadOnlySpan<byte> message)
    {
        byte[] r = new byte[3 + message.Length];
        r[0] = mode;
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(1), (ushort)message.Length);
        message.CopyTo(r.AsSpan(3));
        return r;
    }
}
