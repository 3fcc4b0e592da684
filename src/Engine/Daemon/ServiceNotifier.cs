using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using MptFast.Engine.Logging;

namespace MptFast.Engine.Daemon;

/// <summary>
/// The sd_notify protocol (sd_notify(3)), written out instead of linking libsystemd: each notification is one datagram
/// of newline-separated <c>VARIABLE=value</c> assignments to the AF_UNIX datagram socket that systemd names in
/// <c>NOTIFY_SOCKET</c> — a file system path, or an abstract address written with a leading <c>@</c>. The socket is
/// non-blocking: a full queue loses a notification (counted, logged once) instead of stalling the control thread.
/// Thread-safe (start-up, the control thread and shutdown all notify).
/// </summary>
public sealed class ServiceNotifier : IDisposable
{
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _target;
    private readonly Lock _gate = new();
    private long _lost;

    /// <summary>A notifier for <paramref name="notifySocket"/>, the value of <c>NOTIFY_SOCKET</c>.</summary>
    public ServiceNotifier(string notifySocket)
    {
        ArgumentException.ThrowIfNullOrEmpty(notifySocket);
        if (notifySocket[0] is not ('/' or '@'))
        {
            throw new ArgumentException($"NOTIFY_SOCKET '{notifySocket}' is neither an absolute path nor an abstract address (@NAME)", nameof(notifySocket));
        }

        Address = notifySocket;

        _target = EndPointOf(notifySocket);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
    }

    /// <summary>Where notifications go (as <c>NOTIFY_SOCKET</c> said).</summary>
    public string Address { get; }

    /// <summary>Notifications the socket did not take.</summary>
    public long Lost => Volatile.Read(ref _lost);

    /// <summary>The tunnel is up: <c>READY=1</c> with the current <c>STATUS=</c>.</summary>
    public void Ready(string status) => Notify("READY=1\nSTATUS=" + status);

    /// <summary>A reload begins: <c>RELOADING=1</c> with <c>MONOTONIC_USEC=</c> (CLOCK_MONOTONIC, which is the
    /// Stopwatch clock on Linux), as Type=notify-reload wants it; <see cref="Ready"/> ends it.</summary>
    public void Reloading() => Notify("RELOADING=1\nMONOTONIC_USEC=" + MonotonicMicroseconds(Stopwatch.GetTimestamp()).ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The one-line state <c>systemctl status</c> shows.</summary>
    public void Status(string status) => Notify("STATUS=" + status);

    /// <summary>Shutdown has begun.</summary>
    public void Stopping() => Notify("STOPPING=1");

    /// <summary>The service is healthy: resets systemd's watchdog timer.</summary>
    public void Watchdog() => Notify("WATCHDOG=1");

    /// <summary>CLOCK_MONOTONIC in microseconds for a <see cref="Stopwatch"/> timestamp.</summary>
    public static long MonotonicMicroseconds(long stopwatchTicks) => (long)(stopwatchTicks * (1_000_000.0 / Stopwatch.Frequency));

    /// <summary>Sends one notification (several assignments separated by newlines); false when it was lost.</summary>
    public bool Notify(string assignments)
    {
        ArgumentException.ThrowIfNullOrEmpty(assignments);
        byte[] datagram = Encoding.UTF8.GetBytes(assignments);
        lock (_gate)
        {
            try
            {
                _socket.SendTo(datagram, SocketFlags.None, _target);
                return true;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The first loss says why; later ones are only counted (a watchdog ping a second must not flood the log).
                if (Interlocked.Increment(ref _lost) == 1)
                {
                    Log.Warn($"systemd notification to {Address} lost: {e.Message} (further losses are not logged)");
                }

                return false;
            }
        }
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>The socket address of <paramref name="notifySocket"/> (also what a test's receiving socket binds to).
    /// sd_notify(3): "@" stands for the leading NUL byte of an abstract address (Linux).</summary>
    internal static UnixDomainSocketEndPoint EndPointOf(string notifySocket) =>
        new UnixDomainSocketEndPoint(notifySocket[0] == '@' ? "\0" + notifySocket[1..] : notifySocket);
}
