using System.Diagnostics;
using System.Net;
using MptFast.Engine.Datapath;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Tests.Datapath;

/// <summary>Fast probes follow the data a path carries (issue 15): a path with a few packets per probe interval is not
/// sent more probes than data.</summary>
public class ProbeRateTests
{
    [Fact]
    public void A_path_carrying_few_packets_is_probed_at_most_every_third_interval_and_a_busy_one_every_interval()
    {
        var (c, sockets) = PumpTests.Connection(0, weights: [1, 1], customize: (pc, _) => pc with { KeepaliveTime = 1 });
        c.Peer = PeerFeatures.MptFast;
        using var tun = new ReplayTun(PumpTests.Icmp(IPAddress.Parse("198.19.0.2"), IPAddress.Parse("198.19.0.1")));
        using var pump = new RxPump(tun, [c], 2048);
        PathRuntime path = c.Paths[0];

        // Phase 1: one data packet, then none (the connection stays "active" for a second): probes only by the gap.
        path.Counters.Tx.Packets++;
        long quiet = Run(pump, TimeSpan.FromMilliseconds(400), () => { }, sockets[0]);

        // Phase 2: the path carries packets all the time: a probe every interval.
        long busy = Run(pump, TimeSpan.FromMilliseconds(400), () => path.Counters.Tx.Packets += 10, sockets[0]);

        // 400 ms at 20 ms: 20 probe times. Quiet: one probe per 3 intervals at most (~7); busy: one per interval.
        Assert.InRange(quiet, 1, 400 / (RxPump.MaxProbeGapIntervals * 20) + 2);
        Assert.True(busy >= 2 * quiet, $"busy path: {busy} probes, quiet path: {quiet}");
    }

    [Fact]
    public void The_receive_thread_wakes_for_a_quiet_paths_probe_only_at_the_longest_gap()
    {
        var (c, sockets) = PumpTests.Connection(0, weights: [1, 1], customize: (pc, _) => pc with { KeepaliveTime = 1 });
        c.Peer = PeerFeatures.MptFast;
        using var tun = new ReplayTun(PumpTests.Icmp(IPAddress.Parse("198.19.0.2"), IPAddress.Parse("198.19.0.1")));
        using var pump = new RxPump(tun, [c], 2048);
        int interval = c.Config.ProbeIntervalMs;

        // The connection carries data (one packet, then nothing): both paths get their first probe at once, and then
        // their wake-up is the longest gap away — not the next interval, at which no probe would go out.
        c.Paths[0].Counters.Tx.Packets++;
        int wait = 0;
        long sinceProbe = long.MaxValue;
        for (int attempt = 0; attempt < 5 && sinceProbe >= interval / 2; attempt++)
        {
            long before = sockets[0].Sent;
            var clock = Stopwatch.StartNew();
            Thread.Sleep(RxPump.MaxProbeGapIntervals * interval); // past the gap: the probe goes out at the next scan
            while (sockets[0].Sent == before && clock.ElapsedMilliseconds < 2_000)
            {
                pump.RunOnce(0);
            }

            var afterProbe = Stopwatch.StartNew();
            wait = pump.WaitMilliseconds();
            sinceProbe = afterProbe.ElapsedMilliseconds;
        }

        Assert.True(sinceProbe < interval / 2, "the test thread was descheduled for too long on every attempt");
        Assert.True(wait >= (RxPump.MaxProbeGapIntervals * interval) - sinceProbe - 2,
            $"a quiet path's next wake-up after its probe: {wait} ms (interval {interval} ms)");

        // The path carries packets again: once a scan sees MinPacketsPerProbe of them, its next interval is a wake-up.
        // When the scan comes a whole interval after the last probe (the test thread descheduled past it), the packets
        // send a probe at once and are counted from there again: try again, as above.
        bool probed = true;
        for (int attempt = 0; attempt < 5 && probed; attempt++)
        {
            long before = sockets[0].Sent;
            c.Paths[0].Counters.Tx.Packets += RxPump.MinPacketsPerProbe;
            Thread.Sleep(interval / 2 + 1); // past the scan gap (10 ms): the next RunOnce looks at the paths
            pump.RunOnce(0);
            probed = sockets[0].Sent != before;
        }

        Assert.False(probed, "the test thread was descheduled past the probe interval on every attempt");
        Assert.True(pump.WaitMilliseconds() <= interval + 1, $"a busy path's next wake-up: {pump.WaitMilliseconds()} ms");
    }

    private static long Run(RxPump pump, TimeSpan length, Action eachRound, ReplaySocket socket)
    {
        long before = socket.Sent;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < length)
        {
            eachRound();
            pump.RunOnce(1);
        }

        return socket.Sent - before;
    }
}
