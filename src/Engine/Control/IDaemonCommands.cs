using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Status;

namespace MptFast.Engine.Control;

/// <summary>
/// What the control plane asks of the daemon that composes it (MPT-SPEC §9.10): the connection-set commands, the link
/// and address changes of <c>mpt int</c>/<c>mpt addr</c>, the routes, and the status. The control plane knows the
/// daemon only through this and <see cref="Protocol.IControlConnections"/>, so dependencies point one way (Daemon →
/// Control, never back). Every call comes from the control thread.
/// </summary>
public interface IDaemonCommands
{
    /// <summary><c>mpt reload [FILE]</c>: re-reads FILE (or every file and the template); an invalid file changes nothing.</summary>
    CommandReply Reload(string? file);

    /// <summary><c>mpt restart [FILE]</c>: rebuilds the connection(s) from memory; every path becomes OK (MPT-SPEC §8.3).</summary>
    CommandReply Restart(string? file);

    /// <summary><c>mpt delete FILE</c>: stops the connection and renames its file to FILE.disabled.</summary>
    CommandReply Delete(string file);

    /// <summary><c>mpt save [FILE]</c>: writes the running connection(s) back to their files.</summary>
    CommandReply Save(string? file);

    /// <summary>Sets interface <paramref name="name"/> up or down (MPT-SPEC §9.8: <c>ip link</c>, or the configured
    /// interface command). Null on success, else what failed (command line and its error text).</summary>
    string? SetLink(string name, bool up);

    /// <summary>Adds or deletes an address on <paramref name="device"/> (MPT-SPEC §9.8 <c>mpt addr</c>). Null on success,
    /// else what failed.</summary>
    string? ChangeAddress(string device, IpPrefix prefix, bool add);

    /// <summary>Installs the routes of every connection again (after <c>mpt int IF up</c>: the kernel dropped those on
    /// IF, MPT-SPEC §9.10).</summary>
    void ReinstallRoutes();

    /// <summary>MPT-SPEC §4.5 step 10 (F87): a temporary host route to a create requester while the reply is sent, or
    /// null when none is needed or possible; dispose it once the reply is out.</summary>
    IDisposable? TemporaryRouteToRequester(IPAddress requester);

    /// <summary>The daemon's state now (<paramref name="now"/>: <see cref="System.Diagnostics.Stopwatch"/> ticks).</summary>
    StatusSnapshot Status(long now);
}

/// <summary>A command's reply: <c>CMD_OK:</c> or <c>CMD-ERROR:</c> plus text (MPT-SPEC §4.8).</summary>
public readonly record struct CommandReply(bool Ok, string Text);
