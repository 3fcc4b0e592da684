using System.Net.Sockets;
using MptFast.Engine.Control;
using MptFast.Engine.Datapath.Linux;

namespace MptFast.Engine.Daemon;

/// <summary>
/// The daemon's <see cref="IControlWait"/>: poll(2) on the sockets' descriptors and an eventfd that
/// <see cref="Wake"/> signals, so a wait can last until the next timer is due (issue 15) and still end at once for
/// posted work or a stop. Socket.Select, which it replaced, allocated a list and took a reference on every socket per
/// wait and could not wait on the eventfd. Control thread only, except <see cref="Wake"/>.
/// </summary>
public sealed class PollControlWait : IControlWait
{
    private readonly WakeEvent _wake = new();
    private PollSet _poll = new(8);

    public void Wait(List<Socket> sockets, int timeoutMs, List<Socket> readable)
    {
        ArgumentNullException.ThrowIfNull(sockets);
        ArgumentNullException.ThrowIfNull(readable);
        if (_poll.Capacity < sockets.Count + 1)
        {
            _poll = new PollSet(2 * (sockets.Count + 1));
        }

        _poll.Clear();
        _poll.Add(_wake.Fd);
        foreach (Socket s in sockets)
        {
            _poll.Add((int)s.SafeHandle.DangerousGetHandle());
        }

        _poll.Wait(timeoutMs);
        if (_poll.IsReadable(0))
        {
            _wake.Reset();
        }

        for (int i = 0; i < sockets.Count; i++)
        {
            if (_poll.IsReadable(i + 1))
            {
                readable.Add(sockets[i]);
            }
        }
    }

    public void Wake() => _wake.Signal();

    public void Dispose() => _wake.Dispose();
}
