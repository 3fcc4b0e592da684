using MptFast.Engine.Daemon;
using MptFast.Engine.Datapath;
using MptFast.Engine.Runtime;
using MptFast.Engine.Tests.Datapath;

namespace MptFast.Engine.Tests.Daemon;

/// <summary>
/// A rebuild (a create on a server, a reload) builds the next pumps while the running ones go on, parks the datapath
/// threads only to switch, and hands the same threads the new pumps (issue 15: making two threads and the pumps with
/// every tunnel stopped was a 10–90 ms pause per create on a loaded server).
/// </summary>
public class DatapathThreadsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_rebuild_runs_the_new_pumps_on_the_same_threads_and_traffic_moves_only_while_not_paused(bool singleThread)
    {
        using var tun = new ReplayTun(PumpTests.Icmp(PumpTests.LocalTunnel, PumpTests.RemoteTunnel)) { PerRead = 4 };
        var threads = new DatapathThreads(tun, new DaemonOptions { Offload = false, SingleThread = singleThread }, 1400);
        var (first, firstSockets) = PumpTests.Connection(0, weights: [1, 1]);
        threads.Start([first]);
        try
        {
            WaitFor(() => Sent(firstSockets) > 0, "the first pumps send");
            (int? Tx, int? Rx) ids = threads.ThreadIds;
            Assert.NotNull(ids.Rx);
            Assert.Equal(singleThread, ids.Tx is null);

            var (second, secondSockets) = PumpTests.Connection(0, weights: [1, 1]);
            DatapathThreads.Pumps next = threads.Prepare([second]);
            long before = Sent(firstSockets);
            WaitFor(() => Sent(firstSockets) > before, "the running pumps go on while the next are built");

            threads.Pause();
            long paused = Sent(firstSockets);
            Thread.Sleep(50);
            Assert.Equal(paused, Sent(firstSockets));
            Assert.Equal(0, Sent(secondSockets));
            long loops = threads.Counters()[singleThread ? "rx_loop_iterations" : "tx_loop_iterations"];

            threads.Resume(next);
            WaitFor(() => Sent(secondSockets) > 0, "the new pumps send");
            Assert.Equal(paused, Sent(firstSockets));
            Assert.Equal(ids, threads.ThreadIds);
            Assert.True(threads.Counters()[singleThread ? "rx_loop_iterations" : "tx_loop_iterations"] > loops, "counters continue across the rebuild");

            // The pause is counted: once, and at least as long as the test kept the threads parked.
            Assert.Equal(1, threads.Counters()["pauses"]);
            Assert.InRange(threads.Counters()["paused_us"], 50_000, 10_000_000);
        }
        finally
        {
            threads.Stop();
        }

        Assert.Equal(((int?)null, (int?)null), threads.ThreadIds);
    }

    [Fact]
    public void A_pump_thread_parks_between_loops_and_ends_on_exit()
    {
        var thread = new PumpThread("mptfast-test");
        using var release = new ManualResetEventSlim();
        int ranOn = 0;
        thread.Run(() =>
        {
            ranOn = Environment.CurrentManagedThreadId;
            release.Wait(Patience);
        });

        Assert.False(thread.WaitParked(TimeSpan.FromMilliseconds(50)));
        Assert.False(thread.Parked);
        Assert.Throws<InvalidOperationException>(() => thread.Run(() => { }));

        release.Set();
        Assert.True(thread.WaitParked(Patience));
        int again = 0;
        thread.Run(() => again = Environment.CurrentManagedThreadId);
        Assert.True(thread.WaitParked(Patience));
        Assert.Equal(thread.ManagedThreadId, ranOn);
        Assert.Equal(ranOn, again);

        thread.Exit(Patience);
        Assert.False(thread.IsAlive);
    }

    private static long Sent(ReplaySocket[] sockets) => sockets.Sum(s => Interlocked.Read(ref s.Sent));

    private static void WaitFor(Func<bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out: {what}");
            Thread.Sleep(2);
        }
    }
}
