using MptFast.Engine.Buffers;

namespace MptFast.Engine.Tests.Linux;

public unsafe class PacketPoolTests
{
    [Fact]
    public void Rent_hands_out_every_slot_once_then_reports_exhaustion()
    {
        using var pool = new PacketPool(8);
        var seen = new HashSet<int>();
        for (int i = 0; i < 8; i++)
        {
            Assert.True(pool.TryRent(out int slot));
            Assert.True(seen.Add(slot), $"slot {slot} rented twice");
        }

        Assert.Equal(0, pool.Available);
        Assert.False(pool.TryRent(out int none));
        Assert.Equal(-1, none);
    }

    [Fact]
    public void Returned_slot_can_be_rented_again()
    {
        using var pool = new PacketPool(2);
        Assert.True(pool.TryRent(out int a));
        Assert.True(pool.TryRent(out _));
        pool.Return(a);
        Assert.Equal(1, pool.Available);
        Assert.True(pool.TryRent(out int again));
        Assert.Equal(a, again);
    }

    [Fact]
    public void Returning_a_slot_twice_throws()
    {
        using var pool = new PacketPool(2);
        Assert.True(pool.TryRent(out int a));
        pool.Return(a);
        Assert.Throws<InvalidOperationException>(() => pool.Return(a));
        Assert.Throws<InvalidOperationException>(() => pool.Return(99));
    }

    [Theory]
    [InlineData(2048, 2048)]
    [InlineData(1600, 1600)]
    [InlineData(1500, 1536)]
    [InlineData(65536 + 128, 65536 + 128)]
    public void Slots_are_64_byte_aligned_and_sized_in_whole_cache_lines(int requested, int expected)
    {
        using var pool = new PacketPool(5, requested);
        Assert.Equal(expected, pool.SlotSize);
        Assert.Equal(expected - PacketPool.Headroom, pool.PacketCapacity);
        for (int i = 0; i < pool.SlotCount; i++)
        {
            Assert.Equal(0, (long)pool.Pointer(i) % PacketPool.Alignment);
            Assert.Equal(pool.SlotSize, pool.Slot(i).Length);
        }
    }

    [Fact]
    public void Headroom_fits_a_virtio_header_and_the_longest_gre_header()
    {
        Assert.True(PacketPool.Headroom >= 12 + 16);
        Assert.True(PacketPool.Headroom >= 64);
    }

    [Fact]
    public void Slots_do_not_overlap()
    {
        using var pool = new PacketPool(4, 256);
        for (int i = 0; i < 4; i++)
        {
            pool.Slot(i).Fill((byte)(i + 1));
        }

        for (int i = 0; i < 4; i++)
        {
            Assert.All(pool.Slot(i).ToArray(), b => Assert.Equal((byte)(i + 1), b));
        }
    }

    [Fact]
    public void Slot_index_outside_the_pool_throws()
    {
        using var pool = new PacketPool(2);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Slot(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Slot(-1));
    }
}
