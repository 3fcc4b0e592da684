using System.Net.Sockets;

namespace MptFast.Engine.Control;

/// <summary>
/// How the control thread waits: for any of its sockets to become readable, for a timer's time
/// (<see cref="ControlLoop"/>), or for another thread's <see cref="Wake"/> (posted work, stop) — whichever comes first.
/// </summary>
public interface IControlWait : IDisposable
{
    /// <summary>Waits at most <paramref name="timeoutMs"/> for one of <paramref name="sockets"/> to be readable (or in
    /// error) or for <see cref="Wake"/>; adds the readable ones to <paramref name="readable"/> (which it does not
    /// clear).</summary>
    /// <exception cref="ObjectDisposedException">A socket was closed meanwhile.</exception>
    void Wait(List<Socket> sockets, int timeoutMs, List<Socket> readable);

    /// <summary>Ends the current or next <see cref="Wait"/> early. Thread-safe.</summary>
    void Wake();
}
