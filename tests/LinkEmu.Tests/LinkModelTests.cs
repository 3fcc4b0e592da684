using MptFast.Perf.LinkEmu;

namespace MptFast.LinkEmu.Tests;

/// <summary>The link model on virtual time: frames enter at chosen instants, the clock is stepped, and what leaves
/// (and when) is compared with what the parameters say.</summary>
public sealed class LinkModelTests : IDisposable
{
    private const long Ms = 1_000_000;
    private readonly FramePool _pool = new(4096);
    private readonly Counters _counters = new();

    public void Dispose() => _pool.Dispose();

    [Fact]
    public void Delay_alone_releases_each_frame_exactly_delay_after_it_entered()
    {
        LinkModel link = Link("delay 10ms");
        Offer(link, at: 0);
        Offer(link, at: 3 * Ms);
        var sink = new Sink(_pool);
        link.Release((10 * Ms) - 1, sink);
        Assert.Empty(sink.Frames);
        Assert.Equal(10 * Ms, link.NextEventAt);
        link.Release(10 * Ms, sink);
        Assert.Single(sink.Frames);
        Assert.Equal(13 * Ms, link.NextEventAt);
    }

    [Fact]
    public void Rate_serializes_frames_back_to_back_and_delay_comes_after_serialization()
    {
        // 1250-byte frames at 10 Mbit/s take 1 ms each; all 5 enter at 0; the fifth leaves the serializer at 5 ms.
        LinkModel link = Link("rate 10mbit delay 2ms");
        for (int i = 0; i < 5; i++)
        {
            Offer(link, at: 0, length: 1250);
        }

        var arrivals = Drain(link, until: 20 * Ms);
        Assert.Equal([3 * Ms, 4 * Ms, 5 * Ms, 6 * Ms, 7 * Ms], arrivals);
    }

    [Fact]
    public void A_full_queue_drops_at_the_tail()
    {
        LinkModel link = Link("rate 10mbit queue 5000b");
        for (int i = 0; i < 10; i++)
        {
            Offer(link, at: 0, length: 1000);
        }

        Assert.Equal(5, link.InFlight);
        Assert.Equal(5, _counters.DropQueueFull);
        Assert.Equal(5000, _counters.QueueHighWaterBytes);
        Assert.Equal(5, Drain(link, until: Ms * 100).Count);
        Assert.Equal(_pool.Count, _pool.Available);   // every slot came back
    }

    [Fact]
    public void A_rate_change_applies_from_the_next_frame_served()
    {
        LinkModel link = Link("rate 10mbit");
        for (int i = 0; i < 3; i++)
        {
            Offer(link, at: 0, length: 1250);   // 1 ms each at 10 Mbit/s
        }

        var sink = new Sink(_pool);
        link.Release(Ms, sink);
        link.Params = link.Params with { RateBitsPerSecond = 5_000_000 };   // 2 ms each from here
        Assert.Single(sink.Frames);
        Assert.Equal([3 * Ms, 5 * Ms], Drain(link, until: 10 * Ms));
    }

    [Theory]
    [InlineData("delay 10ms jitter 5ms", false)]
    [InlineData("delay 10ms jitter 5ms order reorder", true)]
    public void Jitter_stays_within_its_bounds_and_reorders_only_when_allowed(string spec, bool reorders)
    {
        LinkModel link = Link(spec);
        for (int i = 0; i < 1000; i++)
        {
            Offer(link, at: i * 100_000L, tag: i);
        }

        var sink = new Sink(_pool, keepTags: true);
        for (long t = 0; t < 200 * Ms; t += 10_000)
        {
            sink.Now = t;
            link.Release(t, sink);
        }

        Assert.Equal(1000, sink.Tags.Count);
        Assert.Equal(!reorders, sink.Tags.SequenceEqual(Enumerable.Range(0, 1000)));
        // Keeping order holds a frame behind a later-drawn one, so only the reordering link's delays average the delay.
        Assert.All(sink.Delays, d => Assert.InRange(d, 5 * Ms, (15 * Ms) + 10_000));
        if (reorders)
        {
            Assert.InRange(sink.Delays.Average(), 9.5 * Ms, 10.5 * Ms);
        }
    }

