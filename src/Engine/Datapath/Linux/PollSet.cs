using MptFast.Engine.Interop;

namespace MptFast.Engine.Datapath.Linux;

/// <summary>
/// A fixed set of descriptors (path sockets, the TUN, a <see cref="WakeEvent"/>) waited on with poll(2). Members are
/// added at setup; <see cref="Wait"/> allocates nothing. One owning thread.
/// </summary>
public sealed unsafe class PollSet
{
    private readonly PollFd[] _fds; // pinned: the kernel reads it during poll

    /// <summary>Creates an empty set with room for <paramref name="capacity"/> descriptors.</summary>
    public PollSet(int capacity = 32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _fds = GC.AllocateArray<PollFd>(capacity, pinned: true);
    }

    /// <summary>Descriptors in the set.</summary>
    public int Count { get; private set; }

    /// <summary>Descriptors the set can hold.</summary>
    public int Capacity => _fds.Length;

    /// <summary>Empties the set (the next <see cref="Add"/> is index 0).</summary>
    public void Clear() => Count = 0;

    /// <summary>Adds <paramref name="fd"/> and returns its index for <see cref="ReadyEvents"/>.</summary>
    public int Add(int fd, PollEvents events = PollEvents.Readable)
    {
        if (Count == _fds.Length)
        {
            throw new InvalidOperationException($"poll set is full ({_fds.Length})");
        }

        _fds[Count] = new PollFd { Fd = fd, Events = (short)events };
        return Count++;
    }

    /// <summary>Changes what entry <paramref name="index"/> waits for (e.g. add <see cref="PollEvents.Writable"/> while a
    /// socket buffer is full). A negative fd makes poll skip the entry.</summary>
    public void Update(int index, int fd, PollEvents events)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        _fds[index].Fd = fd;
        _fds[index].Events = (short)events;
    }

    /// <summary>
    /// Blocks until a descriptor is ready or <paramref name="timeoutMilliseconds"/> pass (−1: no timeout). Returns the
    /// number of ready descriptors; 0 on timeout or a signal (EINTR) — the caller just loops.
    /// </summary>
    public int Wait(int timeoutMilliseconds)
    {
        int n;
        // Sound: _fds is allocated pinned, so its address is stable for the kernel during the call.
        fixed (PollFd* p = _fds)
        {
            n = Libc.Poll(p, (nuint)Count, timeoutMilliseconds);
        }

        if (n < 0)
        {
            Errno errno = LinuxError.Last;
            if (errno is not (Errno.EINTR or Errno.EAGAIN))
            {
                LinuxError.Throw("poll", errno); // EFAULT/EINVAL: a programming error, not packet data
            }

            ClearReady();
            return 0;
        }

        return n;
    }

    /// <summary>What happened on entry <paramref name="index"/> in the last <see cref="Wait"/>.</summary>
    public PollEvents ReadyEvents(int index) => (PollEvents)_fds[index].ReturnedEvents;

    /// <summary>True if entry <paramref name="index"/> is readable (or in error/hang-up, which a read will report).</summary>
    public bool IsReadable(int index) => (_fds[index].ReturnedEvents & (short)(PollEvents.Readable | PollEvents.Error | PollEvents.HangUp)) != 0;

    private void ClearReady()
    {
        for (int i = 0; i < Count; i++)
        {
            _fds[i].ReturnedEvents = 0;
        }
    }
}
