using System.Net;
using MptFast.Engine.Buffers;
using MptFast.Engine.Datapath.Linux;
using static MptFast.Engine.Tests.Linux.SocketTestSupport;

namespace MptFast.Engine.Tests.Linux;

public class UdpGsoLoopbackTests
{
    [Theory]
    [InlineData("127.0.0.1", 1)]
    [InlineData("127.0.0.1", 0)]
    [InlineData("::1", 1)]
    public void Gso_train_of_equal_segments_and_a_shorter_last_arrives_as_separate_datagrams(string loopback, int shorterLast)
    {
        IPAddress address = IPAddress.Parse(loopback);
        using var receiver = LinuxUdpPathSocket.Open(address, 0, address, 9);
        using var sender = LinuxUdpPathSocket.Open(address, 0, address, receiver.LocalPort);
        Assert.True(sender.Capabilities.GsoSupported, "this kernel lacks UDP_SEGMENT (the test machines have it)");
        using var pool = new PacketPool(200);
        using var outgoing = new PacketBatch(pool);
        using var incoming = new PacketBatch(pool);
        const int segment = 1208;
        const int count = 40; // 40 × 1208 = 48 320 bytes in one sendmsg
        outgoing.EnsureSlots(count + 2);
        var sizes = new int[count + 2];
        for (int i = 0; i < count + 2; i++)
        {
            sizes[i] = i == count - 1 && shorterLast == 1 ? 333 : i >= count ? 100 + i : segment;
            FillPacket(outgoing, i, sizes[i], seed: i);
        }

        // Two plain datagrams from behind the train first, then the train, then the plain ones again.
        Assert.Equal(2, sender.SendBatch(outgoing, count, 2));
        Assert.Equal(count, sender.SendGso(outgoing, 0, count, segment));
        Assert.Equal(1, sender.Counters.Send.GsoSends);
        Assert.Equal(count + 2, sender.Counters.Send.Datagrams);
        Assert.Equal(2, sender.SendBatch(outgoing, count, 2)); // the batch's messages were restored after the GSO send

        var poll = new PollSet();
        poll.Add(receiver.Fd);
        int[] order = [.. Enumerable.Range(count, 2), .. Enumerable.Range(0, count), .. Enumerable.Range(count, 2)];
        int next = 0;
        int received = ReceiveUntil(receiver, incoming, poll, order.Length, batch =>
        {
            for (int i = 0; i < batch.Count; i++, next++)
            {
                int expected = order[next];
                Assert.Equal(sizes[expected], batch.LengthOf(i));
                Assert.True(ExpectedBytes(sizes[expected], expected).AsSpan().SequenceEqual(batch.Data(i)), $"datagram {next} differs");
            }
        });
        Assert.Equal(order.Length, received);
    }

    [Fact]
    public void Gso_send_without_gso_support_falls_back_to_single_datagrams()
    {
        IPAddress lo = IPAddress.Loopback;
        using var receiver = LinuxUdpPathSocket.Open(lo, 0, lo, 9);
        using var sender = LinuxUdpPathSocket.Open(lo, 0, lo, receiver.LocalPort);
        Assert.True(sender.Capabilities.DisableGso());
        Assert.False(sender.Capabilities.DisableGso()); // once only: one log line
        using var pool = new PacketPool(20);
        using var outgoing = new PacketBatch(pool);
        using var incoming = new PacketBatch(pool);
        outgoing.EnsureSlots(3);
        FillPacket(outgoing, 0, 500, 0);
        FillPacket(outgoing, 1, 500, 1);
        FillPacket(outgoing, 2, 20, 2);
        Assert.Equal(3, sender.SendGso(outgoing, 0, 3, 500));
        Assert.Equal(0, sender.Counters.Send.GsoSends);
        var poll = new PollSet();
        poll.Add(receiver.Fd);
        Assert.Equal(3, ReceiveUntil(receiver, incoming, poll, 3, null));
    }
}
