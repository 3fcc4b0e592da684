using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Control.Protocol;
using MptFast.Engine.Logging;
using MptFast.Engine.Runtime;
using MptFast.Engine.Status;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Control;

/// <summary>
/// The control thread: keepalives, dead-path detection and link monitoring (<see cref="LivenessMonitor"/>; it wakes
/// when a timer is due, see <see cref="WaitMs"/>), the command socket (MPT-SPEC §4.1) with local CLI requests (§4.8, executed by
/// <see cref="CommandExecutor"/>) and the peer control protocol (§4.5–§4.7: replies to our handshakes go to the
/// <see cref="HandshakeEngine"/>, requests to the <see cref="ControlResponder"/>), the periodic drop report, and
/// work posted from other threads (SIGHUP reload). Handshakes never block: they advance on datagrams and ticks.
/// Never touches a datapath thread's state except through the published fields.
/// </summary>
public sealed partial class ControlLoop : IDisposable, ILivenessActions, IControlTransport
{
    private static readonly TimeSpan DropReportInterval = TimeSpan.FromSeconds(10);

    private readonly IDaemonCommands _daemon;
    private readonly Socket _command;
    private readonly LivenessMonitor _liveness = new();
    private readonly ILinkState _links;
    private readonly ControlResponder _responder;
    private readonly HandshakeEngine _engine;
    private readonly PathStatusNotifier _notifier;
    private readonly PathAnnouncer _announcer;
    private readonly CreateClient _creates;
    private readonly AutoCreator _autoCreate;
    private readonly CommandExecutor _executor;
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly IControlWait _wait;
    private readonly byte[] _receive = new byte[65536];
    private readonly byte[] _send = new byte[65536];
    private readonly byte[] _probe = new byte[ProbeCodec.MaxPacketLength];
    private IReadOnlyList<ConnectionRuntime> _connections = [];
    private readonly IdleHeapTrimmer _heap = new();
    private long[] _reportedDrops = [];
    private long _nextDropReport;
    private long _handshakesFailed;
    private long _handshakesSucceeded;
    private RateLimiter _rejectLog = new(TimeSpan.FromSeconds(1));
    private int _tickMs = LivenessMonitor.MaxTickMs;
    private volatile bool _stopping;

