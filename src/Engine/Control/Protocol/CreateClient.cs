using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Control.Protocol;

/// <summary>How a <c>mpt create FILE</c> ended.</summary>
public enum CreateClientStatus : byte
{
    /// <summary>The server created the connection; the local one was merged with its view and restarted.</summary>
    Created,

    /// <summary>The server created the connection but its reply could not be used (cut short by an original peer, B50, or for another pair); the local connection is unchanged.</summary>
    CreatedNotMerged,

    /// <summary>Round 2 was answered but round 4 never came: the server may or may not have created it (§4.7 step 5, B51).</summary>
    Unknown,

    /// <summary>The handshake failed or the server refused; see the code (5 = already exists).</summary>
    Failed,

    /// <summary>No loaded connection has that file name.</summary>
    UnknownFile,

    /// <summary>No path in 0x00/0x80 from the <c>cmd_default</c> path on (code 6).</summary>
    NoUsablePath,

    /// <summary>The connection's permission lacks the SEND bit (B57).</summary>
    NotPermitted,
}

/// <summary>Result of <see cref="CreateClient.Start"/> (immediately for local failures, else when the handshake ends).</summary>
/// <param name="Status">What happened.</param>
/// <param name="Code">Handshake/result code (§4.10).</param>
/// <param name="Merged">The merged connection (status <see cref="CreateClientStatus.Created"/>).</param>
public sealed record CreateClientOutcome(CreateClientStatus Status, byte Code, ConnectionConfig? Merged);

/// <summary>
/// CONNECTION CREATE, client side (MPT-SPEC §4.7 steps 1–6, F79): serialise the connection in the original save
/// format (which starts with the comment line original servers skip), send it through the <c>cmd_default</c> rule's
/// path, merge the server's answer and restart the local connection.
/// </summary>
public sealed class CreateClient
{
    /// <summary>
    /// Handshakes one create may take: a create whose answer never came (the server busy creating a hundred others, or
    /// its round 4 lost) is sent again; the server answers the retry with the connection it made (issue 15,
    /// <see cref="CreateExtension"/>). A refused create is not answered either (§4.5), so all attempts together
    /// (3 × <see cref="HandshakeInitiator.MaxAttempts"/> × <see cref="HandshakeInitiator.RetryIntervalMs"/> = 9 s) stay
    /// inside the command line's default wait (command_timeout 15 s) and mpt create reports the refusal itself.
    /// </summary>
    public const int MaxAttempts = 3;

    private readonly IControlConnections _connections;
    private readonly HandshakeEngine _engine;
    private readonly PathAnnouncer? _announcer;

