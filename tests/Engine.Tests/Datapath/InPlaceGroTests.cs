using System.Diagnostics;
using MptFast.Engine.Buffers;
using MptFast.Engine.Datapath;
using MptFast.Engine.Offload;
using MptFast.Engine.Reorder;
using MptFast.Engine.Runtime;
using MptFast.Engine.Tests.Offload;
using static MptFast.Engine.Tests.Datapath.RxOffloadTests;

namespace MptFast.Engine.Tests.Datapath;

/// <summary>GRO messages cut in place: datagrams are views into the message slot, which lives until the last of them
/// was written or dropped — also while the reorder buffer holds some — and the message pool never runs dry.</summary>
public class InPlaceGroTests
{
    private const int Payload = 1200;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_message_slot_stays_pinned_while_the_reorder_buffer_holds_some_of_its_datagrams(bool coalesce)
    {
        var (connection, sockets) = Connection(64, gro: true, paths: 1);
        NoTiming(connection);
        byte[][] stream = CoalescerPackets.Stream(new TcpSpec(), 10, Payload);
        sockets[0].Script(Glued(stream, 0, 1, 2, 4, 5, 6, 7)); // 3 is late
        using var tun = new RecordingTun { Keep = true };
        using var pump = new RxPump(tun, [connection], 2048, new RxOffload(UdpGro: true, TcpCoalescing: coalesce));
        PacketPool messages = pump.Pools.Messages!;

        pump.RunOnce(0);
        Assert.Equal(stream[..3], Segments(tun));
        Assert.Equal(4, connection.Reorder!.Held);
        Assert.Equal(4, pump.Store.Views); // 4 … 7 are views into the message slot, not copies
        Assert.Equal(1, pump.Store.PinnedMessages);
        Assert.True(messages.IsRented(0), "the first message's slot went back while its datagrams are held");

        // The next message is received into another slot: the held datagrams must come out intact.
        sockets[0].Script(Glued(stream, 3, 8, 9));
        pump.RunOnce(0);
        Assert.Equal(stream, Segments(tun));
        Assert.Equal(coalesce ? 2 : 0, pump.SuperPackets);
        Assert.Equal(0, pump.Store.Live);
        Assert.Equal(0, pump.Store.PinnedMessages);
        Assert.Equal(0, pump.Store.CopiedViews);
        Assert.False(messages.IsRented(0));
        Assert.Equal(pump.Pools.Datagrams.SlotCount, pump.Pools.Datagrams.Available); // nothing was copied
        Assert.Equal(10, connection.Paths[0].Counters.Rx.Packets);
    }

    [Fact]
    public void Held_datagrams_pinning_every_message_slot_are_copied_out_and_none_is_lost()
    {
        var (connection, sockets) = Connection(1000, gro: true, paths: 1);
        NoTiming(connection);
        const int perMessage = 4;
        const int heldMessages = 100;
        byte[][] stream = CoalescerPackets.Stream(new TcpSpec(), 2 + (perMessage * heldMessages), Payload);
        var script = new List<(byte[], int)> { Glued(stream, 0) };
        for (int m = 0; m < heldMessages; m++)
        {
            script.Add(Glued(stream, [.. Enumerable.Range(2 + (m * perMessage), perMessage)])); // all behind the gap at 1
        }

        sockets[0].Script([.. script]);
        using var tun = new RecordingTun { Keep = true };
        using var pump = new RxPump(tun, [connection], 2048, new RxOffload(UdpGro: true, TcpCoalescing: true));
        PacketPool messages = pump.Pools.Messages!;
        Assert.True(heldMessages > messages.SlotCount, "the test must pin more messages than the pool has");

        for (int wake = 0; wake < 4 && connection.Reorder!.Held < perMessage * heldMessages; wake++)
        {
            pump.RunOnce(0); // a wake-up reads at most MaxBatchesPerSocket batches
        }

        Assert.Equal(perMessage * heldMessages, connection.Reorder!.Held);
        Assert.True(pump.GroSlotShortages > 0);
        Assert.True(pump.Store.CopiedViews > 0);
        Assert.True(pump.Store.PinnedMessages < messages.SlotCount);
        Assert.Equal(0, sockets[0].Counters.Receive.PoolExhausted);

        sockets[0].Script(Glued(stream, 1));
        pump.RunOnce(0);
        Assert.Equal(stream, Segments(tun));
        Assert.Equal(stream.Length, connection.Paths[0].Counters.Rx.Packets);
        Assert.Equal(0, pump.Store.Live);
        Assert.Equal(0, pump.Store.PinnedMessages);
        Assert.Equal(pump.Pools.Datagrams.SlotCount, pump.Pools.Datagrams.Available);
        Assert.True(messages.Available >= messages.SlotCount - RxPump.GroBatchMessages);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void In_place_gro_with_reordering_allocates_nothing_and_leaks_no_slot(bool coalesce)
    {
        var (connection, sockets) = Connection(64, gro: true, paths: 1);
        NoTiming(connection);
        byte[][] stream = CoalescerPackets.Stream(new TcpSpec(), 10, Payload);
        // Looped: 3 waits for the second message, and every new loop starts behind (late drops, then a resync).
        sockets[0].Script(Glued(stream, 0, 1, 2, 4, 5), Glued(stream, 3, 6, 7, 8, 9));
        sockets[0].Loop = true;
        using var tun = new RecordingTun();
        using var pump = new RxPump(tun, [connection], 2048, new RxOffload(UdpGro: true, TcpCoalescing: coalesce));

        pump.RunOnce(0);
        SteadyState.AssertAllocatesNothing(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                pump.RunOnce(0);
            }
        });

