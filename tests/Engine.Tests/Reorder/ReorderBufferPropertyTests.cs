using MptFast.Engine.Reorder;

namespace MptFast.Engine.Tests.Reorder;

public class ReorderBufferPropertyTests
{
    /// <summary>Sink that checks, per handle, that it comes back exactly once.</summary>
    private struct CheckingSink : IReorderSink
    {
        public int[] Outcome; // 0 = pending, 1 = delivered, 2 = dropped
        public List<uint> DeliveredSeqs;
        public uint[] SeqOfHandle;
        public int Duplicates;
        public long DroppedCount;

        public void Deliver(int handle)
        {
            Duplicates += Outcome[handle] != 0 ? 1 : 0;
            Outcome[handle] = 1;
            DeliveredSeqs.Add(SeqOfHandle[handle]);
        }

        public void Drop(int handle, ReorderDrop reason)
        {
            Duplicates += Outcome[handle] != 0 ? 1 : 0;
            Outcome[handle] = 2;
            DroppedCount++;
        }
    }

    [Fact]
    public void Every_packet_is_delivered_once_or_counted_dropped_and_delivery_is_ordered_between_resyncs()
    {
        for (int seed = 0; seed < 1200; seed++)
        {
            RunCase(seed);
        }
    }

    // Issue 14 (mutation testing): the property above holds for a buffer that drops every packet as late — "delivered
    // once or counted dropped" is satisfied by dropping. Without loss, duplicates or expiry, nothing may be dropped.
    [Fact]
    public void Reordering_within_the_window_loses_nothing_and_delivers_in_sequence_order()
    {
        for (int seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            int window = random.Next(2, 130);
            var buffer = new ReorderBuffer(window, holdTicks: 1000);
            uint first = (uint)random.Next() + (random.Next(4) == 0 ? uint.MaxValue - 500 : 0);
            int count = random.Next(window, 6 * window);

            // Each packet moved by less than half a window (sorted by index + a random delay), the first one first: the
            // receiver synchronises on it, and no packet is ever a window or more ahead of the expected one.
            uint[] stream = [.. Enumerable.Range(0, count).OrderBy(i => i == 0 ? -1 : i + random.Next(0, window / 2)).Select(i => first + (uint)i)];

            var sink = new CheckingSink { Outcome = new int[count], DeliveredSeqs = [], SeqOfHandle = stream };
            for (int handle = 0; handle < count; handle++)
            {
                buffer.Push(stream[handle], handle, 0, ref sink); // no time passes: nothing expires
            }

            Assert.True(buffer.Held == 0, $"seed {seed}: {buffer.Held} still held with every gap filled");
            Assert.Equal(0, sink.DroppedCount);
            Assert.Equal(0, buffer.DroppedLate + buffer.DroppedDuplicate + buffer.GapsSkipped + buffer.Resyncs);
            Assert.Equal(Enumerable.Range(0, count).Select(i => first + (uint)i), sink.DeliveredSeqs);
        }
    }

    // A gap given up when its hold expired is delivered when its packet arrives after all (out of order, once); a
    // duplicate — of a packet delivered in order, late, or still held — never is. Numbers move by less than the late
    // bound, so without restarts every distinct number pushed must come out exactly once.
    [Fact]
    public void A_number_given_up_is_delivered_once_when_it_arrives_late_and_duplicates_never_are()
    {
        long lateDeliveries = 0;
        long lateDrops = 0;
        for (int seed = 0; seed < 400; seed++)
        {
            var random = new Random(seed);
            int window = random.Next(3, 64);
            var buffer = new ReorderBuffer(window, holdTicks: random.Next(1, 50));
            uint first = (uint)random.Next() + (random.Next(4) == 0 ? uint.MaxValue - 300 : 0);
            int count = random.Next(50, 600);
            // Arrival order by key = number + delay: most packets a little reordered, one in eight late by up to half a
            // window (so that its gap may have been given up), one in ten duplicated with a delay of its own. No packet
            // is a window ahead of one that is still missing: no jump.
            int spread = random.Next(1, (window / 3) + 1);
            var keyed = new List<(double Key, uint Seq)>();
            for (int i = 0; i < count; i++)
            {
                int delay = random.Next(8) == 0 ? random.Next(1, (window / 2) + 1) : random.Next(0, spread);
                keyed.Add((i == 0 ? -1 : i + delay + random.NextDouble(), first + (uint)i));
                if (i > 0 && random.Next(10) == 0)
                {
                    keyed.Add((i + random.Next(0, (window / 2) + 1) + random.NextDouble(), first + (uint)i));
                }
            }

            List<uint> stream = [.. keyed.OrderBy(k => k.Key).Select(k => k.Seq)];

            var sink = new CheckingSink { Outcome = new int[stream.Count], DeliveredSeqs = [], SeqOfHandle = [.. stream] };
            long now = 0;
            for (int handle = 0; handle < stream.Count; handle++)
            {
                now += random.Next(0, 20);
                buffer.Push(stream[handle], handle, now, ref sink);
                buffer.Expire(now, ref sink);
            }

            buffer.Flush(ref sink);
            Assert.True(buffer.Resyncs == 0, $"seed {seed}: resynchronised");
            Assert.True(sink.DeliveredSeqs.Count == sink.DeliveredSeqs.Distinct().Count(), $"seed {seed}: a number delivered twice");
            Assert.True(sink.DeliveredSeqs.Distinct().Count() == stream.Distinct().Count(), $"seed {seed}: a number never delivered");
            Assert.Equal(stream.Count - stream.Distinct().Count(), buffer.DroppedLate + buffer.DroppedDuplicate);
            Assert.True(buffer.DeliveredLate <= buffer.GapsSkipped, $"seed {seed}: more late deliveries than numbers given up");
            lateDeliveries += buffer.DeliveredLate;
            lateDrops += buffer.DroppedLate;
        }

        // Both branches are exercised: numbers given up and then delivered, duplicates behind expected dropped.
        Assert.InRange(lateDeliveries, 500, long.MaxValue);
        Assert.InRange(lateDrops, 500, long.MaxValue);
    }

