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
