using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Control;
using MptFast.Engine.Control.Protocol;
using MptFast.Engine.Logging;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Daemon;

/// <summary>
/// The daemon as the control plane sees it: <see cref="IControlConnections"/> over the running connections (MPT-SPEC
/// §4.5–§4.7) and the connection commands of <c>mpt</c> (§9.10: reload, restart, delete, save). Control thread only.
/// </summary>
public sealed partial class TunnelDaemon : IControlConnections
{
    private ConnectionConfig? _template;
    private ControlPeerState _peer;

    /// <summary>
    /// MPT-SPEC §4.5 step 10 (F87): while this daemon answers a connection-create request, a host route to the requester
    /// through the template's <c>cmd_default</c> path (the last one marked), unless a path already has the requester as
    /// its remote address — a new peer is often reachable only that way. Null when no route is needed or it could not
    /// be added (an existing route is left alone and never deleted); dispose the result once the reply is sent.
    /// </summary>
    internal IDisposable? TemporaryRouteToRequester(IPAddress requester)
    {
        IPAddress address = requester.IsIPv4MappedToIPv6 ? requester.MapToIPv4() : requester;
        PathConfig? through = _template?.Paths.LastOrDefault(p => p.CmdDefault);
        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        if (!Options.InstallRoutes || through is null || (through.IpVer == 6) != v6
            || _connections.Any(c => c.Config.Paths.Any(p => p.RemoteAddress.Equals(address))))
        {
            return null;
        }

        InstalledRoute route = HostRoute(address, through);
        LinkCommandResult added = _link.AddRoute(route.Destination, route.Via, route.Device);
        if (!added.Succeeded)
        {
            Log.Debug($"create request from {address}: temporary route {route} not added: {added.StandardError.Trim()}");
            return null;
        }

        Log.Info($"create request from {address}: temporary route {route} while replying");
        return new TemporaryRoute(this, route);
    }

    private sealed class TemporaryRoute(TunnelDaemon daemon, InstalledRoute route) : IDisposable
    {
        private bool _removed;

        public void Dispose()
        {
            if (_removed)
            {
                return;
            }

            _removed = true;
            LinkCommandResult r = daemon._link.DeleteRoute(route.Destination, route.Via, route.Device);
            if (!r.Succeeded)
            {
                Log.Warn($"temporary route {route}: delete failed: {r.StandardError.Trim()}");
            }
        }
    }

    /// <summary>The configuration directory reloads read from (null: reload is refused).</summary>
    public string? ConfigDirectory => Options.ConfigDirectory;

    /// <summary>The control thread (commands, handshakes, liveness).</summary>
    public ControlLoop Control => _control ?? throw new InvalidOperationException("not started");

    /// <inheritdoc/>
    public ControlPeerState Peer => _peer;

    /// <inheritdoc/>
    public ConnectionConfig? Template
    {
        get => _template;
        set => _template = value;
    }

    /// <inheritdoc/>
    public int Count => _connections.Length;

    /// <inheritdoc/>
    public ConnectionConfig Connection(int index) => _connections[index].Config;

    /// <inheritdoc/>
    public PathStatus GetPathStatus(int connection, int path) => _connections[connection].Paths[path].Status;

    /// <inheritdoc/>
    public void SetPathStatus(int connection, int path, PathStatus status, StatusChangeOrigin origin)
    {
        ConnectionRuntime c = _connections[connection];
        PathRuntime p = c.Paths[path];
        long now = Stopwatch.GetTimestamp();

        // The one place a status changes (with LivenessMonitor's own transitions): log, origin, timestamps, OK mask.
        if (LivenessMonitor.Set(c, p, status, MapOrigin(origin), now, Control) && status == PathStatus.Ok)
        {
            p.LastKeepaliveTicks = now; // MPT-SPEC §4.6 step 5, §8.3: a transition to 0x00 resets last_keepalive
        }

        c.RecomputeOkMask();
    }

    /// <inheritdoc/>
    public void RefreshKeepalive(int connection, int path) => _connections[connection].Paths[path].LastKeepaliveTicks = Stopwatch.GetTimestamp();

