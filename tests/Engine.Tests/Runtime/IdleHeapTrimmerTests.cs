using MptFast.Engine.Config;
using MptFast.Engine.Runtime;
using MptFast.Engine.Tests.Control;

namespace MptFast.Engine.Tests.Runtime;

public class IdleHeapTrimmerTests
{
    private static byte[] _garbage = [];

    // Allocates (and drops) more than the trim threshold.
    private static void MakeGarbage()
    {
        for (int i = 0; i < 8; i++)
        {
            _garbage = new byte[IdleHeapTrimmer.TrimAfterBytes / 4];
        }

        _garbage = [];
    }

    [Fact]
    public void Trims_once_the_datapath_was_idle_for_a_period_after_enough_allocation_and_not_again_without_more()
    {
        var harness = new LivenessHarness(new PathConfig());
        ConnectionRuntime[] connections = [harness.Connection];
        var trimmer = new IdleHeapTrimmer();
        MakeGarbage();

        Assert.False(trimmer.Tick(connections, 0)); // the first look has nothing to compare with
        Assert.False(trimmer.Tick(connections, IdleHeapTrimmer.CheckPeriodMs - 1)); // not due yet
        Assert.True(trimmer.Tick(connections, IdleHeapTrimmer.CheckPeriodMs)); // idle for a period, garbage made
        Assert.Equal(1, trimmer.Trims);
        Assert.False(trimmer.Tick(connections, 2 * IdleHeapTrimmer.CheckPeriodMs)); // idle, but nothing allocated since
        Assert.Equal(1, trimmer.Trims);
    }

    [Fact]
    public void Never_trims_while_data_moves()
    {
        var harness = new LivenessHarness(new PathConfig());
        PathRuntime path = harness.Connection.Paths[0];
        ConnectionRuntime[] connections = [harness.Connection];
        var trimmer = new IdleHeapTrimmer();
        for (int period = 0; period < 5; period++)
        {
            MakeGarbage();
            path.Counters.Rx.Packets += period % 2 == 0 ? 1 : 0;
            path.Counters.Tx.Packets += period % 2 == 1 ? 1 : 0;
            Assert.False(trimmer.Tick(connections, period * IdleHeapTrimmer.CheckPeriodMs));
        }

        Assert.Equal(0, trimmer.Trims);
        MakeGarbage();
        Assert.True(trimmer.Tick(connections, 5 * IdleHeapTrimmer.CheckPeriodMs)); // the first idle period
    }
}
