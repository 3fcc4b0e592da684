using MptFast.Engine.Reorder;

namespace MptFast.Engine.Tests.Reorder;

public class ArrivalMergerTests
{
    [Fact]
    public void Per_path_batches_of_an_alternating_sender_reach_a_64_window_in_wire_order()
    {
        var merged = new ReorderBuffer(64, 1000);
        var direct = new ReorderBuffer(64, 1000);
        var merger = new ArrivalMerger(512, 4);
        var sink = new RecordingSink();
        var directSink = new RecordingSink();
        for (uint round = 0; round < 4; round++)
        {
            uint baseSeq = round * 256;
            for (int path = 0; path < 2; path++)
            {
                merger.BeginRun();
                for (uint k = 0; k < 128; k++)
                {
                    uint seq = baseSeq + (2 * k) + (uint)path;
                    merger.Add(seq, (int)seq);
                    direct.Push(seq, (int)seq, 0, ref directSink);
                }
            }

            merger.Flush(merged, 0, ref sink);
            Assert.Equal(0, merger.Count);
        }

        Assert.Equal(Enumerable.Range(0, 1024), sink.Delivered);
        Assert.Empty(sink.Dropped);
        Assert.Equal(0, merged.Resyncs);
        Assert.Equal(0, merged.Held);

        // Without the merge the same arrivals jump the window and lose packets as late.
        Assert.True(direct.Resyncs > 0);
        Assert.NotEmpty(directSink.Dropped);
    }

    [Fact]
    public void Would_overrun_only_when_the_farthest_packet_is_a_window_past_a_gap()
    {
        var buffer = new ReorderBuffer(64, 1000);
        var merger = new ArrivalMerger(512, 4);
        var sink = new RecordingSink();
        Assert.False(merger.WouldOverrun(buffer)); // empty

        // One path's trains 0–15, 32–47, 64–79 arrived, the other path's 16–31, 48–63 not yet: 79 is 63 past 16.
        merger.BeginRun();
        foreach (uint seq in Enumerable.Range(0, 16).Concat(Enumerable.Range(32, 16)).Concat(Enumerable.Range(64, 16)).Select(i => (uint)i))
        {
            merger.Add(seq, (int)seq);
        }

        Assert.False(merger.WouldOverrun(buffer)); // 79 is 63 past the first gap (16): still inside the window
        merger.Add(96, 96);
        Assert.True(merger.WouldOverrun(buffer)); // 96 is a window past it

        // The other path's trains arrive in a second run: no gap left, nothing to wait for.
        merger.BeginRun();
        foreach (uint seq in Enumerable.Range(16, 16).Concat(Enumerable.Range(48, 16)).Concat(Enumerable.Range(80, 16)).Select(i => (uint)i))
        {
            merger.Add(seq, (int)seq);
        }

        Assert.False(merger.WouldOverrun(buffer));
        merger.Flush(buffer, 0, ref sink);
        Assert.Equal(Enumerable.Range(0, 97), sink.Delivered);
        Assert.Equal(0, buffer.Resyncs);

        // Synchronised: expected = 97; a lone packet 200 is far past the gap 97–199.
        merger.BeginRun();
        merger.Add(200, 200);
        Assert.True(merger.WouldOverrun(buffer));
        merger.Flush(buffer, 0, ref sink);
        Assert.Equal(1, buffer.Resyncs);
    }

    [Fact]
    public void An_unsynchronised_buffer_starts_at_the_smallest_run_head_and_late_packets_go_first()
    {
        var buffer = new ReorderBuffer(16, 1000);
        var merger = new ArrivalMerger(8, 2);
        var sink = new RecordingSink();
        merger.BeginRun();
        merger.Add(10, 10);
        merger.Add(12, 12);
        merger.BeginRun();
        merger.Add(9, 9);
        merger.Add(11, 11);
        merger.Flush(buffer, 0, ref sink);
        Assert.Equal([9, 10, 11, 12], sink.Delivered);

        merger.BeginRun();
        merger.Add(14, 14);
        merger.BeginRun();
        merger.Add(5, 5); // late: pushed first, dropped
        merger.Add(13, 13);
        merger.Flush(buffer, 0, ref sink);
        Assert.Equal([9, 10, 11, 12, 13, 14], sink.Delivered);
        Assert.Equal([(5, ReorderDrop.Late)], sink.Dropped);
    }

    [Fact]
    public void Runs_beyond_the_limit_join_the_last_and_a_full_merger_says_so()
    {
        var merger = new ArrivalMerger(3, 1);
        var buffer = new ReorderBuffer(16, 1000);
        var sink = new RecordingSink();
        merger.BeginRun();
        merger.Add(1, 1);
        merger.BeginRun();
        merger.Add(0, 0);
        Assert.False(merger.IsFull);
        merger.Add(2, 2);
        Assert.True(merger.IsFull);
        merger.Flush(buffer, 0, ref sink);
        Assert.Equal([1, 2], sink.Delivered); // one run: 1 synchronises, 0 is late
        Assert.Single(sink.Dropped);
    }
}
