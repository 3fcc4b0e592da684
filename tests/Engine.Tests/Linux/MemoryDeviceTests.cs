using System.Net;
using MptFast.Engine.Buffers;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Datapath.Memory;
using MptFast.Engine.Interop;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Tests.Linux;

public class MemoryDeviceTests
{
    private static readonly IPEndPoint s_a = new(IPAddress.Parse("198.18.1.1"), 65000);
    private static readonly IPEndPoint s_b = new(IPAddress.Parse("198.18.2.1"), 65001);

    [Fact]
    public void Paired_sockets_deliver_a_batch_with_the_senders_endpoint()
    {
        var (a, b) = MemoryPathSocket.CreatePair(s_a, s_b);
        using (a)
        using (b)
        using (var pool = new PacketPool(16))
        using (var batch = new PacketBatch(pool, 8))
        {
            batch.EnsureSlots(3);
            for (int i = 0; i < 3; i++)
            {
                SocketTestSupport.FillPacket(batch, i, 10 + i, i);
            }

            Assert.Equal(3, a.SendBatch(batch, 0, 3));
            Assert.Equal(3, b.ReceiveBatch(batch));
            byte[] source = s_a.Address.MapToIPv6().GetAddressBytes();
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal(SocketTestSupport.ExpectedBytes(10 + i, i), batch.Data(i).ToArray());
                Assert.Equal(source, batch.SourceAddress(i).ToArray());
                Assert.Equal(65000, batch.SourcePort(i));
            }

            Assert.Equal(0, b.ReceiveBatch(batch));
        }
    }

    [Fact]
    public void Source_override_is_what_the_peer_sees()
    {
        var (a, b) = MemoryPathSocket.CreatePair(s_a, s_b);
        using (a)
        using (b)
        using (var pool = new PacketPool(4))
        using (var batch = new PacketBatch(pool, 4))
        {
            a.SourceOverride = new IPEndPoint(IPAddress.Parse("fd00::9"), 1234);
            Assert.Equal(PathSendResult.Sent, a.Send([1, 2, 3]));
            Assert.Equal(1, b.ReceiveBatch(batch));
            Assert.Equal(IPAddress.Parse("fd00::9").GetAddressBytes(), batch.SourceAddress(0).ToArray());
            Assert.Equal(1234, batch.SourcePort(0));
        }
    }

    [Fact]
    public void Full_inbox_stops_a_batch_send_like_eagain()
    {
        var (a, b) = MemoryPathSocket.CreatePair(s_a, s_b);
        using (a)
        using (b)
        using (var pool = new PacketPool(8))
        using (var batch = new PacketBatch(pool, 8))
        {
            b.InboxLimit = 2;
            batch.EnsureSlots(5);
            for (int i = 0; i < 5; i++)
            {
                SocketTestSupport.FillPacket(batch, i, 20, i);
            }

            Assert.Equal(2, a.SendBatch(batch, 0, 5));
            Assert.Equal(1, a.Counters.Send.WouldBlock);
            Assert.Equal(2, b.Pending);
        }
    }

    [Fact]
    public void Oversized_injected_datagram_is_flagged_truncated()
    {
        using var socket = new MemoryPathSocket(s_a, s_b);
        using var pool = new PacketPool(2, 256);
        using var batch = new PacketBatch(pool, 2);
        socket.Inject(new byte[1000], s_b.Address, 1);
        Assert.Equal(1, socket.ReceiveBatch(batch));
        Assert.Equal(PacketFlags.Truncated, batch.FlagsOf(0));
        Assert.Equal(pool.PacketCapacity, batch.LengthOf(0));
    }

    [Fact]
    public void Memory_socket_fd_is_readable_exactly_while_datagrams_wait()
    {
        using var socket = new MemoryPathSocket(s_a, s_b);
        using var pool = new PacketPool(4);
        using var batch = new PacketBatch(pool, 1);
        var poll = new PollSet();
        int index = poll.Add(socket.Fd);
        Assert.Equal(0, poll.Wait(0));
        socket.Inject([1], s_b.Address, 1);
        socket.Inject([2], s_b.Address, 1);
        Assert.Equal(1, poll.Wait(0));
        Assert.True(poll.IsReadable(index));
        Assert.Equal(1, socket.ReceiveBatch(batch)); // batch of one: one still waits
        Assert.Equal(1, poll.Wait(0));
        Assert.Equal(1, socket.ReceiveBatch(batch));
        Assert.Equal(0, poll.Wait(0));
    }

    [Fact]
    public void Memory_tun_reads_injected_packets_at_the_headroom_and_collects_writes()
    {
        using var tun = new MemoryTunDevice();
        using var pool = new PacketPool(8);
        using var batch = new PacketBatch(pool, 8);
        tun.Inject([0x45, 1, 2]);
        tun.Inject([0x60, 3]);
        Assert.Equal(2, tun.ReadBatch(batch));
        Assert.Equal(PacketPool.Headroom, batch.OffsetOf(0));
        Assert.Equal(new byte[] { 0x60, 3 }, batch.Data(1).ToArray());
        Assert.Equal(2, tun.WriteBatch(batch, 0, 2));
        Assert.True(tun.TryTakeWritten(out byte[] first));
        Assert.Equal(new byte[] { 0x45, 1, 2 }, first);
        Assert.Equal(1, tun.WrittenCount);
        Assert.Equal(0, tun.ReadBatch(batch));
    }

    [Fact]
    public void Memory_tun_collects_a_gathered_write_as_one_packet_without_its_virtio_header()
    {
        using var tun = new MemoryTunDevice();
        using var pool = new PacketPool(2);
        using var gather = new PacketGather();
        Assert.True(pool.TryRent(out int slot));
        byte[] packet = [0x45, 0, 0, 8, 1, 2, 3, 4];
        packet.CopyTo(pool.Slot(slot)[PacketPool.Headroom..]);
        gather.Scratch[..10].Fill(1);
        gather.SetVirtioHeader(gather.Scratch[..10]);
        gather.Add(pool.Slot(slot).Slice(PacketPool.Headroom, 3));
        gather.Add(pool.Slot(slot).Slice(PacketPool.Headroom + 3, 5));
        Assert.True(tun.WriteGather(gather));
        Assert.True(tun.TryTakeWritten(out byte[] written));
        Assert.Equal(packet, written);
        Assert.Equal(8, tun.Counters.Write.Bytes);
    }
}
