using MptFast.Engine.Reorder;

namespace MptFast.Engine.Tests.Reorder;

public class ReorderBufferTests
{
    private const long Hold = 100; // "ms" ticks

    // Pushes (seq, time) pairs with handle = (int)seq; returns the sink.
    private static RecordingSink Run(ReorderBuffer buffer, params (uint Seq, long Time)[] arrivals)
    {
        var sink = new RecordingSink();
        foreach ((uint seq, long time) in arrivals)
        {
            buffer.Push(seq, (int)seq, time, ref sink);
        }

        return sink;
    }

    private static (uint, long)[] At0(params uint[] seqs) => seqs.Select(s => (s, 0L)).ToArray();

    // MPT-SPEC §7.5 rows that behave as the original.
    [Fact]
    public void In_order_packets_are_delivered_at_once()
    {
        var buffer = new ReorderBuffer(8, Hold);
        Assert.Equal(new[] { 0, 1, 2, 3 }, Run(buffer, At0(0, 1, 2, 3)).Delivered);
        Assert.Equal(0, buffer.Held);
        Assert.Equal(long.MaxValue, buffer.NextDeadline);
    }

    [Fact]
    public void Reordered_packets_are_released_when_the_gap_fills()
    {
        var buffer = new ReorderBuffer(8, Hold);
        RecordingSink sink = Run(buffer, At0(0, 2, 3));
        Assert.Equal(new[] { 0 }, sink.Delivered);
        Assert.Equal(2, buffer.Held);
        buffer.Push(1, 1, 5, ref sink);
        Assert.Equal(new[] { 0, 1, 2, 3 }, sink.Delivered);
        Assert.Equal(1, buffer.GapsFilled);
    }

    [Fact]
    public void A_gap_is_given_up_when_the_oldest_held_packet_expires()
    {
        var buffer = new ReorderBuffer(8, Hold);
        RecordingSink sink = Run(buffer, (0, 0), (2, 10), (3, 20));
        Assert.Equal(110, buffer.NextDeadline);
        buffer.Expire(109, ref sink);
        Assert.Equal(new[] { 0 }, sink.Delivered);
        buffer.Expire(110, ref sink);
        Assert.Equal(new[] { 0, 2, 3 }, sink.Delivered);
        Assert.Equal(1, buffer.GapsSkipped);
        Assert.Equal(4u, buffer.Expected);
        Assert.Equal(long.MaxValue, buffer.NextDeadline);
    }

    [Fact]
    public void A_jump_of_a_window_or_more_resynchronises()
    {
        var buffer = new ReorderBuffer(8, Hold);
        Assert.Equal(new[] { 0, 1, 20, 21 }, Run(buffer, At0(0, 1, 20, 21)).Delivered);
        Assert.Equal(1, buffer.Resyncs);
    }

    [Fact]
    public void Late_packets_within_the_bound_are_dropped()
    {
        var buffer = new ReorderBuffer(8, Hold);
        RecordingSink sink = Run(buffer, At0(100, 101, 60, 61));
        Assert.Equal(new[] { 100, 101 }, sink.Delivered);
        Assert.Equal(new[] { (60, ReorderDrop.Late), (61, ReorderDrop.Late) }, sink.Dropped);
        Assert.Equal(2, buffer.DroppedLate);
    }

    [Fact]
    public void A_gap_given_up_is_delivered_when_its_packet_arrives_after_all_and_only_once()
    {
        var buffer = new ReorderBuffer(8, Hold);
        RecordingSink sink = Run(buffer, (0, 0), (2, 10));
        buffer.Expire(110, ref sink); // 1 given up
        Assert.Equal(new[] { 0, 2 }, sink.Delivered);
        buffer.Push(1, 1, 120, ref sink); // the tunnel's retransmission, or the slow path's packet
        buffer.Push(1, 1, 121, ref sink); // and its duplicate
        buffer.Push(2, 2, 122, ref sink); // a duplicate of one delivered in order
        Assert.Equal(new[] { 0, 2, 1 }, sink.Delivered);
        Assert.Equal(new[] { (1, ReorderDrop.Late), (2, ReorderDrop.Late) }, sink.Dropped);
        Assert.Equal(1, buffer.DeliveredLate);
        Assert.Equal(3, buffer.Delivered);
        Assert.Equal(2, buffer.DroppedLate);
        Assert.Equal(3u, buffer.Expected);
    }

