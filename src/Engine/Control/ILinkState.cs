namespace MptFast.Engine.Control;

/// <summary>Interface state for the link monitor (the daemon supplies the platform's; a fake in tests).</summary>
public interface ILinkState
{
    /// <summary>True when UP and RUNNING, false when not, null when unknown.</summary>
    bool? IsUpAndRunning(string interfaceName);
}