    /// <inheritdoc/>
    public bool TryStartCreated(ConnectionConfig created)
    {
        ArgumentNullException.ThrowIfNull(created);
        string? error = Apply([.. CurrentConfigs(), created], _ => false);
        if (error is not null)
        {
            Log.Error($"{created.FileName}: the connection created by the peer could not start: {error}");
            return false;
        }

        Log.Info($"{created.FileName}: connection created by the peer {created.IpRemote} ({created.Name}) and started");
        return true;
    }

    /// <inheritdoc/>
    public void ReplaceAndRestart(int index, ConnectionConfig merged)
    {
        ArgumentNullException.ThrowIfNull(merged);
        ConnectionConfig[] configs = CurrentConfigs();
        configs[index] = merged;
        string? error = Apply(configs, _ => false);
        if (error is not null)
        {
            Log.Error($"{merged.FileName}: restart with the peer's view failed: {error}");
        }
    }

    /// <summary><c>mpt reload [FILE]</c>: re-reads FILE (or every file and the template); an invalid file changes nothing.</summary>
    public CommandReply Reload(string? file)
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
            if (next.Interface with { AcceptRemote = _config.Interface.AcceptRemote } != _config.Interface)
            {
                Log.Warn("reload: changes to interface.conf other than accept_remote take effect at the next start");
            }

            string? error = Apply([.. next.Connections], _ => false);
            if (error is not null)
            {
                return new CommandReply(false, "reload: " + error);
            }

            // MPT-SPEC §9.10: reload-all also re-reads the template (and with it the global key).
            _config = _config with { Template = next.Template, Interface = _config.Interface with { AcceptRemote = next.Interface.AcceptRemote } };
            _template = next.Template;
            _peer = ControlPeerState.From(_config.Interface, _template) with { CommandPort = _peer.CommandPort };
            Info = Info with { Interface = _config.Interface };
            return new CommandReply(true, $"reload: {_connections.Length} connection(s) running");
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

        string? failed = Apply(configs, _ => false);
        return failed is null ? new CommandReply(true, "reload " + file) : new CommandReply(false, $"reload {file}: {failed}");
    }

    /// <summary><c>mpt restart [FILE]</c>: rebuilds the connection(s) from memory; every path becomes OK (MPT-SPEC §8.3).</summary>
    public CommandReply Restart(string? file)
    {
        if (file is not null && Array.FindIndex(_connections, c => c.Config.FileName == file) < 0)
        {
            return new CommandReply(false, $"restart {file}: no connection was loaded from {file}");
        }

        string? error = Apply(CurrentConfigs(), f => file is null || f == file);
        string what = file is null ? "restart" : "restart " + file;
        return error is null ? new CommandReply(true, what) : new CommandReply(false, what + ": " + error);
    }

    /// <summary><c>mpt delete FILE</c>: stops the connection and renames its file to FILE.disabled.</summary>
    public CommandReply Delete(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (Array.FindIndex(_connections, c => c.Config.FileName == file) < 0)
        {
            return new CommandReply(false, $"delete {file}: no connection was loaded from {file}");
        }

        string? error = Apply([.. CurrentConfigs().Where(c => c.FileName != file)], _ => false);
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

        ConnectionRuntime[] targets = [.. _connections.Where(c => file is null || c.Config.FileName == file)];
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

    /// <summary>Installs the routes of every connection again (after <c>mpt int IF up</c>: the kernel dropped those on IF, MPT-SPEC §9.10).</summary>
    public void ReinstallRoutes()
    {
        lock (_gate)
        {
            foreach (ConnectionRuntime c in _connections)
            {
                InstallRoutes(c);
            }
        }
    }

    /// <summary>Runs <c>ip</c> (addresses, links) for the <c>addr</c> and <c>int</c> commands.</summary>
    public LinkConfigurator Link => _link;

    private ConnectionConfig[] CurrentConfigs() => [.. _connections.Select(c => c.Config)];

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
