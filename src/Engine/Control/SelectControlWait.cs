using System.Net.Sockets;
using MptFast.Engine.Logging;

namespace MptFast.Engine.Control;

/// <summary>
/// <see cref="IControlWait"/> with Socket.Select only, for hosts without the daemon's poll-based one
/// (<c>Daemon.PollControlWait</c>): it cannot be woken, so each wait is cut to <see cref="MaxWaitMs"/> and posted work
/// or a stop waits for the slice to end.
/// </summary>
public sealed class SelectControlWait : IControlWait
{
    /// <summary>Longest single wait: how late posted work or a stop can be noticed.</summary>
    public const int MaxWaitMs = 50;

    public void Wait(List<Socket> sockets, int timeoutMs, List<Socket> readable)
    {
        var ready = new List<Socket>(sockets);
        try
        {
            Socket.Select(ready, null, null, Math.Clamp(timeoutMs, 0, MaxWaitMs) * 1000);
        }
        catch (SocketException e)
        {
            Log.Debug($"control poll: {e.SocketErrorCode}");
            return;
        }

        readable.AddRange(ready);
    }

    public void Wake()
    {
    }

    public void Dispose()
    {
    }
}
