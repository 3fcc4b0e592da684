using MptFast.Engine.Config;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Control;

/// <summary>What the liveness monitor asks of the daemon; a fake in tests.</summary>
public interface ILivenessActions
{
    /// <summary>Send one keepalive on the path (MPT-SPEC §3.2). Returns false when the send failed.</summary>
    bool SendKeepalive(ConnectionRuntime connection, PathRuntime path);

    /// <summary>A path changed status (log it; notify the peer where the spec says so).</summary>
    void StatusChanged(ConnectionRuntime connection, PathRuntime path, PathStatus from, PathStatus to, StatusOrigin origin);

    /// <summary>Whether the interface is UP and RUNNING; null when unknown (no such interface, no permission).</summary>
    bool? QueryLink(string interfaceName);
}
