using System.Globalization;
using System.Text.Json;
using MptFast.Integration.Tests.Support;

namespace MptFast.Integration.Tests;

/// <summary>
/// MptFast's defaults (adaptive scheduler, reorder_window = auto, loss recovery) over emulated unequal links
/// (perf/tools/LinkEmu through <see cref="Testbed.Create"/>): transfers stay byte-exact over paths of different rate and
/// delay, over a lossy path and through a five-second outage of the cmd_default path, and the probes really measured
/// and steered the traffic. Figures (goodput against kernel MPTCP) are the perf harness's job (perf/run.sh --matrix),
/// not these tests'. The inner TCP uses CUBIC, the default of common distributions (this kernel's namespaces default to
/// BBR, whose window is sized by the fastest path's RTT; perf/README.md discusses it).
/// </summary>
public class RealLinksTests
{
    private static TunnelSpec Adaptive => new([new PathSpec(1), new PathSpec(2)])
    {
        WithIpv6Connection = false,
        Scheduler = "adaptive",
        ReorderWindow = "auto",
        CmdDefaultPath = 0,
    };

    private static TunnelFixture Start(params LinkSpec[] links)
    {
        var t = new TunnelFixture(Adaptive, links);
        t.Ping('a', v6: false);
        WaitMeasured(t);
        return t;
    }

    // Both daemons exchange probes: the peer is known as MptFast and every path has a round-trip time.
    private static void WaitMeasured(TunnelFixture t)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            bool all = true;
            foreach (char side in "ab")
            {
                JsonElement c = t.Daemon(side).Status().GetProperty("connections")[0];
                all &= c.GetProperty("peer").GetString() == "mptfast";
                foreach (JsonElement p in c.GetProperty("paths").EnumerateArray())
                {
                    all &= p.GetProperty("measurement").GetProperty("rtt_us").GetInt64() > 0;
                }
            }