    [Fact]
    public void A_given_up_number_does_not_make_its_successor_a_late_bound_later_deliverable()
    {
        // The bitmap of given-up numbers is indexed by the low bits: the bit of 1 is rewritten when the stream passes
        // 1 + 256, so a duplicate of that number (delivered in order) is still dropped.
        var buffer = new ReorderBuffer(8, Hold);
        Assert.Equal(256, buffer.LateBound);
        RecordingSink sink = Run(buffer, (0, 0), (2, 0));
        buffer.Expire(Hold, ref sink); // 1 given up
        for (uint seq = 3; seq < 300; seq++)
        {
            buffer.Push(seq, (int)seq, Hold, ref sink);
        }

        buffer.Push(257, -1, Hold, ref sink);
        buffer.Push(1, -2, Hold, ref sink); // more than the late bound behind now: not late, a restart's first packet
        Assert.Equal(0, buffer.DeliveredLate);
        Assert.Equal((-1, ReorderDrop.Late), sink.Dropped[0]);
    }

    [Fact]
    public void A_jump_forgets_the_numbers_it_skipped_over()
    {
        // Numbers passed over by a resynchronisation are not gaps of the stream: their stragglers stay dropped.
        var buffer = new ReorderBuffer(8, Hold);
        RecordingSink sink = Run(buffer, At0(0, 2, 100, 50, 1));
        Assert.Equal(new[] { 0, 2, 100, 1 }, sink.Delivered); // 1: given up by the flush of the jump, then arrived
        Assert.Equal(new[] { (50, ReorderDrop.Late) }, sink.Dropped);
        Assert.Equal(1, buffer.DeliveredLate);
    }

    [Fact]
    public void A_number_the_sender_gave_up_releases_what_waits_behind_it_at_once()
    {
        var buffer = new ReorderBuffer(8, Hold);
        RecordingSink sink = Run(buffer, At0(0, 2, 3, 5));
        Assert.Equal(new[] { 0 }, sink.Delivered);
        Assert.Equal(1, buffer.GiveUp(1, 1, ref sink)); // 1 will not come: 2 3 go now, 4 is still waited for
        Assert.Equal(new[] { 0, 2, 3 }, sink.Delivered);
        Assert.Equal(4u, buffer.Expected);
        Assert.Equal(1, buffer.GapsGivenUp);
        Assert.Equal(1, buffer.GapsSkipped);
        Assert.Equal(1, buffer.Held);
    }

    [Fact]
    public void A_give_up_ahead_of_the_stream_is_passed_when_the_stream_reaches_it()
    {
        var buffer = new ReorderBuffer(8, Hold);
        RecordingSink sink = Run(buffer, At0(0));
        Assert.Equal(2, buffer.GiveUp(2, 2, ref sink)); // 2 and 3 given up before 1 came
        Assert.Equal(1u, buffer.Expected);
        buffer.Push(1, 1, 0, ref sink); // in order: then 2 and 3 are passed at once
        Assert.Equal(4u, buffer.Expected);
        buffer.Push(4, 4, 0, ref sink);
        Assert.Equal(new[] { 0, 1, 4 }, sink.Delivered);
        Assert.Equal(0, buffer.Held);
        Assert.Equal(long.MaxValue, buffer.NextDeadline);
    }

