using MptFast.Engine.Control;
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

/// <summary>Link events (rtnetlink RTMGRP_LINK) keep the link monitor's readings current without polling sysfs: inside a
/// throw-away namespace, a veth pair's carrier coming and going reaches the reading through <see cref="LinuxLinkState.TakeEvents"/>
/// alone (sysfs there shows the test's own namespace, where the pair does not exist).</summary>
public class LinuxLinkEventTests
{
    [RootFact]
    public void A_carrier_change_reaches_the_reading_through_the_event_socket()
    {
        using var ns = NetworkNamespace.Create($"mptfast-links-{Environment.ProcessId}");
        using LinuxLinkState links = ns.Run(() => new LinuxLinkState()); // its netlink socket lives in the namespace
        Assert.NotNull(links.Events);
        Assert.Null(links.IsUpAndRunning("mfla")); // not in this process's sysfs: unknown until an event says otherwise

        ns.Links.Run("link", "add", "mfla", "type", "veth", "peer", "name", "mflb").ThrowIfFailed();
        ns.Links.SetUp("mfla").ThrowIfFailed();
        ns.Links.SetUp("mflb").ThrowIfFailed();
        Assert.True(WaitFor(links, "mfla", true), "mfla up and running after both ends came up");

        ns.Links.SetDown("mflb").ThrowIfFailed(); // mfla stays up but loses its carrier
        Assert.True(WaitFor(links, "mfla", false), "mfla not running once its peer went down");

        ns.Links.SetUp("mflb").ThrowIfFailed();
        Assert.True(WaitFor(links, "mfla", true), "mfla running again");

        long before = GC.GetAllocatedBytesForCurrentThread();
        links.TakeEvents();
        _ = links.IsUpAndRunning("mfla");
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Without_events_the_reading_is_polled_as_before()
    {
        using var links = new LinuxLinkState(events: false);
        Assert.Null(links.Events);
        links.TakeEvents(); // nothing to take: no effect
        Assert.True(links.IsUpAndRunning("lo"));
    }

    /// <summary>Waits (up to 5 s) for the event socket and takes its events until <paramref name="name"/> reads
    /// <paramref name="expected"/> — through <see cref="ILinkState"/>, as the control loop does.</summary>
    private static bool WaitFor(ILinkState links, string name, bool expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            if (links.Events!.Poll(100_000, System.Net.Sockets.SelectMode.SelectRead))
            {
                links.TakeEvents();
            }

            if (links.IsUpAndRunning(name) == expected)
            {
                return true;
            }
        }

        return false;
    }
}
