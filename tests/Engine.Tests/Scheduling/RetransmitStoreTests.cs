using MptFast.Engine.Scheduling;

namespace MptFast.Engine.Tests.Scheduling;

public class RetransmitStoreTests
{
    [Fact]
    public void A_retained_packet_is_found_by_path_and_number_once()
    {
        var store = new RetransmitStore(paths: 2, capacity: 16, perPath: 8);
        Span<int> evicted = stackalloc int[2];
        Assert.Equal(0, store.Retain(1, 100, 42, evicted));

        Assert.False(store.TryTake(0, 100, out _));
        Assert.False(store.TryTake(1, 101, out _));
        Assert.True(store.TryTake(1, 100, out int slot));
        Assert.Equal(42, slot);
        Assert.False(store.TryTake(1, 100, out _));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void The_oldest_packet_overall_is_given_back_when_the_store_is_full()
    {
        var store = new RetransmitStore(paths: 2, capacity: 3, perPath: 16);
        Span<int> evicted = stackalloc int[2];
        store.Retain(0, 1, 10, evicted);
        store.Retain(1, 1, 11, evicted);
        store.Retain(0, 2, 12, evicted);

        Assert.Equal(1, store.Retain(1, 2, 13, evicted));
        Assert.Equal(10, evicted[0]);
        Assert.False(store.TryTake(0, 1, out _));
        Assert.Equal(3, store.Count);
    }

    [Fact]
    public void A_number_whose_place_is_taken_by_a_newer_one_gives_the_old_slot_back()
    {
        var store = new RetransmitStore(paths: 1, capacity: 100, perPath: 4);
        Span<int> evicted = stackalloc int[2];
        store.Retain(0, 1, 10, evicted);

        Assert.Equal(1, store.Retain(0, 5, 20, evicted)); // 5 & 3 == 1 & 3
        Assert.Equal(10, evicted[0]);
        Assert.False(store.TryTake(0, 1, out _));
        Assert.True(store.TryTake(0, 5, out int slot));
        Assert.Equal(20, slot);
    }

    [Fact]
    public void A_taken_packet_leaves_no_stale_eviction_behind()
    {
        var store = new RetransmitStore(paths: 1, capacity: 2, perPath: 4);
        Span<int> evicted = stackalloc int[2];
        store.Retain(0, 0, 10, evicted);
        Assert.True(store.TryTake(0, 0, out _));
        store.Retain(0, 1, 11, evicted);

        // The order ring still names (0, 0): popping it must not give back anything (slot 10 is the caller's now).
        Assert.Equal(0, store.Retain(0, 2, 12, evicted));
        Assert.Equal(2, store.Count);
    }

    [Fact]
    public void Clear_hands_back_every_held_slot()
    {
        var store = new RetransmitStore(paths: 2, capacity: 8, perPath: 8);
        Span<int> evicted = stackalloc int[2];
        store.Retain(0, 1, 1, evicted);
        store.Retain(1, 7, 2, evicted);
        var released = new List<int>();

        store.Clear(released.Add);

        Assert.Equal([1, 2], released.Order());
        Assert.Equal(0, store.Count);
    }
}
