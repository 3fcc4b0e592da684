using MptFast.Engine.Daemon;

namespace MptFast.Engine.Tests.Linux;

/// <summary>The link monitor's sysfs readings (MPT-SPEC §6.3 Required): right for a real interface, null for one that
/// does not exist, and allocation-free once its files are open (it runs on every control tick).</summary>
public class LinuxLinkStateTests
{
    [Fact]
    public void Loopback_is_up_and_running_and_a_missing_interface_is_unknown()
    {
        using var links = new LinuxLinkState();
        Assert.True(links.IsUpAndRunning("lo"));
        Assert.Null(links.IsUpAndRunning("mfnosuch0"));
        Assert.Null(links.IsUpAndRunning("../etc"));
    }

    [Fact]
    public void Repeated_readings_allocate_nothing()
    {
        using var links = new LinuxLinkState();
        Assert.True(links.IsUpAndRunning("lo"));
        Thread.Sleep(LinuxLinkState.CacheMilliseconds + 5);
        Assert.True(links.IsUpAndRunning("lo")); // a second real reading: pread on the open files
        long before = GC.GetAllocatedBytesForCurrentThread();
        int readings = 0;
        for (int i = 0; i < 3; i++)
        {
            Thread.Sleep(LinuxLinkState.CacheMilliseconds + 5); // past the cache: each call reads sysfs again
            readings += links.IsUpAndRunning("lo") == true ? 1 : 0;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(3, readings);
    }
}