            if (all)
            {
                return;
            }

            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail("the daemons never measured every path:\n" + t.A.Status() + "\n" + t.B.Status());
            }

            Thread.Sleep(200);
        }
    }

    private static long PathCounter(JsonElement status, int path, string name) =>
        DaemonProcess.Counter(DaemonProcess.PathOf(status, 0, path), name);

    private static long Measurement(JsonElement status, int path, string name) =>
        DaemonProcess.PathOf(status, 0, path).GetProperty("measurement").GetProperty(name).GetInt64();

    [Fact]
    public void Over_15_plus_5_mbit_with_1_and_25_ms_a_transfer_is_byte_exact_and_the_paths_carry_their_capacity_shares()
    {
        using TunnelFixture t = Start(new LinkSpec(15, 1), new LinkSpec(5, 25));
        JsonElement before = t.A.Status();

        var (sent, received) = t.Transfer(10_000_000, timeoutSeconds: 60, congestionControl: "cubic");

        Assert.Equal(sent, received);
        JsonElement after = t.A.Status();
        double p0 = PathCounter(after, 0, "tx_bytes") - PathCounter(before, 0, "tx_bytes");
        double p1 = PathCounter(after, 1, "tx_bytes") - PathCounter(before, 1, "tx_bytes");
        double share = p0 / (p0 + p1);
        Assert.True(Math.Abs(share - 0.75) <= 0.05, $"path 0 carried {share:P1} of the bytes, capacity share 75 % ± 5:\n{after}");

        // The probes saw the delays as configured: 2 ms and 50 ms round trips (plus queueing).
        Assert.InRange(Measurement(after, 0, "min_rtt_us"), 2_000, 10_000);
        Assert.InRange(Measurement(after, 1, "min_rtt_us"), 50_000, 60_000);
    }

    [Fact]
    public void Over_100_plus_100_mbit_with_1_percent_loss_on_one_path_losses_are_repaired_and_the_transfer_is_byte_exact()
    {
        using TunnelFixture t = Start(new LinkSpec(100, 1), new LinkSpec(100, 1) { LossPercent = 1 });

        var (sent, received) = t.Transfer(30_000_000, timeoutSeconds: 60, congestionControl: "cubic");

        Assert.Equal(sent, received);
        JsonElement a = t.A.Status();
        JsonElement b = t.B.Status();
        long lost = t.Testbed.Link(2).Stats().GetProperty("ab").GetProperty("drops").GetProperty("loss").GetInt64();
        Assert.True(lost > 50, $"the emulator lost only {lost} packets on path 2");
        Assert.True(Measurement(b, 1, "path_sequence_missing") > 0, $"b found no gap on path 2:\n{b}");
        Assert.True(Measurement(a, 1, "loss_ranges_received") > 0, $"a got no loss report for path 2:\n{a}");
        long retransmitted = Measurement(a, 0, "retransmitted") + Measurement(a, 1, "retransmitted");
        Assert.True(retransmitted > 0, $"nothing was sent again:\n{a}");
        Assert.True(Measurement(a, 1, "loss_ppm") > 0, "the estimator saw no loss on path 2");
    }

    [Fact]
    public void A_five_second_outage_of_the_cmd_default_path_leaves_a_transfer_byte_exact_and_moves_the_traffic()
    {
        using TunnelFixture t = Start(new LinkSpec(20, 5), new LinkSpec(20, 5));
        EmulatedLink link = t.Testbed.Link(1);
        link.RestartSchedule();   // the outage counts from now
        link.At("2s loss 100% for 5s");
        JsonElement before = t.A.Status();
        long atOutage = 0;

        var (sent, received) = t.Transfer(25_000_000, timeoutSeconds: 90, congestionControl: "cubic", during: () =>
        {
            Thread.Sleep(4_000); // in the middle of the outage
            atOutage = PathCounter(t.A.Status(), 1, "tx_bytes");
        });

        Assert.Equal(sent, received);
        long dropped = link.Stats().GetProperty("ab").GetProperty("drops").GetProperty("loss").GetInt64();
        Assert.True(dropped > 0, "the outage dropped nothing: it did not happen during the transfer");
        JsonElement after = t.A.Status();
        Assert.True(PathCounter(after, 1, "tx_bytes") > atOutage, "path 1 carried nothing after the middle of the outage");
        Assert.True(atOutage > PathCounter(before, 1, "tx_bytes"), "path 1 carried nothing before the middle of the outage");
    }

    /// <summary>
    /// <c>equalize_delay = 1</c> holds every packet of the 1 ms path to the paths' mean delay (13 ms: ~12 ms held), which
    /// an idle ping pays at each end (~2 + 2 × 12 ms); <c>acks</c> holds only the inner TCP's acknowledgements, to the
    /// slowest path (~24 ms), and the ping keeps the fast path's ~2 ms (held it would take 50 or more). Either way a
    /// BBR transfer (its window follows the minimum round trip) is byte-exact, and the side that receives what is held
    /// — b the data from a, a the acknowledgements from b — counts it.
    /// </summary>
    [Theory]
    [InlineData("1", 8_000, 16_000, 15, 45, 'b', "rx_equalized", "rx_acks_held")]
    [InlineData("acks", 18_000, 30_000, 0, 15, 'a', "rx_acks_held", "rx_equalized")]
    public void Equalize_delay_holds_the_fast_paths_packets_or_only_its_acknowledgements_and_a_bbr_transfer_is_byte_exact(
        string mode, long holdMin, long holdMax, double pingMin, double pingMax, char holder, string held, string notHeld)
    {
        using var t = new TunnelFixture(Adaptive with { ConnectionExtra = "equalize_delay = " + mode }, [new LinkSpec(10, 1), new LinkSpec(10, 25)]);
        t.Ping('a', v6: false);
        WaitMeasured(t);
        foreach (char side in "ab")
        {
            t.WaitForPath(side, 0, p => p.GetProperty("measurement").GetProperty("equalize_hold_us").GetInt64() > holdMin
                && p.GetProperty("measurement").GetProperty("equalize_hold_us").GetInt64() < holdMax,
                TimeSpan.FromSeconds(10), $"a hold between {holdMin} and {holdMax} µs on the fast path");
            Assert.Equal(0, Measurement(t.Daemon(side).Status(), 1, "equalize_hold_us"));
        }

        ProcResult ping = t.Testbed.Exec('a', TimeSpan.FromSeconds(20), "ping", "-4", "-c", "5", "-i", "0.2", "-w", "10", TunnelSpec.TunnelAddress('b'));
        Assert.True(ping.ExitCode == 0, ping.All);
        double min = double.Parse(ping.Stdout.Split("min/avg/max/mdev = ")[1].Split('/')[0], CultureInfo.InvariantCulture);
        Assert.InRange(min, pingMin, pingMax);

        var (sent, received) = t.Transfer(5_000_000, timeoutSeconds: 60, congestionControl: "bbr");
        Assert.Equal(sent, received);
        // Held only while the fast path's own queue falls short of the difference (a loaded path's queue makes it up).
        JsonElement datapath = t.Daemon(holder).Status().GetProperty("tunnel").GetProperty("datapath");
        Assert.True(datapath.GetProperty(held).GetInt64() > 0, datapath.ToString());
        Assert.Equal(0, datapath.GetProperty(notHeld).GetInt64());
        Assert.Equal(0, datapath.GetProperty("rx_equalize_overflows").GetInt64());
    }

    /// <summary>
    /// <c>equalize_delay = auto</c>, the default: the acknowledgements of a flow are held only when its sender is a
    /// socket of this host with a delay-based congestion control, looked up with sock_diag. A CUBIC transfer's are not
    /// (looked up, found loss-based), a BBR transfer's are; pings are never held; both transfers are byte-exact.
    /// </summary>
    [Fact]
    public void By_default_only_a_bbr_senders_acknowledgements_are_held()
    {
        using var t = new TunnelFixture(Adaptive, [new LinkSpec(10, 1), new LinkSpec(10, 25)]);
        t.Ping('a', v6: false);
        WaitMeasured(t);
        Wait.Until(() => t.A.Status().GetProperty("connections")[0].GetProperty("ack_floor_us").GetInt64() > 18_000,
            TimeSpan.FromSeconds(10), "the acknowledgement floor over the shortest round trip (~24 ms)");

        ProcResult ping = t.Testbed.Exec('a', TimeSpan.FromSeconds(20), "ping", "-4", "-c", "5", "-i", "0.2", "-w", "10", TunnelSpec.TunnelAddress('b'));
        Assert.True(ping.ExitCode == 0, ping.All);
        Assert.InRange(double.Parse(ping.Stdout.Split("min/avg/max/mdev = ")[1].Split('/')[0], CultureInfo.InvariantCulture), 0, 15);

        var (sent, received) = t.Transfer(2_000_000, timeoutSeconds: 60, congestionControl: "cubic");
        Assert.Equal(sent, received);
        JsonElement cubic = t.A.Status().GetProperty("tunnel").GetProperty("datapath");
        Assert.True(cubic.GetProperty("rx_ack_flow_lookups").GetInt64() > 0, cubic.ToString());
        Assert.Equal(0, cubic.GetProperty("rx_ack_flows_delay_based").GetInt64());
        Assert.Equal(0, cubic.GetProperty("rx_acks_held").GetInt64());

        (sent, received) = t.Transfer(5_000_000, timeoutSeconds: 60, congestionControl: "bbr");
        Assert.Equal(sent, received);
        JsonElement bbr = t.A.Status().GetProperty("tunnel").GetProperty("datapath");
        Assert.True(bbr.GetProperty("rx_ack_flows_delay_based").GetInt64() > 0, bbr.ToString());
        Assert.True(bbr.GetProperty("rx_acks_held").GetInt64() > 0, bbr.ToString());
        Assert.True(bbr.GetProperty("rx_ack_flows_timed").GetInt64() > 0, bbr.ToString()); // its send times recorded
        Assert.Equal(0, bbr.GetProperty("rx_ack_flow_lookups_deferred").GetInt64());
    }
}
