using MptFast.Engine.Interop;

namespace MptFast.Engine.Datapath.Linux;

/// <summary>
/// An eventfd that another thread signals to wake a datapath thread out of <see cref="PollSet.Wait"/> — to stop it,
/// or to tell it new work is queued. Non-blocking; <see cref="Signal"/> is thread-safe.
/// </summary>
public sealed unsafe class WakeEvent : IDisposable
{
    private int _fd;

    /// <summary>Creates the eventfd.</summary>
    /// <exception cref="LinuxErrorException">eventfd failed (descriptor limit).</exception>
    public WakeEvent()
    {
        Libc.EnsureSupported();
        _fd = Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (_fd < 0)
        {
            LinuxError.ThrowLast("eventfd");
        }
    }

    ~WakeEvent() => Release();

    /// <summary>Descriptor to add to a <see cref="PollSet"/>; readable while signalled.</summary>
    public int Fd => _fd;

    /// <summary>Makes <see cref="Fd"/> readable until <see cref="Reset"/>.</summary>
    public void Signal()
    {
        ulong one = 1;
        // Sound: writes the 8-byte local counter increment eventfd expects. Errors (EAGAIN at counter overflow) mean
        // it is already signalled.
        _ = Libc.Write(_fd, (byte*)&one, sizeof(ulong));
    }

    /// <summary>Consumes pending signals; returns true if there was any.</summary>
    public bool Reset()
    {
        ulong value = 0;
        // Sound: reads eventfd's 8-byte counter into a local.
        return Libc.Read(_fd, (byte*)&value, sizeof(ulong)) == sizeof(ulong) && value != 0;
    }

    /// <summary>Closes the eventfd.</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private void Release()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = Libc.Close(fd);
        }
    }
}
