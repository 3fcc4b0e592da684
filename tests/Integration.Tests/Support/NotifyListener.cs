using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace MptFast.Integration.Tests.Support;

/// <summary>
/// A fake systemd notification socket: an AF_UNIX datagram socket bound to a file in a fresh directory (a path, not an
/// abstract address: abstract sockets belong to a network namespace, and the daemon runs in another one). Every
/// datagram is kept with its arrival time (Stopwatch ticks), in order.
/// </summary>
internal sealed class NotifyListener : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly List<(long Ticks, string Text)> _messages = [];
    private readonly Thread _reader;
    private volatile bool _stopping;

    public NotifyListener()
    {
        Path = System.IO.Path.Combine(_dir.Path, "notify");
        _socket.Bind(new UnixDomainSocketEndPoint(Path));
        _socket.ReceiveTimeout = 200;
        _reader = new Thread(Read) { IsBackground = true, Name = "notify-listener" };
        _reader.Start();
    }

    /// <summary>The value for NOTIFY_SOCKET.</summary>
    public string Path { get; }

    public IReadOnlyList<(long Ticks, string Text)> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>The messages other than watchdog pings.</summary>
    public string[] States => [.. Messages.Select(m => m.Text).Where(t => t != "WATCHDOG=1")];

    /// <summary>Waits until a message satisfies <paramref name="match"/>, returning it.</summary>
    public string WaitFor(Func<string, bool> match, TimeSpan timeout, string what, Func<string>? context = null)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            foreach ((long _, string text) in Messages)
            {
                if (match(text))
                {
                    return text;
                }
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException($"no notification {what} within {timeout.TotalSeconds:0} s; got:\n{string.Join("\n--\n", Messages.Select(m => m.Text))}\n{context?.Invoke()}");
    }

    private void Read()
    {
        byte[] buffer = new byte[4096];
        while (!_stopping)
        {
            try
            {
                int n = _socket.Receive(buffer);
                lock (_messages)
                {
                    _messages.Add((Stopwatch.GetTimestamp(), Encoding.UTF8.GetString(buffer, 0, n)));
                }
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _reader.Join(TimeSpan.FromSeconds(2));
        _socket.Dispose();
        _dir.Dispose();
    }
}