    [Fact]
    public void A_given_up_packet_that_arrives_after_all_is_delivered_once()
    {
        var buffer = new ReorderBuffer(8, Hold);
        RecordingSink sink = Run(buffer, At0(0, 2));
        Assert.Equal(2, buffer.GiveUp(1, 3, ref sink)); // 1 and 3 (2 is here): 1 passed, 2 delivered, 3 passed
        Assert.Equal(4u, buffer.Expected);
        buffer.Push(3, 3, 0, ref sink); // it came after all: late, delivered
        buffer.Push(3, 3, 0, ref sink); // its duplicate is not
        Assert.Equal(new[] { 0, 2, 3 }, sink.Delivered);
        Assert.Equal(1, buffer.DeliveredLate);
        Assert.Equal(new[] { (3, ReorderDrop.Late) }, sink.Dropped);
    }

    [Fact]
    public void A_give_up_outside_the_window_or_before_the_first_packet_marks_nothing()
    {
        var buffer = new ReorderBuffer(8, Hold);
        var sink = new RecordingSink();
        Assert.Equal(0, buffer.GiveUp(5, 1, ref sink)); // not synchronised
        Assert.Equal(new[] { 100 }, Run(buffer, At0(100, 102)).Delivered);
        Assert.Equal(0, buffer.GiveUp(90, 10, ref sink)); // all behind expected
        Assert.Equal(0, buffer.GiveUp(109, 100, ref sink)); // all a window or more ahead
        Assert.Equal(0, buffer.GiveUp(102, 1, ref sink)); // here already
        Assert.Equal(0, buffer.GiveUp(101, 0, ref sink));
        Assert.Equal(7, buffer.GiveUp(0, ushort.MaxValue, ref sink)); // a huge range costs the window: 101 … 108 but 102
        Assert.Equal(new[] { 102 }, sink.Delivered);
        Assert.Equal(109u, buffer.Expected);
        Assert.Empty(sink.Dropped);
    }

    [Fact]
    public void A_resynchronisation_forgets_the_give_ups_ahead()
    {
        // A mark left ahead of a jump would stand for another number in the new window.
        var buffer = new ReorderBuffer(8, Hold);
        RecordingSink sink = Run(buffer, At0(0));
        buffer.GiveUp(5, 1, ref sink);
        buffer.Push(1000, 1000, 0, ref sink); // jump
        buffer.Push(1002, 1002, 0, ref sink); // slot of 5 + ... reused: 1001 is still waited for
        Assert.Equal(1001u, buffer.Expected);
        Assert.Equal(1, buffer.Held);
    }

    // MPT-SPEC §7.5 rows where the required semantics differ from the original.
    [Fact]
    public void Duplicate_of_a_delivered_packet_is_dropped_not_delivered_again()
    {
        // Original: 0 1 1 2 (seq ≤ 50 below expected taken as a peer restart, B21).
        var buffer = new ReorderBuffer(8, Hold);
        RecordingSink sink = Run(buffer, At0(0, 1, 1, 2));
        Assert.Equal(new[] { 0, 1, 2 }, sink.Delivered);
        Assert.Equal(new[] { (1, ReorderDrop.Late) }, sink.Dropped);
        Assert.Equal(0, buffer.Resyncs);
    }

    [Fact]
    public void Duplicate_of_a_held_packet_drops_only_the_duplicate()
    {
        // Original: 0 2 1 (the duplicate flushed the buffer, B20).
        var buffer = new ReorderBuffer(8, Hold);
        RecordingSink sink = Run(buffer, At0(0, 2, 2, 1));
        Assert.Equal(new[] { 0, 1, 2 }, sink.Delivered);
        Assert.Equal(new[] { (2, ReorderDrop.Duplicate) }, sink.Dropped);
        Assert.Equal(1, buffer.DroppedDuplicate);
    }

    [Fact]
    public void Fresh_receiver_starts_at_the_first_sequence_number()
    {
        // Original: 5 6 only when the timer fires (expected started at 0).
        var buffer = new ReorderBuffer(8, Hold);
        Assert.False(buffer.IsSynchronised);
        Assert.Equal(new[] { 5, 6 }, Run(buffer, At0(5, 6)).Delivered);
        Assert.Equal(0, buffer.Held);
    }

