using MptFast.Engine.Scheduling;

namespace MptFast.Engine.Tests.Scheduling;

public class RetransmitStoreTests
{
    [Fact]
    public void A_retained_packet_is_found_by_path_and_number_once()
    {
        using var store = new RetransmitStore(paths: 2, capacity: 16, perPath: 8);
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
        using var store = new RetransmitStore(paths: 2, capacity: 3, perPath: 16);
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
        using var store = new RetransmitStore(paths: 1, capacity: 100, perPath: 4);
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
        using var store = new RetransmitStore(paths: 1, capacity: 2, perPath: 4);
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
        using var store = new RetransmitStore(paths: 2, capacity: 8, perPath: 8);
        Span<int> evicted = stackalloc int[2];
        store.Retain(0, 1, 1, evicted);
        store.Retain(1, 7, 2, evicted);
        var released = new List<int>();

        store.Clear(released.Add);

        Assert.Equal([1, 2], released.Order());
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void Random_retains_and_takes_agree_with_a_dictionary_and_a_queue()
    {
        // Reference: places keyed by (path, low bits of the number), the retention order as a queue of at most
        // Capacity entries (stale ones included, as the store keeps them). Small capacities wrap the ring many times.
        var random = new Random(2024);
        var evictedSlots = new int[2];
        for (int round = 0; round < 40; round++)
        {
            int paths = random.Next(1, 4);
            int perPath = 1 << random.Next(1, 5);
            int capacity = random.Next(1, (paths * perPath) + 3);
            using var store = new RetransmitStore(paths, capacity, perPath);
            var places = new Dictionary<(int, uint), (uint Sequence, int Slot)>();
            var order = new Queue<(int Path, uint Sequence)>();
            var next = new uint[paths];
            Span<int> evicted = evictedSlots;
            int slot = 0;
            for (int op = 0; op < 2000; op++)
            {
                int path = random.Next(paths);
                if (random.Next(3) != 0)
                {
                    uint sequence = next[path]++;
                    var expected = new List<int>();
                    var key = (path, sequence & (uint)(perPath - 1));
                    if (places.Remove(key, out var old))
                    {
                        expected.Add(old.Slot);
                    }

                    if (order.Count == capacity)
                    {
                        (int oldPath, uint oldSequence) = order.Dequeue();
                        var oldKey = (oldPath, oldSequence & (uint)(perPath - 1));
                        if (places.TryGetValue(oldKey, out var entry) && entry.Sequence == oldSequence)
                        {
                            places.Remove(oldKey);
                            expected.Add(entry.Slot);
                        }
                    }

                    order.Enqueue((path, sequence));
                    places[key] = (sequence, slot);
                    int n = store.Retain(path, sequence, slot++, evicted);
                    Assert.Equal(expected, evicted[..n].ToArray());
                }
                else
                {
                    uint sequence = next[path] - (uint)random.Next(1, (2 * perPath) + 2);
                    var key = (path, sequence & (uint)(perPath - 1));
                    bool present = places.TryGetValue(key, out var entry) && entry.Sequence == sequence;
                    if (present)
                    {
                        places.Remove(key);
                    }

                    Assert.Equal(present, store.TryTake(path, sequence, out int taken));
                    Assert.Equal(present ? entry.Slot : -1, taken);
                }

                Assert.Equal(places.Count, store.Count);
            }
        }
    }
}
