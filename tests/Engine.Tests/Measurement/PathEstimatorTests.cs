using MptFast.Engine.Measurement;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Measurement;

public class PathEstimatorTests
{
    // The peer's clock runs this far ahead of ours; one-way delays 10 ms forward, 3 ms back.
    private const long Offset = 5_000_000_000;
    private const long Forward = 10_000;
    private const long Reverse = 3_000;

    /// <summary>A probe the peer sends at our time <paramref name="peerSend"/>, echoing our probe sent at
    /// <paramref name="oursSent"/> (which reached it after <paramref name="forward"/>) with the given counters.</summary>
    private static ProbeTrailer Probe(long peerSend, long oursSent, long forward, ulong txPackets, ulong rxPackets, ulong rxBytes) =>
        new(ProbeFlags.Echo, 0, (ulong)(peerSend + Offset), 0, (ulong)oursSent, txPackets, (ulong)(oursSent + forward + Offset), rxPackets, rxBytes, 0);

    [Fact]
    public void Round_trip_and_one_way_delays_come_out_exactly_whatever_the_clock_offset()
    {
        var e = new PathEstimator();
        // Our probe leaves at 0, reaches the peer at 10 ms; the peer holds it 7 ms and its probe arrives 3 ms later.
        Assert.True(e.OnProbe(20_000, Probe(17_000, 0, Forward, 0, 0, 0)));

        PathEstimate est = e.Estimate;
        Assert.True(est.IsValid);
        Assert.Equal(Forward + Reverse, est.SmoothedRttMicros);
        Assert.Equal(Forward + Reverse, est.MinRttMicros);
        Assert.Equal(Forward + Offset, est.ForwardBaseMicros);  // offset included, identical on every path
        Assert.Equal(Reverse - Offset, est.ReverseBaseMicros);
        Assert.Equal(0, est.ForwardQueueMicros);
    }

    [Fact]
    public void Queueing_delay_is_what_a_probe_took_beyond_the_base()
    {
        var e = new PathEstimator();
        e.OnProbe(20_000, Probe(17_000, 0, Forward, 0, 0, 0));
        e.OnProbe(40_000, Probe(37_000, 20_000, Forward + 6_000, 0, 0, 0));

        Assert.Equal(6_000, e.Estimate.ForwardQueueMicros);
        Assert.Equal(20_000, e.Estimate.ProbeSentMicros);   // the queue the probe sent at 20 ms found (our clock)
        Assert.Equal(Forward + Offset, e.Estimate.ForwardBaseMicros);
        Assert.Equal(Forward + Reverse, e.Estimate.MinRttMicros);
    }

    [Fact]
    public void Delivered_rate_and_loss_follow_the_echoed_counters()
    {
        var e = new PathEstimator();
        ulong sent = 0, received = 0, bytes = 0;
        for (int k = 0; k < 200; k++)
        {
            long ours = k * 20_000L;
            // Per 20 ms: 100 packets sent, 90 received, 1,250 bytes per packet received → 56.25 Mbit/s... here 5.625 MB/s.
            e.OnProbe(ours + 20_000, Probe(ours + 17_000, ours, Forward, sent, received, bytes));
            sent += 100;
            received += 90;
            bytes += 90 * 1250;
        }

        PathEstimate est = e.Estimate;
        Assert.Equal(90 * 1250 * 50, est.DeliveredBytesPerSecond);
        Assert.InRange(est.Loss, 0.099, 0.101);
    }

    [Fact]
    public void The_most_a_path_delivered_in_the_last_second_is_kept_and_then_forgotten()
    {
        var e = new PathEstimator();
        ulong bytes = 0;
        long ours = 0;
        for (int k = 0; k <= 60; k++, ours += 20_000)
        {
            bytes += k < 10 ? 25_000UL : 5_000UL; // 1.25 MB/s for 200 ms, then 250 kB/s
            e.OnProbe(ours + 20_000, Probe(ours + 17_000, ours, Forward, 0, 0, bytes));
            if (k == 12)
            {
                Assert.InRange(e.Estimate.MaxDeliveredBytesPerSecond, 1_240_000, 1_260_000);
            }
        }

        Assert.InRange(e.Estimate.DeliveredBytesPerSecond, 240_000, 260_000);
        Assert.InRange(e.Estimate.MaxDeliveredBytesPerSecond, 240_000, 260_000);
    }

    [Fact]
    public void A_repeated_echo_or_an_impossible_one_changes_no_forward_figure()
    {
        var e = new PathEstimator();
        Assert.True(e.OnProbe(20_000, Probe(17_000, 0, Forward, 0, 0, 0)));
        int version = e.Estimate.Version;

        Assert.False(e.OnProbe(40_000, Probe(37_000, 0, Forward, 0, 0, 0)));   // same echo again
        Assert.False(e.OnProbe(41_000, Probe(38_000, 60_000, Forward, 0, 0, 0))); // echo of a probe "from the future"
        Assert.Equal(version, e.Estimate.Version);
        Assert.Equal(3, e.Probes);
    }

    [Fact]
    public void Reverse_jitter_grows_with_varying_reverse_delays()
    {
        var e = new PathEstimator();
        for (int k = 0; k < 100; k++)
        {
            long send = k * 20_000L;
            long jitter = k % 2 == 0 ? 0 : 4_000;
            e.OnProbe(send + Reverse + jitter, new ProbeTrailer(ProbeFlags.None, 0, (ulong)(send + Offset), 0, 0, 0, 0, 0, 0, 0));
        }

        Assert.InRange(e.Estimate.ReverseJitterMicros, 1_000, 4_000);
        Assert.Equal(Reverse - Offset, e.Estimate.ReverseBaseMicros);
        Assert.False(e.Estimate.IsValid); // no echo: nothing forward is known
    }
}