    private static void RunCase(int seed)
    {
        var random = new Random(seed);
        int window = random.Next(4) == 0 ? random.Next(1, 5) : random.Next(5, 200);
        var buffer = new ReorderBuffer(window, random.Next(1, 300));
        uint next = random.Next(3) == 0 ? uint.MaxValue - (uint)random.Next(0, 300) : (uint)random.Next();

        // The sender's stream: mostly consecutive, with losses, duplicates, rare jumps and restarts.
        var stream = new List<uint>();
        int length = random.Next(50, 400);
        for (int i = 0; i < length; i++)
        {
            int roll = random.Next(1000);
            if (roll < 5)
            {
                next = 0; // peer restart
            }
            else if (roll < 10)
            {
                next += (uint)random.Next(window, 5 * window + 2); // jump
            }

            if (random.Next(100) >= 8)
            {
                stream.Add(next);
            }

            if (random.Next(100) < 5)
            {
                stream.Add(next);
            }

            next++;
        }

        // Network reordering: random swaps within a distance of about a window.
        for (int i = 0; i < stream.Count; i++)
        {
            if (random.Next(4) == 0)
            {
                int j = Math.Min(stream.Count - 1, i + random.Next(0, window + 3));
                (stream[i], stream[j]) = (stream[j], stream[i]);
            }
        }

        var sink = new CheckingSink
        {
            Outcome = new int[stream.Count],
            DeliveredSeqs = [],
            SeqOfHandle = stream.ToArray(),
        };
        long now = 0;
        bool haveLast = false;
        uint last = 0;
        for (int handle = 0; handle < stream.Count; handle++)
        {
            now += random.Next(0, 40);
            long resyncsBefore = buffer.Resyncs;
            long lateBefore = buffer.DeliveredLate;
            int firstNew = sink.DeliveredSeqs.Count;
            buffer.Push(stream[handle], handle, now, ref sink);
            if (random.Next(3) == 0)
            {
                now += random.Next(0, 100);
                buffer.Expire(now, ref sink);
                Assert.True(buffer.NextDeadline > now, $"seed {seed}: deadline {buffer.NextDeadline} not after {now} after Expire");
            }

            int decreases = 0;
            for (int k = firstNew; k < sink.DeliveredSeqs.Count; k++)
            {
                uint seq = sink.DeliveredSeqs[k];
                if (haveLast && (int)(seq - last) <= 0)
                {
                    decreases++;
                }

                last = seq;
                haveLast = true;
            }

            Assert.True(decreases <= buffer.Resyncs - resyncsBefore + buffer.DeliveredLate - lateBefore,
                $"seed {seed}: push {handle} (seq {stream[handle]}) delivered out of order without a resync or a late delivery");
            Assert.True(buffer.DeliveredLate - lateBefore <= 1, $"seed {seed}: one push delivered more than one late packet");
            Assert.True(buffer.Held < window, $"seed {seed}: {buffer.Held} held with window {window}");
        }

        buffer.Flush(ref sink);
        Assert.True(sink.Duplicates == 0, $"seed {seed}: a handle came back twice");
        Assert.True(Array.TrueForAll(sink.Outcome, o => o != 0), $"seed {seed}: a handle never came back");
        Assert.True(sink.DeliveredSeqs.Count + sink.DroppedCount == stream.Count, $"seed {seed}: delivered + dropped != pushed");
        Assert.Equal(buffer.Delivered, sink.DeliveredSeqs.Count);
        Assert.Equal(buffer.DroppedLate + buffer.DroppedDuplicate + buffer.DroppedByReset, sink.DroppedCount);
    }
}
