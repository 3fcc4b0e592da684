using System.Net;
using MptFast.Engine.Buffers;
using MptFast.Engine.Datapath;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Interop;
using MptFast.Engine.Runtime;
using static MptFast.Engine.Tests.Linux.SocketTestSupport;

namespace MptFast.Engine.Tests.Linux;

/// <summary>UDP GRO on a real socket: a GSO send over loopback stays one skb, which a GRO socket receives as one
/// message with the segment size in a (SOL_UDP, UDP_GRO) control message.</summary>
public class UdpGroLoopbackTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_gso_send_arrives_glued_with_its_segment_size_on_a_gro_socket_and_cut_otherwise(bool gro)
    {
        IPAddress lo = IPAddress.Loopback;
        using var receiver = LinuxUdpPathSocket.Open(lo, 0, lo, 9, gro: gro);
        using var sender = LinuxUdpPathSocket.Open(lo, 0, lo, receiver.LocalPort);
        Assert.Equal(gro, receiver.Capabilities.GroSupported); // the test kernels have UDP_GRO (PERFORMANCE-NOTES)
        Assert.Equal(Errno.Success, Libc.SetIntOption(sender.Fd, Libc.SOL_UDP, Libc.UDP_SEGMENT, 100));
        byte[] payload = ExpectedBytes(350, 7);
        Assert.Equal(PathSendResult.Sent, sender.Send(payload));

        using var pool = new PacketPool(8, RxPump.GroSlotSize);
        using var batch = new PacketBatch(pool, 8);
        var poll = new PollSet();
        poll.Add(receiver.Fd);
        var messages = new List<(byte[] Data, int SegmentSize)>();
        ReceiveUntil(receiver, batch, poll, gro ? 1 : 4, b =>
        {
            for (int i = 0; i < b.Count; i++)
            {
                messages.Add((b.Data(i).ToArray(), b.SegmentSizeOf(i)));
            }
        });

        if (gro)
        {
            Assert.Single(messages);
            Assert.Equal(100, messages[0].SegmentSize);
            Assert.Equal(payload, messages[0].Data);
        }
        else
        {
            Assert.Equal([100, 100, 100, 50], messages.Select(m => m.Data.Length));
            Assert.All(messages, m => Assert.Equal(0, m.SegmentSize));
            Assert.Equal(payload, messages.SelectMany(m => m.Data));
        }
    }
}