    [Fact]
    public void Sequence_numbers_wrap_across_two_to_the_32()
    {
        var buffer = new ReorderBuffer(8, Hold);
        var sink = new RecordingSink();
        uint[] arrivals = [0xFFFF_FFFE, 0, 0xFFFF_FFFF, 2, 1];
        foreach (uint seq in arrivals)
        {
            buffer.Push(seq, (int)seq, 0, ref sink);
        }

        Assert.Equal(new[] { unchecked((int)0xFFFF_FFFE), -1, 0, 1, 2 }, sink.Delivered);
        Assert.Equal(0, buffer.Resyncs);
        Assert.Equal(3u, buffer.Expected);
    }

    [Fact]
    public void Far_behind_packet_means_a_restart_flush_then_resync()
    {
        var buffer = new ReorderBuffer(8, Hold);
        RecordingSink sink = Run(buffer, At0(100_000, 100_002, 0, 1));
        Assert.Equal(new[] { 100_000, 100_002, 0, 1 }, sink.Delivered);
        Assert.Equal(1, buffer.Resyncs);
        Assert.Equal(1, buffer.GapsSkipped);
    }

    [Fact]
    public void A_run_of_late_packets_means_the_peer_restarted_close_to_zero()
    {
        var buffer = new ReorderBuffer(8, Hold);
        var sink = new RecordingSink();
        buffer.Push(100, 100, 0, ref sink);
        for (uint seq = 0; seq < ReorderBuffer.RestartLateStreak; seq++)
        {
            buffer.Push(seq, (int)seq, 0, ref sink);
        }

        Assert.Equal(ReorderBuffer.RestartLateStreak - 1, buffer.DroppedLate);
        Assert.Equal(1, buffer.Resyncs);
        Assert.Equal((uint)ReorderBuffer.RestartLateStreak, buffer.Expected);
        Assert.Equal(new[] { 100, ReorderBuffer.RestartLateStreak - 1 }, sink.Delivered);
    }

    [Fact]
    public void A_run_of_late_packets_far_from_zero_is_a_gap_filling_late_not_a_restart()
    {
        // After a jump, a whole GRO message of the skipped packets lands in a row: they are late, and the stream that
        // is in order must go on — not jump back to them as if the peer had restarted.
        var buffer = new ReorderBuffer(8, Hold);
        var sink = new RecordingSink();
        buffer.Push(10_000, 0, 0, ref sink);
        buffer.Push(10_200, 1, 0, ref sink); // d ≥ W: resynchronise on 10 200
        for (uint seq = 10_001; seq < 10_001 + (2 * ReorderBuffer.RestartLateStreak); seq++)
        {
            buffer.Push(seq, 2, 0, ref sink);
        }

        buffer.Push(10_201, 3, 0, ref sink);
        Assert.Equal(1, buffer.Resyncs);
        Assert.Equal(2 * ReorderBuffer.RestartLateStreak, buffer.DroppedLate);
        Assert.Equal(new[] { 0, 1, 3 }, sink.Delivered);
        Assert.Equal(10_202u, buffer.Expected);
    }

    [Fact]
    public void A_gap_filled_at_the_instant_it_opened_leaves_the_adaptive_hold_alone()
    {
        // One receive round pushes 0 2 1 with the same arrival time: batching, not path delay. Only a gap that stayed
        // open across time (3 waits 40 ticks for 2) is a delay sample.
        const long max = 1000;
        var buffer = new ReorderBuffer(8, max) { Adaptive = new AdaptiveHold(1, max) };
        RecordingSink sink = Run(buffer, At0(0, 2, 1));
        Assert.Equal(max, buffer.HoldTicks);
        sink = Run(buffer, (4, 0), (3, 40));
        Assert.Equal(new[] { 3, 4 }, sink.Delivered);
        Assert.True(buffer.HoldTicks < max, $"hold {buffer.HoldTicks} did not follow the 40-tick sample");
        Assert.True(buffer.HoldTicks >= 40, $"hold {buffer.HoldTicks} fell below the 40-tick sample");
    }