        Assert.True(connection.Reorder!.Delivered > 1000);
        Assert.Equal(tun.Plain + tun.Super, tun.Gathers);
        Assert.True(connection.Reorder!.DroppedLate > 0);
        Assert.Equal(0, pump.Store.CopiedViews);
        Assert.Equal(connection.Reorder.Held, pump.Store.Live); // whatever is not held was written or dropped
        Assert.True(pump.Store.PinnedMessages <= connection.Reorder.Held);
        Assert.Equal(0, sockets[0].Counters.Receive.PoolExhausted);
    }

    /// <summary>The stream's packets <paramref name="indexes"/> (equal sizes) as one GRO message with sequence numbers.</summary>
    [Fact]
    public void A_path_with_thinner_gro_messages_is_read_until_it_catches_up_and_nothing_is_dropped_late()
    {
        // A sender alternating 16-packet trains over two paths; GRO packs path 0's trains two datagrams per message and
        // path 1's a whole train per message. Reading 8 messages a path a round, path 0 falls behind by 112 sequence
        // numbers a round — past a 64-packet window after one round — unless it is read again until it catches up.
        var (connection, sockets) = Connection(64, gro: true, paths: 2);
        NoTiming(connection);
        const int train = 16;
        const int trains = 32;
        byte[][] stream = CoalescerPackets.Stream(new TcpSpec(), train * trains, Payload);
        var thin = new List<(byte[], int)>();
        var thick = new List<(byte[], int)>();
        for (int t = 0; t < trains; t++)
        {
            int[] seqs = [.. Enumerable.Range(t * train, train)];
            if (t % 2 == 0)
            {
                thin.AddRange(seqs.Chunk(2).Select(pair => Glued(stream, pair)));
            }
            else
            {
                thick.Add(Glued(stream, seqs));
            }
        }

        sockets[0].Script([.. thin]);
        sockets[1].Script([.. thick]);
        using var tun = new RecordingTun { Keep = true };
        using var pump = new RxPump(tun, [connection], 2048, new RxOffload(UdpGro: true, TcpCoalescing: false));

        for (int wake = 0; wake < 8 && Segments(tun).Count < stream.Length; wake++)
        {
            pump.RunOnce(0);
        }

        ReorderBuffer reorder = connection.Reorder!;
        Assert.Equal(0, reorder.DroppedLate);
        Assert.Equal(0, reorder.Resyncs);
        Assert.Equal(0, reorder.GapsSkipped);
        Assert.True(pump.CatchUpReads > 0, "path 0 was never read to catch up");
        Assert.Equal(stream, Segments(tun));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Packets_held_when_the_pump_is_disposed_are_written_in_order_not_dropped(bool gro)
    {
        // A reload disposes the receive pump while the reorder buffer waits for 2: 3 and 4 had arrived and must reach
        // the TUN (after 0 and 1, in order); the buffer starts afresh for the next pump.
        var (connection, sockets) = Connection(64, gro, paths: 1);
        NoTiming(connection);
        byte[][] stream = CoalescerPackets.Stream(new TcpSpec(), 5, Payload);
        sockets[0].Script(gro ? [Glued(stream, 0, 1, 3, 4)] : [Glued(stream, 0), Glued(stream, 1), Glued(stream, 3), Glued(stream, 4)]);
        using var tun = new RecordingTun { Keep = true };
        var pump = new RxPump(tun, [connection], 2048, new RxOffload(UdpGro: gro, TcpCoalescing: false));
        pump.RunOnce(0);
        Assert.Equal(2, connection.Reorder!.Held);

        pump.Dispose();
        Assert.Equal([stream[0], stream[1], stream[3], stream[4]], Segments(tun));
        Assert.Equal(0, connection.Reorder.Held);
        Assert.Equal(0, connection.Reorder.DroppedByReset);
        Assert.False(connection.Reorder.IsSynchronised);
    }

    private static (byte[] Data, int SegmentSize) Glued(byte[][] stream, params int[] indexes)
    {
        byte[][] datagrams = [.. indexes.Select(i => Gre(stream[i], true, (uint)i))];
        return ([.. datagrams.SelectMany(d => d)], indexes.Length > 1 ? datagrams[0].Length : 0);
    }

    private static void NoTiming(ConnectionRuntime connection)
    {
        connection.Reorder!.Adaptive = null; // a slow test thread must not expire what is held
        connection.Reorder.HoldTicks = 60 * Stopwatch.Frequency;
    }
}
