using System.Net.Sockets;

namespace MptFast.Engine.Control;

/// <summary>Interface state for the link monitor (the daemon supplies the platform's; a fake in tests).</summary>
public interface ILinkState
{
    /// <summary>True when UP and RUNNING, false when not, null when unknown.</summary>
    bool? IsUpAndRunning(string interfaceName);

    /// <summary>A socket that turns readable when an interface changes state (the control loop waits on it beside its
    /// own), or null when there is none: then every reading may cost a look at the interface.</summary>
    Socket? Events => null;

    /// <summary>Takes in the changes <see cref="Events"/> signalled (control thread).</summary>
    void TakeEvents()
    {
    }
}
