using System.Net.Sockets;
using System.Text;

namespace MptFast.Perf.LinkEmu;

/// <summary>
/// The control socket (<c>--control PATH</c>): a Unix stream socket; each line received is one command for
/// <see cref="Emulator.Execute"/>, each answer one line. One client at a time; a client may send many commands.
/// Runs on its own background thread, away from the forwarding threads.
/// </summary>
internal sealed class ControlServer : IDisposable
{
    private readonly Socket _listener;
    private readonly Emulator _emulator;
    private readonly string _path;
    private readonly Thread _thread;
    private volatile bool _stopping;

    public ControlServer(string path, Emulator emulator)
    {
        _path = path;
        _emulator = emulator;
        if (File.Exists(path))
        {
            File.Delete(path);   // a stale socket of an earlier run at the same path
        }

        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(4);
        _thread = new Thread(Serve) { Name = "linkemu-control", IsBackground = true };
        _thread.Start();
    }

    public void Dispose()
    {
        _stopping = true;
        _listener.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
        }
    }

    private void Serve()
    {
        while (!_stopping)
        {
            try
            {
                using Socket client = _listener.Accept();
                using var stream = new NetworkStream(client);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
                while (reader.ReadLine() is { } line)
                {
                    writer.WriteLine(_emulator.Execute(line));
                }
            }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
            {
                if (_stopping)
                {
                    return;
                }
            }
        }
    }
}
