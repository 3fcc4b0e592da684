using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MptFast.Engine.Daemon;

namespace MptFast.Engine.Tests.Linux;

/// <summary><see cref="PollControlWait"/>: the control thread's wait ends for a readable socket or a wake from another
/// thread, long before its timeout (the loop now waits until the next timer is due, issue 15).</summary>
public class PollControlWaitTests
{
    [Fact]
    public async Task A_wake_from_another_thread_ends_a_long_wait_and_reports_no_socket()
    {
        using var wait = new PollControlWait();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var readable = new List<Socket>();
        Task woken = Task.Run(async () =>
        {
            await Task.Delay(50);
            wait.Wake();
        });

        var clock = Stopwatch.StartNew();
        wait.Wait([socket], 20_000, readable);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the wait lasted {clock.Elapsed}");
        Assert.Empty(readable);
        await woken;
    }

    [Fact]
    public void A_datagram_makes_its_socket_readable_and_a_consumed_wake_does_not_end_the_next_wait()
    {
        using var wait = new PollControlWait();
        using var quiet = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var busy = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        quiet.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        busy.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        wait.Wake();
        var readable = new List<Socket>();
        wait.Wait([quiet, busy], 1000, readable); // ends at once: the wake is pending
        Assert.Empty(readable);

        busy.SendTo([1, 2, 3], busy.LocalEndPoint!);
        wait.Wait([quiet, busy], 20_000, readable);

        Assert.Equal([busy], readable);
    }

    [Fact]
    public void More_sockets_than_it_started_with_are_all_watched()
    {
        using var wait = new PollControlWait();
        var sockets = new List<Socket>();
        try
        {
            for (int i = 0; i < 20; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                sockets.Add(s);
            }

            sockets[19].SendTo([7], sockets[19].LocalEndPoint!);
            var readable = new List<Socket>();
            wait.Wait(sockets, 20_000, readable);

            Assert.Equal([sockets[19]], readable);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }
}
