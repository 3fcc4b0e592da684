using MptFast.Engine.Buffers;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Interop;

namespace MptFast.Engine.Tests.Linux;

public unsafe class PacketBatchTests
{
    [Fact]
    public void EnsureSlots_rents_once_and_reuses_slots_on_later_calls()
    {
        using var pool = new PacketPool(100);
        using var batch = new PacketBatch(pool);
        Assert.Equal(64, batch.EnsureSlots(64));
        Assert.Equal(36, pool.Available);
        int[] first = Enumerable.Range(0, 64).Select(batch.SlotOf).ToArray();
        Assert.Equal(64, batch.EnsureSlots(64));
        Assert.Equal(36, pool.Available);
        Assert.Equal(first, Enumerable.Range(0, 64).Select(batch.SlotOf).ToArray());
    }

    [Fact]
    public void Detached_slot_belongs_to_the_caller_and_the_entry_rents_a_new_one()
    {
        using var pool = new PacketPool(10);
        using var batch = new PacketBatch(pool, 4);
        batch.EnsureSlots(4);
        int taken = batch.Detach(2);
        Assert.Equal(-1, batch.SlotOf(2));
        Assert.True(pool.IsRented(taken));
        Assert.Equal(4, batch.EnsureSlots(4));
        Assert.NotEqual(taken, batch.SlotOf(2));
        Assert.Equal(10 - 5, pool.Available);
        pool.Return(taken);
    }

    [Fact]
    public void EnsureSlots_stops_at_pool_exhaustion()
    {
        using var pool = new PacketPool(3);
        using var batch = new PacketBatch(pool, 8);
        Assert.Equal(3, batch.EnsureSlots(8));
    }

    [Fact]
    public void ReturnAll_gives_every_slot_back()
    {
        using var pool = new PacketPool(64);
        using var batch = new PacketBatch(pool, 32);
        batch.EnsureSlots(32);
        batch.Count = 32;
        batch.ReturnAll();
        Assert.Equal(64, pool.Available);
        Assert.Equal(0, batch.Count);
    }

    [Fact]
    public void Data_is_the_packet_range_of_the_slot()
    {
        using var pool = new PacketPool(2, 256);
        using var batch = new PacketBatch(pool, 1);
        batch.EnsureSlots(1);
        batch.SetPacket(0, PacketPool.Headroom, 10);
        batch.Data(0).Fill(0xAB);
        batch.SetPacket(0, PacketPool.Headroom - 4, 14); // header prepended into the headroom
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0xAB }, batch.Data(0)[..5].ToArray());
        Assert.Equal(14, batch.LengthOf(0));
    }

    [Theory]
    [InlineData(-1, 10)]
    [InlineData(250, 10)]
    [InlineData(0, 257)]
    public void SetPacket_rejects_ranges_outside_the_slot(int offset, int length)
    {
        using var pool = new PacketPool(1, 256);
        using var batch = new PacketBatch(pool, 1);
        batch.EnsureSlots(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.SetPacket(0, offset, length));
    }

    [Fact]
    public void Source_endpoint_round_trips_in_16_byte_form()
    {
        using var pool = new PacketPool(1);
        using var batch = new PacketBatch(pool, 2);
        byte[] mapped = System.Net.IPAddress.Parse("198.18.0.7").MapToIPv6().GetAddressBytes();
        batch.SetSource(1, mapped, 4754);
        Assert.Equal(mapped, batch.SourceAddress(1).ToArray());
        Assert.Equal(4754, batch.SourcePort(1));
    }

    [Fact]
    public void Prebuilt_messages_point_at_their_own_iovec()
    {
        using var vector = new MessageVector();
        Assert.Equal(PacketBatch.MaxPackets, vector.Capacity);
        for (int i = 0; i < vector.Capacity; i++)
        {
            Assert.True(vector.Messages[i].Header.Iov == vector.IoVecs + i);
            Assert.Equal(1u, (uint)vector.Messages[i].Header.IovLength);
        }
    }
}
