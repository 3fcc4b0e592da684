using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Control;
using MptFast.Engine.Control.Protocol;
using MptFast.Engine.Logging;
using MptFast.Engine.Runtime;
using MptFast.Engine.Status;

namespace MptFast.Engine.Daemon;

/// <summary>
/// The daemon as the control plane sees it: the <c>mpt</c> commands (MPT-SPEC §9.10: reload, restart, delete, save,
/// <c>int</c>/<c>addr</c>, routes, status — <see cref="IDaemonCommands"/>) and the running connections as the peer
/// protocol addresses them (§4.5–§4.7, <see cref="IControlConnections"/>), with the protocol's own state (the
/// template as it advances, the global settings). Every change of the connection set goes through
/// <see cref="TunnelDaemon.Apply"/>. Control thread only.
/// </summary>
internal sealed class DaemonControl : IDaemonCommands, IControlConnections
{
    private readonly TunnelDaemon _daemon;
    private ConnectionConfig? _template;
    private ControlPeerState _peer;

    /// <summary>The control surface of <paramref name="daemon"/>, whose command socket is bound to <paramref name="commandPort"/>.</summary>
    public DaemonControl(TunnelDaemon daemon, ushort commandPort)
    {
        _daemon = daemon;
        _template = daemon.Config.Template;
        _peer = ControlPeerState.From(daemon.Config.Interface, _template) with { CommandPort = commandPort };
    }

    private IReadOnlyList<ConnectionRuntime> Running => _daemon.Connections;

    /// <inheritdoc/>
    public IDisposable? TemporaryRouteToRequester(IPAddress requester) => _daemon.Routes.TemporaryRouteTo(requester, _template, Running);

    /// <inheritdoc/>
    public void ReinstallRoutes() => _daemon.ReinstallRoutes();

    /// <inheritdoc/>
    public StatusSnapshot Status(long now) => _daemon.Status(now);

    /// <inheritdoc/>
    public string? SetLink(string name, bool up)
    {
        LinkCommandResult r = _daemon.Options.InterfaceCommand is { } program
            ? new LinkConfigurator(ipPath: program).Run(name, up ? "up" : "down")
            : up ? _daemon.Link.SetUp(name) : _daemon.Link.SetDown(name);
        return Failure(r);
    }

    /// <inheritdoc/>
    public string? ChangeAddress(string device, IpPrefix prefix, bool add) =>
        Failure(add ? _daemon.Link.AddAddress(device, prefix) : _daemon.Link.DeleteAddress(device, prefix));

    private static string? Failure(LinkCommandResult r) => r.Succeeded ? null : r.CommandLine + " failed: " + r.StandardError;

    /// <summary>The configuration directory reloads read from (null: reload is refused).</summary>
    private string? ConfigDirectory => _daemon.Options.ConfigDirectory;

    /// <inheritdoc/>
    public ControlPeerState Peer => _peer;

    /// <inheritdoc/>
    public ConnectionConfig? Template
    {
        get => _template;
        set => _template = value;
    }

    /// <inheritdoc/>
    public int Count => Running.Count;

    /// <inheritdoc/>
    public ConnectionConfig Connection(int index) => Running[index].Config;

    /// <inheritdoc/>
    public PathStatus GetPathStatus(int connection, int path) => Running[connection].Paths[path].Status;

    /// <inheritdoc/>
    public void SetPathStatus(int connection, int path, PathStatus status, StatusChangeOrigin origin)
    {
        ConnectionRuntime c = Running[connection];
        PathRuntime p = c.Paths[path];
        long now = Stopwatch.GetTimestamp();

        // The one place a status changes (with LivenessMonitor's own transitions): log, origin, timestamps, OK mask.
        if (LivenessMonitor.Set(c, p, status, MapOrigin(origin), now, _daemon.Control) && status == PathStatus.Ok)
        {
            p.LastKeepaliveTicks = now; // MPT-SPEC §4.6 step 5, §8.3: a transition to 0x00 resets last_keepalive
        }

        c.RecomputeOkMask();
    }

    /// <inheritdoc/>
    public void RefreshKeepalive(int connection, int path) => Running[connection].Paths[path].LastKeepaliveTicks = Stopwatch.GetTimestamp();

