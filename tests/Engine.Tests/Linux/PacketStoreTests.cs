using MptFast.Engine.Buffers;

namespace MptFast.Engine.Tests.Linux;

/// <summary>The receive thread's packet handles: datagram slots, ref-counted views into GRO message slots, the move of
/// held views into datagram slots, and the gather list a TUN write is made of.</summary>
public sealed class PacketStoreTests : IDisposable
{
    private readonly PacketPool _datagrams = new(8, 2048);
    private readonly PacketPool _messages = new(2, PacketPool.Headroom + 8192);

    public void Dispose()
    {
        _datagrams.Dispose();
        _messages.Dispose();
    }

    [Fact]
    public void A_message_slot_goes_back_only_after_the_batch_and_every_view_let_go_of_it()
    {
        var store = new PacketStore(_datagrams, _messages, maxViews: 4);
        Assert.True(_messages.TryRent(out int slot));
        Fill(_messages.Slot(slot), 1);
        store.BeginMessage(slot);
        Assert.True(store.TryView(slot, 100, 10, out int a));
        Assert.True(store.TryView(slot, 200, 10, out int b));
        store.Release(a); // written while the message is still being cut: the batch's reference keeps the slot
        Assert.True(_messages.IsRented(slot));
        Assert.True(store.EndMessage(slot)); // b still uses it: the store owns the slot now
        Assert.Equal(1, store.PinnedMessages);
        Assert.Equal(_messages.Slot(slot).Slice(200, 10).ToArray(), store.Data(b).ToArray());

        store.Release(b);
        Assert.False(_messages.IsRented(slot));
        Assert.Equal(2, _messages.Available);
        Assert.Equal(0, store.PinnedMessages);
        Assert.Equal(0, store.Live);
    }

    [Fact]
    public void A_message_nothing_was_kept_from_stays_with_the_batch()
    {
        var store = new PacketStore(_datagrams, _messages, maxViews: 4);
        Assert.True(_messages.TryRent(out int slot));
        store.BeginMessage(slot);
        Assert.True(store.TryView(slot, 64, 10, out int a));
        store.Release(a);
        Assert.False(store.EndMessage(slot));
        Assert.True(_messages.IsRented(slot)); // still the batch's
        store.BeginMessage(slot); // and it can be cut again
        Assert.False(store.EndMessage(slot));
    }

    [Fact]
    public void Views_are_capped_and_handles_never_run_out()
    {
        var store = new PacketStore(_datagrams, _messages, maxViews: 2);
        Assert.Equal(_datagrams.SlotCount + 2, store.HandleCount);
        Assert.True(_messages.TryRent(out int slot));
        store.BeginMessage(slot);
        Assert.True(store.TryView(slot, 64, 10, out _));
        Assert.True(store.TryView(slot, 74, 10, out _));
        Assert.False(store.TryView(slot, 84, 10, out int none));
        Assert.Equal(-1, none);

        // Every datagram slot can still become a handle next to the views.
        for (int i = 0; i < _datagrams.SlotCount; i++)
        {
            Assert.True(store.TryCopy([1, 2, 3], out _));
        }

        Assert.False(store.TryCopy([1, 2, 3], out _)); // the datagram pool is dry: a counted drop for the caller
        Assert.Equal(_datagrams.SlotCount + 2, store.Live);
    }

    [Fact]
    public void Migrating_views_copies_their_bytes_keeps_their_handles_and_frees_the_message_slots()
    {
        var store = new PacketStore(_datagrams, _messages, maxViews: 8);
        Assert.True(_messages.TryRent(out int slot));
        Fill(_messages.Slot(slot), 7);
        byte[] expected = _messages.Slot(slot).Slice(300, 50).ToArray();
        store.BeginMessage(slot);
        Assert.True(store.TryView(slot, 300, 50, out int view));
        Assert.True(store.TryView(slot, 400, 50, out int other));
        Assert.True(store.EndMessage(slot));

        Assert.Equal(2, store.MigrateViews());
        Assert.False(_messages.IsRented(slot)); // back in the pool: the next receive may overwrite it
        Fill(_messages.Slot(slot), 0xEE);
        Assert.False(store.IsView(view));
        Assert.Equal(expected, store.Data(view).ToArray());
        Assert.Equal(2, store.CopiedViews);
        Assert.Equal(0, store.Views);
        Assert.Equal(0, store.PinnedMessages);

        store.Release(view);
        store.Release(other);
        Assert.Equal(_datagrams.SlotCount, _datagrams.Available);
        Assert.Throws<InvalidOperationException>(() => store.Release(view));
    }

    [Fact]
    public void Migration_stops_when_the_datagram_pool_is_dry_and_leaves_the_rest_as_views()
    {
        var store = new PacketStore(_datagrams, _messages, maxViews: 8);
        var held = new List<int>();
        while (_datagrams.TryRent(out int d))
        {
            held.Add(d);
        }

        _datagrams.Return(held[^1]); // one datagram slot free
        Assert.True(_messages.TryRent(out int slot));
        store.BeginMessage(slot);
        Assert.True(store.TryView(slot, 64, 10, out _));
        Assert.True(store.TryView(slot, 74, 10, out _));
        Assert.True(store.EndMessage(slot));
        Assert.Equal(1, store.MigrateViews());
        Assert.Equal(1, store.Views);
        Assert.True(_messages.IsRented(slot));
    }

    [Fact]
    public void A_gather_list_describes_a_packet_in_place()
    {
        using var gather = new PacketGather();
        Assert.True(_datagrams.TryRent(out int slot));
        Span<byte> bytes = _datagrams.Slot(slot);
        Fill(bytes, 3);
        gather.Add(bytes.Slice(64, 20));
        gather.Add(bytes.Slice(100, 5));
        Assert.False(gather.HasVirtioHeader);
        Assert.Equal(25, gather.Length);
        Assert.Equal([.. bytes.Slice(64, 20), .. bytes.Slice(100, 5)], gather.ToArray());
        Assert.True(gather.Segment(1).Overlaps(bytes.Slice(100, 5), out int offset) && offset == 0);

        gather.Scratch[..10].Fill(9);
        gather.SetVirtioHeader(gather.Scratch[..10]);
        Assert.Equal(Enumerable.Repeat((byte)9, 10).ToArray(), gather.Header.ToArray());
        gather.Clear();
        Assert.Equal(0, gather.Count);
        Assert.False(gather.HasVirtioHeader);
        Assert.Throws<ArgumentOutOfRangeException>(() => gather.Segment(0).Length);
    }

    private static void Fill(Span<byte> slot, int seed)
    {
        for (int i = 0; i < slot.Length; i++)
        {
            slot[i] = (byte)((i * 31) + seed);
        }
    }
}