    /// <summary>Creates the client over the daemon's connections and the shared handshake engine; after a create the
    /// paths are announced through <paramref name="announcer"/> (issue 15: NAT).</summary>
    public CreateClient(IControlConnections connections, HandshakeEngine engine, PathAnnouncer? announcer = null)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(engine);
        _connections = connections;
        _engine = engine;
        _announcer = announcer;
    }

    /// <summary>Whether requests carry the <see cref="CreateExtension"/> line (tests compare the original's bytes without it).</summary>
    public bool SendsExtension { get; init; } = true;

    /// <summary>Creates sent again after no answer.</summary>
    public long Retries { get; private set; }

    /// <summary>
    /// Starts the create for the connection loaded from <paramref name="fileName"/>. <paramref name="onDone"/> runs
    /// once: now for local failures (the return value is then the same outcome), later from the engine otherwise.
    /// </summary>
    public CreateClientOutcome? Start(string fileName, long now, Action<CreateClientOutcome> onDone)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(onDone);
        int index = ControlLookup.FindByFileName(_connections, fileName);
        CreateClientOutcome? early = index < 0 ? new(CreateClientStatus.UnknownFile, HandshakeCodes.BadRequest, null) : null;
        ConnectionConfig? c = index >= 0 ? _connections.Connection(index) : null;
        int via = c is null ? -1 : TargetPath(_connections, index);
        if (c is not null && !ControlLookup.Allows(c.Permission, ConnectionPermission.Send))
        {
            early = new(CreateClientStatus.NotPermitted, HandshakeCodes.BadRequest, null);
        }
        else if (c is not null && via < 0)
        {
            early = new(CreateClientStatus.NoUsablePath, HandshakeCodes.NoUsablePath, null);
        }

        if (early is not null || c is null)
        {
            onDone(early!);
            return early;
        }

        // §4.7 step 1/3: the save format (starts with a ≥ 5-character comment line) without the key (B53), and the
        // extension's comment line (view-on-exists, the path it travels over), which an original server skips.
        byte[] body = Encoding.UTF8.GetBytes(ConfigWriter.WriteConnection(c, ConnectionFormat.Original) + (SendsExtension ? CreateExtension.Line(via, c) : ""));
        var request = HandshakeRequest.ForConnection(c, ControlCommand.ConnectionCreate, 0, body, c.Paths[via].RemoteAddress);
        Send(request, fileName, c, attempt: 1, now, onDone);
        return null;
    }

    private void Send(HandshakeRequest request, string fileName, ConnectionConfig c, int attempt, long now, Action<CreateClientOutcome> onDone) =>
        _engine.Start(request, now, outcome =>
        {
            if (outcome.Code == HandshakeCodes.NoAnswer && attempt < MaxAttempts && SendsExtension)
            {
                Retries++;
                Send(request, fileName, c, attempt + 1, outcome.CompletedAt, onDone);
                return;
            }

            onDone(Finish(fileName, c, outcome));
        });

    /// <summary>
    /// §4.7 step 2: the <c>cmd_default</c> path if it is 0x00/0x80, else the first such path after it (from 0 when
    /// no path has <c>cmd_default</c>); paths before the <c>cmd_default</c> one are never considered. -1 = none.
    /// </summary>
    public static int TargetPath(IControlConnections connections, int connection)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ConnectionConfig c = connections.Connection(connection);
        int start = 0;
        for (int i = 0; i < c.Paths.Count; i++)
        {
            if (c.Paths[i].CmdDefault)
            {
                start = i;
                break;
            }
        }

        for (int i = start; i < c.Paths.Count; i++)
        {
            if (connections.GetPathStatus(connection, i) is PathStatus.Ok or PathStatus.Down)
            {
                return i;
            }
        }

        return -1;
    }

    private CreateClientOutcome Finish(string fileName, ConnectionConfig sent, HandshakeOutcome outcome)
    {
        if (outcome.Code != HandshakeCodes.Ok)
        {
            bool unknown = outcome.Code == HandshakeCodes.NoAnswer && outcome.Round2Received;
            return new(unknown ? CreateClientStatus.Unknown : CreateClientStatus.Failed, outcome.Code, null);
        }

        // §4.7 step 5: parse the server's view; an original server's reply lacks its last 36 bytes (B50).
        int nul = Array.IndexOf(outcome.Body, (byte)0);
        string text = Encoding.UTF8.GetString(outcome.Body, 0, nul >= 0 ? nul : outcome.Body.Length);
        ConnectionConfig? server = ConnectionParser.Parse(text, fileName).Value;
        int index = ControlLookup.FindByFileName(_connections, fileName);
        if (server is null || index < 0 || !ControlLookup.SameHost(server.IpRemote, sent.IpLocal))
        {
            return new(CreateClientStatus.CreatedNotMerged, HandshakeCodes.Ok, null);
        }

        ConnectionConfig local = _connections.Connection(index);
        ConnectionConfig merged = ConnectionMerge.Merge(server, local, local.IpLocal, local.LocalCmdPort) with
        {
            // Step 5: keep the local file name and networks; the key stays the local one (B53).
            FileName = local.FileName,
            Networks = local.Networks,
            AutoCreate = local.AutoCreate,
        };

        // Our deviation from the table: cmd_default, port maps and the millisecond liveness keys are kept, not dropped.
        PathConfig[] paths = [.. merged.Paths];
        for (int i = 0; i < paths.Length; i++)
        {
            PathConfig own = local.Paths[i];
            paths[i] = paths[i] with
            {
                CmdDefault = own.CmdDefault, TcpSrc = own.TcpSrc, TcpDst = own.TcpDst, UdpSrc = own.UdpSrc, UdpDst = own.UdpDst, WindowSize = own.WindowSize,
                // MptFast's millisecond liveness keys, which the original's text cannot carry back: this side's own.
                KeepaliveMsec = own.KeepaliveMsec, DeadTimeMsec = own.DeadTimeMsec,
            };
        }

        merged = merged with { Paths = paths.ToEquatableArray() };
        _connections.ReplaceAndRestart(index, merged);
        _announcer?.AnnounceAll(ControlLookup.FindByFileName(_connections, fileName), outcome.CompletedAt);
        return new(CreateClientStatus.Created, HandshakeCodes.Ok, merged);
    }
}