    /// <inheritdoc/>
    public bool TryStartCreated(ConnectionConfig created)
    {
        ArgumentNullException.ThrowIfNull(created);
        string? error = _daemon.Apply([.. CurrentConfigs(), created], _ => false);
        if (error is not null)
        {
            Log.Error($"{created.FileName}: the connection created by the peer could not start: {error}");
            return false;
        }

        Log.Info($"{created.FileName}: connection created by the peer {created.IpRemote} ({created.Name}) and started");
        return true;
    }

    /// <inheritdoc/>
    public bool DeleteCreated(int connection)
    {
        string file = Running[connection].Config.FileName;
        CommandReply r = Delete(file);
        Log.Info($"{file}: the peer deleted its side; " + (r.Ok ? "stopped" : r.Text));
        return r.Ok;
    }

    /// <inheritdoc/>
    public long Received(int connection, int path)
    {
        PathCounters counters = Running[connection].Paths[path].Counters;
        return Volatile.Read(ref counters.Rx.Packets) + Volatile.Read(ref counters.Rx.KeepalivesReceived);
    }

    /// <inheritdoc/>
    public bool MovePath(int connection, int path, IPAddress observed)
    {
        ArgumentNullException.ThrowIfNull(observed);
        ConnectionRuntime c = Running[connection];
        PathRuntime p = c.Paths[path];
        PathEndpoint before = p.Endpoint;
        if (!PathMoves.MoveAddress(p, observed))
        {
            return false;
        }

        Log.Info($"{c.Config.FileName}: path {path}: the peer is at {p.Endpoint.Address} now (was {before.Address}; authenticated control message over the path)");
        _daemon.ReinstallRoutes(c);
        return true;
    }

    /// <inheritdoc/>
    public void ReplaceAndRestart(int index, ConnectionConfig merged)
    {
        ArgumentNullException.ThrowIfNull(merged);
        ConnectionConfig[] configs = CurrentConfigs();
        configs[index] = merged;
        string? error = _daemon.Apply(configs, _ => false);
        if (error is not null)
        {
            Log.Error($"{merged.FileName}: restart with the peer's view failed: {error}");
        }
    }

    /// <summary><c>mpt reload [FILE]</c>: re-reads FILE (or every file and the template); an invalid file changes nothing.
    /// The service manager hears RELOADING=1 before and READY=1 after, whatever the outcome (the service runs on).</summary>
    public CommandReply Reload(string? file)
    {
        _daemon.Service?.Reloading();
        try
        {
            return ReloadFiles(file);
        }
        finally
        {
            _daemon.Service?.Reloaded();
        }
    }