    [Fact]
    public void Jump_flushes_held_packets_in_order_first()
    {
        var buffer = new ReorderBuffer(4, Hold);
        RecordingSink sink = Run(buffer, At0(0, 3, 2, 50));
        Assert.Equal(new[] { 0, 2, 3, 50 }, sink.Delivered);
        Assert.Equal(1, buffer.GapsSkipped);
    }

    [Fact]
    public void Expiry_releases_through_the_expired_packet_and_keeps_later_gaps()
    {
        var buffer = new ReorderBuffer(16, Hold);
        RecordingSink sink = Run(buffer, (0, 0), (3, 0), (4, 1), (7, 50));
        buffer.Expire(101, ref sink);
        Assert.Equal(new[] { 0, 3, 4 }, sink.Delivered);
        Assert.Equal(1, buffer.Held);
        Assert.Equal(150, buffer.NextDeadline);
        buffer.Push(5, 5, 120, ref sink);
        buffer.Push(6, 6, 121, ref sink);
        Assert.Equal(new[] { 0, 3, 4, 5, 6, 7 }, sink.Delivered);
    }

    [Fact]
    public void Push_after_a_deadline_releases_the_expired_packets_first()
    {
        var buffer = new ReorderBuffer(8, Hold);
        RecordingSink sink = Run(buffer, (0, 0), (2, 0), (4, 200));
        Assert.Equal(new[] { 0, 2 }, sink.Delivered);
        Assert.Equal(1, buffer.Held);
    }

    [Fact]
    public void Hold_time_can_change_at_run_time()
    {
        var buffer = new ReorderBuffer(8, Hold);
        RecordingSink sink = Run(buffer, (0, 0), (2, 0));
        buffer.HoldTicks = 10;
        Assert.Equal(10, buffer.NextDeadline);
        buffer.Expire(10, ref sink);
        Assert.Equal(new[] { 0, 2 }, sink.Delivered);
    }

    [Fact]
    public void Flush_delivers_everything_held_in_order()
    {
        var buffer = new ReorderBuffer(8, Hold);
        RecordingSink sink = Run(buffer, At0(10, 14, 12));
        buffer.Flush(ref sink);
        Assert.Equal(new[] { 10, 12, 14 }, sink.Delivered);
        Assert.Equal(15u, buffer.Expected);
        Assert.Equal(2, buffer.GapsSkipped);
    }

    [Fact]
    public void Reset_drops_held_packets_and_resynchronises_on_the_next_one()
    {
        var buffer = new ReorderBuffer(8, Hold);
        RecordingSink sink = Run(buffer, At0(10, 12, 13));
        Assert.Throws<InvalidOperationException>(buffer.Reset);
        buffer.Reset(ref sink);
        Assert.Equal(new[] { (12, ReorderDrop.Reset), (13, ReorderDrop.Reset) }, sink.Dropped);
        Assert.False(buffer.IsSynchronised);
        buffer.Push(3, 3, 0, ref sink);
        Assert.Equal(new[] { 10, 3 }, sink.Delivered);
        Assert.Equal(0, buffer.Resyncs);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10_001)]
    public void Window_outside_1_to_10000_is_rejected(int window)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReorderBuffer(window, Hold));
    }

    [Fact]
    public void Push_and_expire_do_not_allocate()
    {
        var buffer = new ReorderBuffer(64, Hold);
        var sink = new CountingSink();
        uint seq = 0;
        long now = 0;
        buffer.Push(seq, 0, now, ref sink);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            seq += (uint)(i % 7 == 0 ? 3 : 1);
            now += 3;
            buffer.Push(seq, i, now, ref sink);
            buffer.Push(seq - 1, i, now, ref sink);
            buffer.Expire(now, ref sink);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(20_001, sink.Delivered + sink.Dropped + buffer.Held);
    }
}
