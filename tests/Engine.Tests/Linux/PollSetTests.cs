using MptFast.Engine.Datapath.Linux;

namespace MptFast.Engine.Tests.Linux;

public class PollSetTests
{
    [Fact]
    public void Wait_times_out_with_zero_when_nothing_is_ready()
    {
        using var wake = new WakeEvent();
        var poll = new PollSet(4);
        int index = poll.Add(wake.Fd);
        Assert.Equal(0, poll.Wait(0));
        Assert.False(poll.IsReadable(index));
    }

    [Fact]
    public void Signal_from_another_thread_wakes_the_waiter()
    {
        using var wake = new WakeEvent();
        using var other = new WakeEvent();
        var poll = new PollSet(4);
        int otherIndex = poll.Add(other.Fd);
        int wakeIndex = poll.Add(wake.Fd);
        var signaller = new Thread(wake.Signal);
        signaller.Start();
        int ready = poll.Wait(5000);
        signaller.Join();
        Assert.Equal(1, ready);
        Assert.True(poll.IsReadable(wakeIndex));
        Assert.False(poll.IsReadable(otherIndex));
        Assert.True(wake.Reset());
        Assert.False(wake.Reset());
        Assert.Equal(0, poll.Wait(0));
    }

    [Fact]
    public void Negative_fd_entries_are_skipped()
    {
        using var wake = new WakeEvent();
        var poll = new PollSet(2);
        int index = poll.Add(wake.Fd);
        wake.Signal();
        poll.Update(index, -1, PollEvents.Readable);
        Assert.Equal(0, poll.Wait(0));
    }

    [Fact]
    public void Adding_beyond_capacity_throws()
    {
        var poll = new PollSet(1);
        poll.Add(0);
        Assert.Throws<InvalidOperationException>(() => poll.Add(1));
    }

    [Fact]
    public void Wait_allocates_nothing()
    {
        using var wake = new WakeEvent();
        var poll = new PollSet(2);
        poll.Add(wake.Fd);
        CycleSignals(wake, poll, 100); // warm-up: first P/Invoke binding and JIT of every call
        long before = GC.GetAllocatedBytesForCurrentThread();
        int ready = CycleSignals(wake, poll, 100);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(100, ready);
    }

    private static int CycleSignals(WakeEvent wake, PollSet poll, int count)
    {
        int ready = 0;
        for (int i = 0; i < count; i++)
        {
            wake.Signal();
            ready += poll.Wait(0);
            wake.Reset();
        }

        return ready;
    }
}
