using System.Net.Sockets;
using MptFast.Engine.Logging;

namespace MptFast.Engine.Control.Local;

/// <summary>
/// The daemon's local control channel (issue 14, replacing the original's UDP loopback CLI, MPT-SPEC §4.8, B59): a
/// Unix seqpacket socket (one CLI request per message, replies framed as on the command port, §4.8) at
/// <c>control_socket</c>, mode 0600 in a 0755 directory. Each connection's peer is identified by <c>SO_PEERCRED</c>,
/// logged, and checked by <see cref="ControlAccessPolicy"/>. Control thread only.
/// </summary>
public sealed class LocalControlSocket : IDisposable
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    private readonly Socket _listener;
    private readonly List<Socket> _clients = [];

    private LocalControlSocket(Socket listener, string path)
    {
        _listener = listener;
        Path = path;
    }

    /// <summary>The socket's file name.</summary>
    public string Path { get; }

    /// <summary>The listener and every open client connection, for the control thread's poll.</summary>
    public IEnumerable<Socket> Sockets => _clients.Prepend(_listener);

    /// <summary>
    /// Binds <paramref name="path"/>. A socket file left by a dead daemon (nobody accepts on it) is replaced; one a
    /// running daemon accepts on is an error, as is any other file there.
    /// </summary>
    public static LocalControlSocket Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the local control socket needs Unix file modes");
        }

        string? dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null && !Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        RemoveStale(path);
        var listener = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        try
        {
            // umask-independent: the file is created, then narrowed before listen() admits anyone.
            listener.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(16);
            return new LocalControlSocket(listener, path);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Serves a readable <paramref name="socket"/> (one of <see cref="Sockets"/>): accepts a connection, or reads its
    /// request. Returns the request with the peer's credentials, or null (a new connection, a hang-up, a peer whose
    /// credentials cannot be read — closed).
    /// </summary>
    public LocalRequest? Serve(Socket socket, byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket == _listener)
        {
            Socket client = _listener.Accept();
            client.Blocking = false;
            _clients.Add(client);
            return null;
        }

        int n;
        try
        {
            n = socket.Receive(buffer);
        }
        catch (SocketException e)
        {
            Log.Debug($"control socket: receive: {e.SocketErrorCode}");
            n = 0;
        }

        if (n == 0)
        {
            Drop(socket);
            return null;
        }

        Span<byte> ucred = stackalloc byte[PeerCredentials.Size];
        if (socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred) < PeerCredentials.Size ||
            !PeerCredentials.TryRead(ucred, out PeerCredentials peer))
        {
            Log.Warn("control socket: the peer's credentials cannot be read; connection closed");
            Drop(socket);
            return null;
        }

        return new LocalRequest(buffer.AsMemory(0, n), peer, new LocalClient(socket, this));
    }

    /// <summary>Closes a client connection (after its reply, or when it hung up).</summary>
    internal void Drop(Socket client)
    {
        _clients.Remove(client);
        client.Dispose();
    }

    public void Dispose()
    {
        foreach (Socket c in _clients)
        {
            c.Dispose();
        }

        _clients.Clear();
        _listener.Dispose();
        try
        {
            File.Delete(Path);
        }
        catch (IOException e)
        {
            Log.Warn($"control socket: cannot remove {Path}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            Log.Warn($"control socket: cannot remove {Path}: {e.Message}");
        }
    }

    private static void RemoveStale(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            return;
        }

        if ((File.GetAttributes(path) & FileAttributes.Directory) != 0)
        {
            throw new IOException($"control_socket {path}: a directory is in the way");
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            // Nobody accepts: the daemon that made it is gone.
            Log.Info($"control socket: removing the stale {path}");
            File.Delete(path);
            return;
        }

        throw new IOException($"control_socket {path}: another mptfast daemon is listening on it");
    }
}

/// <summary>One request read from the local control socket.</summary>
public sealed record LocalRequest(ReadOnlyMemory<byte> Message, PeerCredentials Peer, LocalClient Client);

/// <summary>A client connection of the local control socket, where the reply to its request goes.</summary>
public sealed class LocalClient(Socket socket, LocalControlSocket owner)
{
    /// <summary>Longest a reply frame waits for room in the client's receive queue before the connection is closed.
    /// The socket is non-blocking (one slow client must not stall the control thread for long), and a reply of a
    /// hundred connections' status is several frames: without waiting, the frames past the client's queue were lost
    /// and the client printed a truncated reply with exit 0.</summary>
    public const int SendTimeoutMilliseconds = 2000;

    private bool _failed;

    /// <summary>Sends one reply frame, waiting up to <see cref="SendTimeoutMilliseconds"/> for room; a client that
    /// went away or does not read is dropped (it sees the connection end without the end frame: an error, not a short
    /// reply).</summary>
    public void Send(ReadOnlySpan<byte> frame)
    {
        if (_failed)
        {
            return;
        }

        long deadline = Environment.TickCount64 + SendTimeoutMilliseconds;
        while (true)
        {
            try
            {
                socket.Send(frame);
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    Log.Warn($"control socket: the client read nothing for {SendTimeoutMilliseconds} ms; reply abandoned, connection closed");
                    Fail();
                    return;
                }

                socket.Poll((int)Math.Min(left, 1000) * 1000, SelectMode.SelectWrite);
            }
            catch (SocketException e)
            {
                Log.Debug($"control socket: send: {e.SocketErrorCode}");
                Fail();
                return;
            }
            catch (ObjectDisposedException)
            {
                // The client hung up before a late reply (create) was ready.
                _failed = true;
                return;
            }
        }
    }

    private void Fail()
    {
        _failed = true;
        owner.Drop(socket);
    }

    /// <summary>Closes the connection once the reply's end frame went out.</summary>
    public void Close() => owner.Drop(socket);
}
