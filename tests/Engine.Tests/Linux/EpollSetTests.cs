using System.Net;
using MptFast.Engine.Buffers;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Runtime;
using static MptFast.Engine.Tests.Linux.SocketTestSupport;

namespace MptFast.Engine.Tests.Linux;

/// <summary>epoll readiness (issue 15: a wait costs the ready sockets) and moving a path socket's peer (NAT).</summary>
public class EpollSetTests
{
    [Fact]
    public void Only_the_signalled_descriptors_are_reported_with_their_tokens_until_reset()
    {
        var events = Enumerable.Range(0, 300).Select(_ => new WakeEvent()).ToArray();
        using var epoll = new EpollSet(16);
        for (int i = 0; i < events.Length; i++)
        {
            epoll.Add(events[i].Fd, (ulong)i + 1);
        }

        Assert.Equal(0, epoll.Wait(0));
        events[7].Signal();
        events[250].Signal();
        int n = epoll.Wait(1000);
        Assert.Equal(2, n);
        Assert.Equal(new ulong[] { 8, 251 }, Enumerable.Range(0, n).Select(epoll.Token).Order().ToArray());
        Assert.Equal(2, epoll.Wait(0)); // level-triggered: still readable
        events[7].Reset();
        events[250].Reset();
        Assert.Equal(0, epoll.Wait(0));
        foreach (WakeEvent e in events)
        {
            e.Dispose();
        }
    }

    [Fact]
    public void A_retargeted_path_socket_sends_to_the_new_peer_and_the_path_accepts_it()
    {
        IPAddress lo = IPAddress.Loopback;
        using var first = LinuxUdpPathSocket.Open(lo, 0, lo, 9);
        using var second = LinuxUdpPathSocket.Open(lo, 0, lo, 9);
        using var sender = LinuxUdpPathSocket.Open(lo, 0, lo, first.LocalPort);
        var path = new PathRuntime(0, new MptFast.Engine.Config.PathConfig(), lo, lo, lo) { Socket = sender };
        path.Endpoint = new PathEndpoint(lo, first.LocalPort);

        PathMoves.FollowPort(path, second.LocalPort);
        Assert.Equal(second.LocalPort, path.Endpoint.Port);
        Assert.Equal(1, path.PortMoves);
        Assert.Equal(second.LocalPort, sender.RemoteEndPoint.Port);
        Assert.Equal(PathSendResult.Sent, sender.Send([1, 2, 3]));

        using var pool = new PacketPool(64);
        using var batch = new PacketBatch(pool);
        var poll = new PollSet();
        poll.Add(second.Fd);
        Assert.Equal(1, ReceiveUntil(second, batch, poll, 1, _ => { }));
        Assert.Equal(0, first.ReceiveBatch(batch)); // nothing went to the old peer
        Assert.False(PathMoves.MoveAddress(path, lo)); // the same address: no move
    }
}
