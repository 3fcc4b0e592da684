using System.Net;
using System.Net.Sockets;
using System.Text;
using MptFast.Engine.Logging;
using MptFast.Engine.Status;

namespace MptFast.Engine.Daemon;

/// <summary>
/// The Prometheus endpoint (issue 16, opt-in: <c>metrics_listen</c> or <c>run --metrics</c>): <c>GET /metrics</c> over
/// HTTP/1.1 on its own thread, one connection at a time, closed after the answer. The text is the
/// <see cref="StatusMetrics"/> rendering of a snapshot the control thread takes (so counters are read as they are for
/// <c>status --json</c>); the datapath threads are never touched. A minimal responder rather than a library:
/// docs/METRICS.md has the measurements (binary size, AOT warnings, allocation per scrape). Bounded everywhere: a
/// request of at most 8 KiB, 2 s to send it and 2 s to take the answer, 2 s for the snapshot (else 503).
/// </summary>
internal sealed class MetricsEndpoint : IDisposable
{
    private const int TimeoutMs = 2000;
    private static readonly TimeSpan SnapshotTimeout = TimeSpan.FromSeconds(2);

    private readonly Socket _listener;
    private readonly Func<TimeSpan, StatusSnapshot?> _capture;
    private readonly byte[] _request = new byte[8192];
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _scrapes;

    private MetricsEndpoint(Socket listener, Func<TimeSpan, StatusSnapshot?> capture)
    {
        _listener = listener;
        _capture = capture;
        _thread = new Thread(Run) { Name = "mptfast-metrics", IsBackground = true };
    }

    /// <summary>The address really listened on (the port chosen when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Requests answered with metrics.</summary>
    public long Scrapes => Volatile.Read(ref _scrapes);

    /// <summary>Listens on <paramref name="at"/> and serves snapshots from <paramref name="capture"/> (null: none in
    /// the time given). Throws <see cref="DaemonStartException"/> when the address cannot be listened on.</summary>
    public static MetricsEndpoint Start(IPEndPoint at, Func<TimeSpan, StatusSnapshot?> capture)
    {
        var listener = new Socket(at.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(at);
            listener.Listen(16);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new DaemonStartException($"metrics: cannot listen on {at}: {e.Message}");
        }

        var endpoint = new MetricsEndpoint(listener, capture);
        endpoint._thread.Start();
        Log.Write(LogLevel.Info, $"metrics: serving http://{endpoint.LocalEndPoint}/metrics", new LogFields("metrics"));
        return endpoint;
    }

    private void Run()
    {
        while (!_stopping)
        {
            Socket client;
            try
            {
                // Polled, so that Dispose ends the thread within a quarter of a second.
                if (!_listener.Poll(250_000, SelectMode.SelectRead))
                {
                    continue;
                }

                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                continue;
            }

            using (client)
            {
                try
                {
                    Serve(client);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
                {
                    Log.Debug($"metrics: {client.RemoteEndPoint}: {e.Message}");
                }
            }
        }
    }

    private void Serve(Socket client)
    {
        client.ReceiveTimeout = TimeoutMs;
        client.SendTimeout = TimeoutMs;
        int length = 0;
        int end;
        while ((end = _request.AsSpan(0, length).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (length == _request.Length)
            {
                Answer(client, "431 Request Header Fields Too Large", "request too large\n", head: false);
                return;
            }

            int n = client.Receive(_request, length, _request.Length - length, SocketFlags.None);
            if (n == 0)
            {
                return;
            }

            length += n;
        }

        // Request line: METHOD SP TARGET SP HTTP/1.x (RFC 9112 §3); the headers do not matter here.
        string[] line = Encoding.ASCII.GetString(_request, 0, _request.AsSpan(0, end).IndexOf("\r\n"u8) is int eol and >= 0 ? eol : end).Split(' ');
        if (line.Length != 3 || !line[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            Answer(client, "400 Bad Request", "bad request\n", head: false);
            return;
        }

        bool head = line[0] == "HEAD";
        if (line[0] != "GET" && !head)
        {
            Answer(client, "405 Method Not Allowed", "GET or HEAD /metrics\n", head: false, "Allow: GET, HEAD\r\n");
            return;
        }

        string path = line[1].Split('?')[0];
        if (path != "/metrics")
        {
            Answer(client, "404 Not Found", "mptfast serves /metrics\n", head);
            return;
        }

        if (_capture(SnapshotTimeout) is not { } status)
        {
            Answer(client, "503 Service Unavailable", "the control thread did not answer in time\n", head);
            return;
        }

        Answer(client, "200 OK", StatusMetrics.Render(status, DateTime.UtcNow), head, contentType: StatusMetrics.ContentType);
        Interlocked.Increment(ref _scrapes);
    }

    private static void Answer(Socket client, string status, string body, bool head, string extraHeaders = "", string contentType = "text/plain; charset=utf-8")
    {
        byte[] content = Encoding.UTF8.GetBytes(body);
        byte[] header = Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {content.Length}\r\n{extraHeaders}Connection: close\r\n\r\n");
        client.Send(header);
        if (!head)
        {
            client.Send(content);
        }

        client.Shutdown(SocketShutdown.Send);
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join(TimeSpan.FromSeconds(5));
        _listener.Dispose();
    }
}