    [Fact]
    public void Random_loss_rate_is_within_its_binomial_bound_and_arp_is_never_lost()
    {
        LinkModel link = Link("loss 10%");
        const int N = 20000;
        var sink = new Sink(_pool, keepTags: true, capacity: N);
        for (int i = 0; i < N; i++)
        {
            Offer(link, at: i);
            link.Release(i, sink);
        }

        int ip = sink.Tags.Count;
        for (int i = 0; i < 100; i++)
        {
            Offer(link, at: N + i, etherType: 0x0806);
            link.Release(N + i, sink);
        }

        double sigma = Math.Sqrt(N * 0.1 * 0.9);
        Assert.InRange(_counters.DropLoss, (N * 0.1) - (4 * sigma), (N * 0.1) + (4 * sigma));
        Assert.Equal(N - _counters.DropLoss, ip);
        Assert.Equal(100, sink.Tags.Count - ip);
    }

    [Fact]
    public void Gilbert_elliott_loss_has_the_model_mean_and_comes_in_bursts()
    {
        // p = 1 %, r = 25 %, all lost in the bad state: mean loss p / (p + r) = 3.85 %, mean burst 1 / r = 4 frames.
        LinkModel link = Link("gemodel 1% 25% 100% 0%");
        const int N = 200_000;
        var lost = new bool[N];
        for (int i = 0; i < N; i++)
        {
            long before = _counters.DropBurstLoss;
            Offer(link, at: i);
            lost[i] = _counters.DropBurstLoss > before;
            Drain(link, until: i);
        }

        double rate = (double)_counters.DropBurstLoss / N;
        Assert.InRange(rate, 0.0385 * 0.9, 0.0385 * 1.1);
        int bursts = Enumerable.Range(1, N - 1).Count(i => lost[i] && !lost[i - 1]);
        Assert.InRange((double)_counters.DropBurstLoss / bursts, 3.5, 4.5);
    }

    [Fact]
    public void Duplication_sends_a_copy_right_after_the_frame()
    {
        LinkModel link = Link("dup 100%");
        Offer(link, at: 0, tag: 7);
        var sink = new Sink(_pool, keepTags: true);
        link.Release(0, sink);
        Assert.Equal([7, 7], sink.Tags);
        Assert.Equal(1, _counters.Duplicated);
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        LinkModel link = Link("rate 100mbit delay 5ms jitter 1ms loss 1% gemodel 1% 30% dup 1%");
        var sink = new Sink(_pool, keepTags: false, capacity: 0);
        long t = 0;
        for (int i = 0; i < 2000; i++, t += 50_000)
        {
            Offer(link, at: t);
            link.Release(t, sink);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20000; i++, t += 50_000)
        {
            Offer(link, at: t);
            link.Release(t, sink);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private LinkModel Link(string spec) => new(_pool, _counters, LinkSpec.Parse(spec).ApplyTo(LinkParams.Default), seed: 42);

    private unsafe void Offer(LinkModel link, long at, int length = 1000, int tag = 0, int etherType = 0x0800)
    {
        int frame = _pool.Rent();
        byte* d = _pool.Data(frame);
        d[12] = (byte)(etherType >> 8);
        d[13] = (byte)etherType;
        *(int*)(d + 14) = tag;
        *(long*)(d + 18) = at;
        _pool.Length[frame] = length;
        link.Offer(frame, at);
    }

    private List<long> Drain(LinkModel link, long until)
    {
        var sink = new Sink(_pool, keepTags: true);
        while (link.NextEventAt <= until)
        {
            long t = link.NextEventAt;
            int before = sink.Times.Count;
            link.Release(t, sink);
            for (int i = before; i < sink.Times.Count; i++)
            {
                sink.Times[i] = t;
            }
        }

        return sink.Times;
    }

    /// <summary>Collects released frames (their tag, and the delay since the entry time written into them) and frees them.</summary>
    private sealed unsafe class Sink(FramePool pool, bool keepTags = false, int capacity = 1024) : IFrameSink
    {
        public List<int> Frames { get; } = new(capacity);

        public List<int> Tags { get; } = new(capacity);

        public List<long> Times { get; } = new(capacity);

        public List<long> Delays { get; } = new(capacity);

        public long Now { get; set; }

        public void Add(int frame)
        {
            if (capacity > 0)
            {
                Frames.Add(frame);
            }

            if (keepTags)
            {
                byte* d = pool.Data(frame);
                Tags.Add(*(int*)(d + 14));
                Times.Add(0);
                Delays.Add(Now - *(long*)(d + 18));
            }

            pool.Return(frame);
        }
    }
}