    private CommandReply ReloadFiles(string? file)
    {
        if (ConfigDirectory is not { } dir)
        {
            return new CommandReply(false, "reload: the daemon was started without a configuration directory");
        }

        if (file is null)
        {
            ConfigLoadResult loaded = ConfigLoader.Load(dir);
            if (loaded.Config is null || loaded.Errors.Count > 0)
            {
                return Invalid("reload", loaded.Errors);
            }

            MptConfig next = loaded.Config;
            MptConfig current = _daemon.Config;
            if (next.Interface with { AcceptRemote = current.Interface.AcceptRemote } != current.Interface)
            {
                Log.Warn("reload: changes to interface.conf other than accept_remote take effect at the next start");
            }

            string? error = _daemon.Apply([.. next.Connections], _ => false);
            if (error is not null)
            {
                return new CommandReply(false, "reload: " + error);
            }

            // MPT-SPEC §9.10: reload-all also re-reads the template (and with it the global key).
            _daemon.Config = current with { Template = next.Template, Interface = current.Interface with { AcceptRemote = next.Interface.AcceptRemote } };
            _template = next.Template;
            _peer = ControlPeerState.From(_daemon.Config.Interface, _template) with { CommandPort = _peer.CommandPort };
            return new CommandReply(true, $"reload: {Running.Count} connection(s) running");
        }

        string path = Path.Combine(dir, "connections", file);
        if (!File.Exists(path))
        {
            return new CommandReply(false, $"reload {file}: no such connection file {path}");
        }

        ConfigParseResult<ConnectionConfig> parsed;
        try
        {
            parsed = ConnectionParser.Parse(File.ReadAllText(path), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new CommandReply(false, $"reload {file}: {path} cannot be read: {e.Message}");
        }

        if (parsed.Value is not { } config || parsed.Errors.Count > 0)
        {
            return Invalid("reload " + file, parsed.Errors);
        }

        List<ConnectionConfig> configs = [.. CurrentConfigs()];
        int index = configs.FindIndex(c => c.FileName == config.FileName);
        if (index >= 0)
        {
            configs[index] = config;
        }
        else
        {
            configs.Add(config);
        }

        string? failed = _daemon.Apply(configs, _ => false);
        return failed is null ? new CommandReply(true, "reload " + file) : new CommandReply(false, $"reload {file}: {failed}");
    }

    /// <summary><c>mpt restart [FILE]</c>: rebuilds the connection(s) from memory; every path becomes OK (MPT-SPEC §8.3).</summary>
    public CommandReply Restart(string? file)
    {
        if (file is not null && !Running.Any(c => c.Config.FileName == file))
        {
            return new CommandReply(false, $"restart {file}: no connection was loaded from {file}");
        }

        string? error = _daemon.Apply(CurrentConfigs(), f => file is null || f == file);
        string what = file is null ? "restart" : "restart " + file;
        return error is null ? new CommandReply(true, what) : new CommandReply(false, what + ": " + error);
    }

    /// <summary><c>mpt delete FILE</c>: stops the connection and renames its file to FILE.disabled.</summary>
    public CommandReply Delete(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!Running.Any(c => c.Config.FileName == file))
        {
            return new CommandReply(false, $"delete {file}: no connection was loaded from {file}");
        }

        string? error = _daemon.Apply([.. CurrentConfigs().Where(c => c.FileName != file)], _ => false);
        if (error is not null)
        {
            return new CommandReply(false, $"delete {file}: {error}");
        }

        if (ConfigDirectory is { } dir && File.Exists(Path.Combine(dir, "connections", file)))
        {
            string from = Path.Combine(dir, "connections", file);
            try
            {
                File.Move(from, from + ".disabled", overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new CommandReply(false, $"delete {file}: stopped, but {from} could not be renamed: {e.Message}");
            }
        }

        return new CommandReply(true, "delete " + file);
    }

    /// <summary><c>mpt save [FILE]</c>: writes the running connection(s) in the original's format plus our keys (ConfigWriter Full).</summary>
    public CommandReply Save(string? file)
    {
        if (ConfigDirectory is not { } dir)
        {
            return new CommandReply(false, "save: the daemon was started without a configuration directory");
        }

        ConnectionRuntime[] targets = [.. Running.Where(c => file is null || c.Config.FileName == file)];
        if (file is not null && targets.Length == 0)
        {
            return new CommandReply(false, $"save {file}: no connection was loaded from {file}");
        }

        var written = new StringBuilder(file is null ? "save" : "save " + file);
        foreach (ConnectionRuntime c in targets)
        {
            string path = Path.Combine(dir, "connections", c.Config.FileName);
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, ConfigWriter.WriteConnection(c.Config, ConnectionFormat.Full));
                written.Append('\n').Append("written: ").Append(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new CommandReply(false, $"save: {path}: {e.Message}");
            }
        }

        return new CommandReply(true, written.ToString());
    }

    private ConnectionConfig[] CurrentConfigs() => [.. Running.Select(c => c.Config)];

    private static CommandReply Invalid(string what, IReadOnlyList<ConfigError> errors)
    {
        var sb = new StringBuilder(what).Append(": the configuration has ").Append(errors.Count)
            .Append(" error(s); the running configuration is unchanged");
        foreach (ConfigError e in errors)
        {
            sb.Append('\n').Append(e.ToString());
        }

        return new CommandReply(false, sb.ToString());
    }

    private static StatusOrigin MapOrigin(StatusChangeOrigin origin) => origin switch
    {
        StatusChangeOrigin.Peer => StatusOrigin.Peer,
        StatusChangeOrigin.Keepalive => StatusOrigin.Keepalive,
        StatusChangeOrigin.DeadTimer => StatusOrigin.DeadTimer,
        _ => StatusOrigin.Command,
    };
}
