using System.Diagnostics;
using System.Globalization;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Control.Cli;
using MptFast.Engine.Control.Protocol;
using MptFast.Engine.Runtime;
using MptFast.Engine.Status;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Control;

/// <summary>
/// Executes the <c>mpt</c> command lines that arrive on the command port (MPT-SPEC §9.10) on the control thread. The
/// line is parsed again here with <see cref="CliCommandLine"/> (malformed lines are refused, never "act on all",
/// B63). Every command answers at once except <c>create</c>, which answers when its handshake ends (at most ~6 s;
/// the control thread keeps running meanwhile).
/// </summary>
public sealed class CommandExecutor
{
    private readonly IDaemonCommands _daemon;
    private readonly PathStatusNotifier _notifier;
    private readonly CreateClient _create;
    private readonly Func<long> _clockMs;
    private readonly PathAnnouncer? _announcer;

    /// <summary>Creates the executor over the daemon, the shared notifier and create client, and a millisecond clock;
    /// <paramref name="announcer"/> tells a peer about a deleted connection (issue 15).</summary>
    public CommandExecutor(IDaemonCommands daemon, PathStatusNotifier notifier, CreateClient create, Func<long> clockMs, PathAnnouncer? announcer = null)
    {
        _announcer = announcer;
        ArgumentNullException.ThrowIfNull(daemon);
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(clockMs);
        _daemon = daemon;
        _notifier = notifier;
        _create = create;
        _clockMs = clockMs;
    }

    /// <summary>The running connections (the control loop sets them after every rebuild).</summary>
    public IReadOnlyList<ConnectionRuntime> Connections { get; set; } = [];

    /// <summary>Executes <paramref name="line"/>; <paramref name="reply"/> is called exactly once (now or later, on this thread).</summary>
    public void Execute(string line, Action<CommandReply> reply)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(reply);
        string trimmed = Normalize(line.Trim());
        CliParseResult parsed = CliCommandLine.Parse(trimmed);
        if (parsed.Command is not { } command)
        {
            reply(new CommandReply(false, parsed.Message + (parsed.Kind is { } k ? "\n" + CliHelp.For(k) : "")));
            return;
        }

        if (command is CreateCommand create)
        {
            StartCreate(create, reply);
            return;
        }

