using System.Net.Sockets;
using MptFast.Engine.Control.Local;

namespace MptFast.Engine.Tests.Control;

/// <summary>The local control socket's replies: every frame reaches a client that reads late, and a client that does
/// not read at all loses its connection rather than receiving a reply with frames missing.</summary>
public class LocalControlSocketTests
{
    [Fact]
    public void A_reply_larger_than_the_clients_receive_queue_arrives_whole() => WithRequest((control, client, server) =>
    {
        // Twenty 60,000-byte frames (a hundred connections' status is 4–6): far beyond the default queue of a
        // Unix socket. The client starts reading only after the server has begun sending.
        const int frames = 20;
        var received = new List<int>();
        var reader = new Thread(() =>
        {
            Thread.Sleep(300);
            var buffer = new byte[70_000];
            for (int i = 0; i < frames; i++)
            {
                int n = client.Receive(buffer);
                received.Add(n == 60_000 && buffer[0] == (byte)i && buffer[n - 1] == (byte)i ? i : -1);
            }
        });
        reader.Start();
        var frame = new byte[60_000];
        for (int i = 0; i < frames; i++)
        {
            Array.Fill(frame, (byte)i);
            server.Send(frame);
        }

        Assert.True(reader.Join(TimeSpan.FromSeconds(20)), "the reader got every frame");
        Assert.Equal(Enumerable.Range(0, frames), received);
    });

    [Fact]
    public void A_client_that_never_reads_is_disconnected_instead_of_getting_a_short_reply() => WithRequest((control, client, server) =>
    {
        var frame = new byte[60_000];
        for (int i = 0; i < 40; i++)
        {
            server.Send(frame); // waits 2 s once, then gives up on this client
        }

        // Whatever was queued can be read; then the connection ends (0) — no frame after a gap.
        var buffer = new byte[70_000];
        client.ReceiveTimeout = 5000;
        int frames = 0;
        while (client.Receive(buffer) > 0)
        {
            frames++;
        }

        Assert.InRange(frames, 1, 39);
        Assert.DoesNotContain(control.Sockets, s => s != control.Sockets.First() && s.Connected);
    });

    /// <summary>A control socket in a temporary directory, a client connected to it that sent a request, and the
    /// server's side of that request.</summary>
    private static void WithRequest(Action<LocalControlSocket, Socket, LocalClient> test)
    {
        string dir = Directory.CreateTempSubdirectory("mptfast-local-").FullName;
        try
        {
            using LocalControlSocket control = LocalControlSocket.Open(Path.Combine(dir, "control.sock"));
            using var client = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
            client.Connect(new UnixDomainSocketEndPoint(control.Path));
            client.Send("status"u8);
            test(control, client, Serve(control));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static LocalClient Serve(LocalControlSocket control)
    {
        var buffer = new byte[4096];
        Socket listener = control.Sockets.First();
        Assert.True(listener.Poll(5_000_000, SelectMode.SelectRead));
        Assert.Null(control.Serve(listener, buffer)); // accepts
        Socket accepted = control.Sockets.Skip(1).Single();
        Assert.True(accepted.Poll(5_000_000, SelectMode.SelectRead));
        LocalRequest? request = control.Serve(accepted, buffer);
        Assert.NotNull(request);
        return request.Client;
    }
}