    /// <summary>The loop over a command socket from <see cref="BindCommandSocket"/> (it owns it from now on), serving
    /// <paramref name="daemon"/>'s commands and <paramref name="peers"/>' control protocol over the running
    /// <paramref name="connections"/>; it waits with <paramref name="wait"/> (owned from now on; the daemon's is
    /// <c>Daemon.PollControlWait</c>).</summary>
    public ControlLoop(IDaemonCommands daemon, IControlConnections peers, IReadOnlyList<ConnectionRuntime> connections, Socket command, ILinkState links,
        IControlWait wait)
    {
        ArgumentNullException.ThrowIfNull(daemon);
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(wait);
        _daemon = daemon;
        _links = links;
        _command = command;
        _wait = wait;
        CommandPort = (ushort)((IPEndPoint)_command.LocalEndPoint!).Port;
        _responder = new ControlResponder(peers, CryptoControlTokenSource.Instance);
        _engine = new HandshakeEngine(this);
        _notifier = new PathStatusNotifier(peers, _engine);
        _notifier.Notified += OnNotified;
        _announcer = new PathAnnouncer(peers, _engine);
        _creates = new CreateClient(peers, _engine, _announcer);
        _autoCreate = new AutoCreator(peers, _creates, NowMs);
        _executor = new CommandExecutor(daemon, _notifier, _creates, NowMs, _announcer);
        SetConnections(connections);
        LivenessMonitor.ResetLiveness(_connections, Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// The daemon's one command socket (MPT-SPEC §4.1): UDP on [::] (dual-stack) at <paramref name="commandPort"/>, 0 =
    /// ephemeral. Bound before the connections open, so that their local_cmd_port is the port really bound.
    /// </summary>
    public static Socket BindCommandSocket(ushort commandPort)
    {
        var command = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        try
        {
            command.Bind(new IPEndPoint(IPAddress.IPv6Any, commandPort));
            return command;
        }
        catch
        {
            command.Dispose();
            throw;
        }
    }

    /// <summary>The bound command port (the ephemeral one when configured as 0).</summary>
    public ushort CommandPort { get; }

    /// <summary>Control-plane counters for the status (read on the control thread, or racily elsewhere).</summary>
    public ControlReport Report() => new(
        new CounterSnapshot()
            .Add("answered", _responder.Answered)
            .Add("keepalives_accepted", _responder.KeepalivesAccepted)
            .Add("notifications_acknowledged", ref _handshakesSucceeded)
            .Add("notifications_failed", ref _handshakesFailed)
            .Gauge("handshakes_active", _engine.ActiveCount)
            .Gauge("notification_retries_pending", _notifier.PendingRetries)
            .Add("handshake_rate_sources", _responder.RateLimitedSources)
            .Add("paths_moved", _responder.PathsMoved)
            .Add("connections_deleted_by_peer", _responder.DeletedByPeer)
            .Add("path_announcements_sent", _announcer.Sent)
            .Add("path_announcements_acknowledged", _announcer.Acknowledged)
            .Add("create_retries", _creates.Retries)
            .Add("auto_creates", _autoCreate.Started)
            .Add("auto_creates_failed", _autoCreate.Failed)
            .Add("cli_udp_ignored", UdpCliRefused)
            .Add("cli_socket_refused", LocalRefused),
        ControlCounters.Rejections(_responder.Rejected));

    /// <summary>Uses the (rebuilt) connections from now on. Control thread (or before <see cref="Run"/>).</summary>
    public void SetConnections(IReadOnlyList<ConnectionRuntime> connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        _connections = connections;
        _executor.Connections = connections;
        int paths = 0;
        foreach (ConnectionRuntime c in connections)
        {
            paths += c.Paths.Length;
        }

        _reportedDrops = new long[paths * 4];
        _tickMs = LivenessMonitor.TickPeriodMs(connections);
        ReportBaseline();
    }

    /// <summary>Runs <paramref name="work"/> on the control thread (thread-safe): the thread's wait ends at once.</summary>
    public void Post(Action work)
    {
        _posted.Enqueue(work);
        _wait.Wake();
    }

    public void Run()
    {
        EndPoint any = new IPEndPoint(IPAddress.IPv6Any, 0);
        while (!_stopping)
        {
            long now = Stopwatch.GetTimestamp();
            _liveness.Tick(_connections, now, this);
            _engine.Tick(NowMs());
            _notifier.Tick(NowMs());
            _announcer.Tick(NowMs());
            _autoCreate.Tick(NowMs());
            _heap.Tick(_connections, NowMs());
            bool posted = false;
            while (_posted.TryDequeue(out Action? work))
            {
                posted = true;
                try
                {
                    work();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Log.Error($"control thread: posted work failed: {e}");
                }
            }

            ReportDrops(now);
            foreach (Socket readable in PollReadable(WaitMs(posted)))
            {
                if (_stopping)
                {
                    break;
                }

                if (readable == _links.Events)
                {
                    _links.TakeEvents(); // the next tick's link check sees the change
                    continue;
                }

                if (readable != _command)
                {
                    ServeLocal(readable);
                    continue;
                }

                try
                {
                    int n = _command.ReceiveFrom(_receive, ref any);
                    HandleDatagram(_receive.AsSpan(0, n), (IPEndPoint)any);
                }
                catch (SocketException e)
                {
                    Log.Debug($"command socket: {e.SocketErrorCode}");
                }
            }
        }
    }

    public void Stop()
    {
        _stopping = true;
        _wait.Wake();
    }

    /// <summary>Longest wait while a path carries traffic that the path announcer watches for silence
    /// (<see cref="PathAnnouncer.BusySilenceMs"/>: a third of it).</summary>
    public const int BusyWaitMs = (int)(PathAnnouncer.BusySilenceMs / 3);

    /// <summary>Longest wait when no timer is due sooner: the link monitor's safety net reads sysfs once a second, and
    /// an idle path's announcement waits for 1.3 keepalive intervals of silence.</summary>
    public const int QuietWaitMs = 500;

    /// <summary>
    /// How long the thread may wait for a datagram before a timer needs it (issue 15: timers by what is due, not a
    /// fixed tick per daemon — a hundred idle client daemons ticking every 50 ms took a fifth of a core between them):
    /// until the liveness monitor's next keepalive or dead timer, on the tick period's grid and at least
    /// <see cref="LivenessMonitor.MinTickMs"/>; at most the tick period while a handshake or a notification retry runs,
    /// a path waits for a keepalive to come back up, or posted work ran (<paramref name="posted"/>: a reload may have
    /// made paths whose timers the last tick did not see); at most <see cref="BusyWaitMs"/> while a watched path
    /// carries traffic, <see cref="QuietWaitMs"/> otherwise.
    /// </summary>
    private int WaitMs(bool posted)
    {
        int cap = posted || _liveness.AwaitsKeepalive || _engine.ActiveCount > 0 || _notifier.PendingRetries > 0
            ? _tickMs
            : _announcer.WatchesTraffic ? BusyWaitMs : QuietWaitMs;
        long due = _liveness.NextDueTicks;
        if (due == long.MaxValue)
        {
            return cap;
        }

        // Rounded up to the tick period's grid: a server's paths fall due at scattered times, and one wake per slot
        // serves all of them (each at most a tick period late, as with the fixed tick) instead of one per path.
        long slot = Math.Max(1, _tickMs * Stopwatch.Frequency / 1000);
        long wakeAt = ((due / slot) + 1) * slot;
        long ms = ((wakeAt - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency) + 1;
        return (int)Math.Clamp(ms, LivenessMonitor.MinTickMs, Math.Max(cap, LivenessMonitor.MinTickMs));
    }

    private static long NowMs() => Environment.TickCount64;

    private void HandleDatagram(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        IPAddress source = from.Address.IsIPv4MappedToIPv6 ? from.Address.MapToIPv4() : from.Address;
        if (!IPAddress.IsLoopback(source))
        {
            HandlePeer(datagram, from);
            return;
        }

        // Issue 14, B59: any local user can send a datagram from loopback; the original's CLI is served only on request.
        if (!CliOverUdp)
        {
            _udpCliRefused++;
            if (_rejectLog.TryAcquire(Stopwatch.GetTimestamp(), out long suppressed))
            {
                Log.Warn($"command port: CLI request from {from} ignored (the UDP CLI is off; cli_udp = 1 in interface.conf enables it; {suppressed} more suppressed)");
            }

            return;
        }

        if (CliCodec.DecodeRequest(datagram, out ReadOnlySpan<byte> line) != CliStatus.Ok)
        {
            Log.Debug($"command port: malformed CLI request from {from}");
            return;
        }

        string command = Encoding.UTF8.GetString(line);
        Log.Debug($"command port: '{command}' from {from}");
        Execute(command, reply => SendReply(reply, from));
    }

    private void Execute(string command, Action<CommandReply> reply)
    {
        try
        {
            _executor.Execute(command, reply);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A command must never take the control thread (and with it the daemon) down.
            Log.Error($"command '{command}' failed: {e}");
            reply(new CommandReply(false, $"{command}: internal error: {e.Message}"));
        }
    }

    // MPT-SPEC §4.5: a reply to one of our handshakes, else a request (or keepalive) for the responder.
    private void HandlePeer(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        try
        {
            HandlePeerCore(datagram, from);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Defence in depth: the protocol code returns typed rejections, but no datagram may stop the control thread.
            Log.Error($"command port: control datagram from {from} caused {e}");
        }
    }

    private void HandlePeerCore(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        long now = NowMs();
        if (_engine.HandleReply(datagram, from, now))
        {
            return;
        }

        ResponderResult result = _responder.Respond(datagram, from, now);
        if (result.Reply is { } reply)
        {
            // MPT-SPEC §4.5 step 10: a create requester may be reachable only through the template's cmd_default path.
            using IDisposable? route = datagram[0] == (byte)ControlCommand.ConnectionCreate
                ? _daemon.TemporaryRouteToRequester(from.Address) : null;
            ((IControlTransport)this).Send(reply, from);
        }

        if (result.Rejection != ResponderRejection.None && _rejectLog.TryAcquire(Stopwatch.GetTimestamp(), out long suppressed))
        {
            Log.Warn($"command port: {datagram.Length}-byte control datagram from {from} rejected: {ControlCounters.Name(result.Rejection)}" +
                (suppressed > 0 ? $" ({suppressed} more rejections not logged)" : ""));
        }
    }

    void IControlTransport.Send(ReadOnlySpan<byte> datagram, IPEndPoint to)
    {
        try
        {
            _command.SendTo(datagram, to);
        }
        catch (SocketException e)
        {
            Log.Debug($"command socket: send to {to}: {e.SocketErrorCode}");
        }
    }

    private void OnNotified(PathNotification n)
    {
        if (n.Code == HandshakeCodes.Ok)
        {
            _handshakesSucceeded++; // control thread only; read with Volatile.Read
            Log.Write(LogLevel.Info, $"{n.FileName}: path {n.Path}: peer acknowledged status 0x{(int)n.Status:x2}",
                new LogFields("peer_notification", n.FileName, n.Path, Status: StatusJson.StatusName(n.Status)));
            return;
        }

        _handshakesFailed++;
        Log.Write(LogLevel.Warning, $"{n.FileName}: path {n.Path}: telling the peer about status 0x{(int)n.Status:x2} failed with code {n.Code} " +
            $"({HandshakeText(n.Code)}), attempt {n.Attempt}{(n.WillRetry ? ", will retry" : "")}",
            new LogFields("peer_notification", n.FileName, n.Path, HandshakeText(n.Code), StatusJson.StatusName(n.Status)));
    }

    /// <summary>A human text for a handshake result code (MPT-SPEC §4.10).</summary>
    public static string HandshakeText(byte code) => code switch
    {
        0 => "OK",
        1 => "no answer from the peer",
        3 => "authentication of the reply failed",
        4 => "the peer has no such connection or could not parse the request",
        5 => "the connection already exists on the peer",
        6 => "no usable path to send through",
        9 => "wrong round number in a reply",
        _ => "code " + code.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private void SendReply(CommandReply reply, IPEndPoint to) =>
        WriteReplyFrames(reply, frame => ((IControlTransport)this).Send(frame, to));

    bool ILivenessActions.SendKeepalive(ConnectionRuntime connection, PathRuntime path)
    {
        // MPT-SPEC §3.1: the 44-byte keepalive; MptFast appends its probe trailer, which an original peer never reads
        // (it looks at the command byte only, §3.3) and an MptFast peer measures the path with.
        int n = ProbeWriter.Write(connection, path, MonotonicClock.NowMicros, [], _probe);
        if (n > 0 && path.Socket!.Send(_probe.AsSpan(0, n)) == PathSendResult.Sent)
        {
            path.Counters.Control.KeepalivesSent++;
            return true;
        }

        path.Counters.Control.KeepaliveSendErrors++;
        return false;
    }

    void ILivenessActions.StatusChanged(ConnectionRuntime connection, PathRuntime path, PathStatus from, PathStatus to, StatusOrigin origin)
    {
        string why = origin switch
        {
            StatusOrigin.DeadTimer => $"no keepalive for {DeadTimeText(path.Config)}",
            StatusOrigin.Keepalive => "keepalive received",
            StatusOrigin.LinkMonitor => path.LinkUp == true ? $"{path.Config.InterfaceName} is up again" : $"{path.Config.InterfaceName} is down",
            StatusOrigin.Peer => "the peer said so",
            _ => origin.ToString(),
        };
        // An event with the reason (issue 16): a path going down is a warning, one coming back is news.
        Log.Write(to == PathStatus.Ok ? LogLevel.Info : LogLevel.Warning,
            $"{connection.Config.FileName}: path {path.Index} ({path.PublicAddress} -> {path.RemoteAddress}) status 0x{(int)from:x2} -> 0x{(int)to:x2}: {why}",
            new LogFields("path_status", connection.Config.FileName, path.Index, ReasonName(origin), StatusJson.StatusName(to)));

        // MPT-SPEC §8.3: the dead timer and the interface check tell the peer (sent as 0x80); a keepalive does not.
        if ((origin is StatusOrigin.DeadTimer or StatusOrigin.LinkMonitor) && to != PathStatus.Ok
            && connection.Index < _connections.Count && ReferenceEquals(_connections[connection.Index], connection))
        {
            _notifier.Announce(connection.Index, path.Index, NowMs());
        }
    }

    /// <summary>Why a status changed, as log events name it: the link's carrier, the dead timer, a keepalive, the peer, a command.</summary>
    public static string ReasonName(StatusOrigin origin) => origin switch
    {
        StatusOrigin.LinkMonitor => "carrier",
        StatusOrigin.DeadTimer => "dead_timer",
        StatusOrigin.Keepalive => "keepalive",
        StatusOrigin.Peer => "peer",
        StatusOrigin.Command => "command",
        _ => "config",
    };

    // Whole seconds as the original's keys are written; milliseconds when keepalive_msec/dead_time_msec set them.
    private static string DeadTimeText(PathConfig p) => p.DeadTimeMsec is null ? $"{p.DeadTime} s" : $"{p.DeadMs} ms";

    bool? ILivenessActions.QueryLink(string interfaceName) => _links.IsUpAndRunning(interfaceName);

    private void ReportDrops(long now)
    {
        if (now < _nextDropReport)
        {
            return;
        }

        _nextDropReport = now + (long)(DropReportInterval.TotalSeconds * Stopwatch.Frequency);
        ForEachDrop(report: true);
    }

    // After a rebuild the counters continue: start the report from their current values.
    private void ReportBaseline() => ForEachDrop(report: false);

    private void ForEachDrop(bool report)
    {
        int k = 0;
        foreach (ConnectionRuntime c in _connections)
        {
            foreach (PathRuntime p in c.Paths)
            {
                Report(c, p, "datagrams from unknown senders", ref p.Counters.Rx.DropUnknownSource, k++, report);
                Report(c, p, "malformed GRE datagrams", ref p.Counters.Rx.DropMalformed, k++, report);
                Report(c, p, "truncated datagrams", ref p.Counters.Rx.DropTruncated, k++, report);
                Report(c, p, "keepalives naming another tunnel pair", ref p.Counters.Rx.DropKeepaliveMismatch, k++, report);
            }
        }
    }

    private void Report(ConnectionRuntime c, PathRuntime p, string what, ref long counter, int slot, bool report)
    {
        long value = Volatile.Read(ref counter);
        long delta = value - _reportedDrops[slot];
        _reportedDrops[slot] = value;
        if (delta > 0 && report)
        {
            Log.Write(LogLevel.Warning, $"{c.Config.FileName}: path {p.Index}: dropped {delta} {what} (total {value})",
                new LogFields("drops", c.Config.FileName, p.Index, what));
        }
    }

    public void Dispose()
    {
        _command.Dispose();
        _local?.Dispose();
        _wait.Dispose();
        (_links as IDisposable)?.Dispose(); // its open sysfs files
    }
}