        reply(command switch
        {
            ShowStatusCommand s => Status(s.Format),
            PathCommand p => SetPath(p),
            InterfaceCommand i => SetInterface(i),
            AddressCommand a => SetAddress(a),
            ReloadCommand r => _daemon.Reload(r.File),
            RestartCommand r => _daemon.Restart(r.File),
            DeleteCommand d => Delete(d.File!),
            SaveCommand s => _daemon.Save(s.File),
            _ => new CommandReply(false, "'" + trimmed + "': not implemented"),
        });
    }

    // Issue 15: the peer is told first (the message needs the connection's key and addresses), then it stops here.
    private CommandReply Delete(string file)
    {
        ConnectionRuntime? c = Connections.FirstOrDefault(x => x.Config.FileName == file);
        if (c is not null)
        {
            _announcer?.AnnounceDelete(c.Index, _clockMs());
        }

        return _daemon.Delete(file);
    }

    // `show status --json` and `status --json` (mptfast's own CLI) mean `show status json`.
    private static string Normalize(string line) => line switch
    {
        "show status --json" or "status --json" => "show status json",
        "status" => "show status",
        _ => line,
    };

    private CommandReply Status(StatusFormat format)
    {
        StatusSnapshot status = _daemon.Status(Stopwatch.GetTimestamp());
        return new CommandReply(true, format switch
        {
            StatusFormat.Json => StatusJson.Render(status),
            StatusFormat.Metrics => StatusMetrics.Render(status, DateTime.UtcNow),
            _ => StatusText.Render(status),
        });
    }

    // MPT-SPEC §9.10 path: every path whose public address is LOCAL and remote address is REMOTE (16-byte compare).
    private CommandReply SetPath(PathCommand command)
    {
        Address16 local = Address16.FromIPAddress(command.Local);
        Address16 remote = Address16.FromIPAddress(command.Remote);
        PathStatus status = command.Up ? PathStatus.Ok : PathStatus.ManualDown;
        var text = new StringBuilder(command.ToCommandLine());
        int matched = 0;
        for (int ci = 0; ci < Connections.Count; ci++)
        {
            ConnectionConfig c = Connections[ci].Config;
            for (int pi = 0; pi < c.Paths.Count; pi++)
            {
                PathRuntime p = Connections[ci].Paths[pi];
                if (Address16.FromIPAddress(p.PublicAddress) != local || Address16.FromIPAddress(p.RemoteAddress) != remote)
                {
                    continue;
                }

                matched++;
                PathChangeResult r = _notifier.ChangeStatus(ci, pi, status, StatusChangeOrigin.Manual, _clockMs());
                text.Append('\n').Append(c.FileName).Append(": path ").Append(pi).Append(' ').Append(Describe(r, status));
            }
        }

        // Deviation (documented): the original answers CMD_OK even when nothing matched; we say so as an error.
        return matched == 0
            ? new CommandReply(false, text.Append("\nno path has public address ").Append(command.Local).Append(" and remote address ").Append(command.Remote).ToString())
            : new CommandReply(true, text.ToString());
    }

    // MPT-SPEC §8.3, §9.8: down = paths → 0x81 (peer told), then the link down; up = the link up, then paths → 0x00.
    private CommandReply SetInterface(InterfaceCommand command)
    {
        var text = new StringBuilder(command.ToCommandLine());
        bool ok = true;
        if (command.Up)
        {
            ok &= RunInterfaceCommand(command, text);
            _daemon.ReinstallRoutes();
        }

        int matched = 0;
        PathStatus status = command.Up ? PathStatus.Ok : PathStatus.InterfaceDown;
        for (int ci = 0; ci < Connections.Count; ci++)
        {
            ConnectionConfig c = Connections[ci].Config;
            for (int pi = 0; pi < c.Paths.Count; pi++)
            {
                if (c.Paths[pi].InterfaceName != command.Name)
                {
                    continue;
                }

                matched++;
                PathChangeResult r = _notifier.ChangeStatus(ci, pi, status, StatusChangeOrigin.Interface, _clockMs());
                text.Append('\n').Append(c.FileName).Append(": path ").Append(pi).Append(' ').Append(Describe(r, status));
            }
        }

        if (!command.Up)
        {
            ok &= RunInterfaceCommand(command, text);
        }

        text.Append('\n').Append(matched.ToString(CultureInfo.InvariantCulture)).Append(" path(s) on ").Append(command.Name);
        return new CommandReply(ok, text.ToString());
    }

    private bool RunInterfaceCommand(InterfaceCommand command, StringBuilder text)
    {
        if (_daemon.SetLink(command.Name, command.Up) is { } failure)
        {
            text.Append('\n').Append(failure);
            return false;
        }

        return true;
    }

    // MPT-SPEC §9.8: `ip addr add|del IP/LEN dev IF`; no path state changes.
    private CommandReply SetAddress(AddressCommand command) =>
        _daemon.ChangeAddress(command.Device, command.Prefix, command.Add) is { } failure
            ? new CommandReply(false, command.ToCommandLine() + "\n" + failure)
            : new CommandReply(true, command.ToCommandLine());

    private void StartCreate(CreateCommand command, Action<CommandReply> reply)
    {
        string line = command.ToCommandLine();
        _create.Start(command.File!, _clockMs(), outcome => reply(outcome.Status switch
        {
            CreateClientStatus.Created => new CommandReply(true, line + "\nthe peer created the connection; merged with its view and restarted"),
            CreateClientStatus.CreatedNotMerged => new CommandReply(true, line + "\nthe peer created the connection (its reply could not be merged; the local connection is unchanged)"),
            CreateClientStatus.Unknown => new CommandReply(false, line + "\nno final answer from the peer (code 1): it may or may not have created the connection; try again (5 = exists)"),
            CreateClientStatus.UnknownFile => new CommandReply(false, line + "\nno connection was loaded from " + command.File),
            CreateClientStatus.NotPermitted => new CommandReply(false, line + "\nthe connection's permission does not allow sending (bit 0)"),
            CreateClientStatus.NoUsablePath => new CommandReply(false, line + "\nno usable path to send through (code 6)"),
            _ => new CommandReply(false, line + "\ncreate failed with code " + outcome.Code.ToString(CultureInfo.InvariantCulture) + ": " + ControlLoop.HandshakeText(outcome.Code)),
        }));
    }

    private static string Describe(PathChangeResult r, PathStatus status)
    {
        string s = "0x" + ((int)status).ToString("x2", CultureInfo.InvariantCulture);
        return r switch
        {
            PathChangeResult.Unchanged => "already " + s,
            PathChangeResult.Sent => "-> " + s + ", peer being notified",
            PathChangeResult.NoUsablePath => "-> " + s + ", no usable path to notify the peer (will retry)",
            _ => "-> " + s + ", peer not notified (permission)",
        };
    }
}
