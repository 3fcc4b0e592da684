using System.Runtime.InteropServices;
using MptFast.Engine.Interop;

namespace MptFast.Engine.Datapath.Linux;

/// <summary>
/// Descriptors waited on with epoll(7), level-triggered, each with a caller's token: a wait costs what is ready, not
/// what exists (issue 15: a server with a hundred clients has 200 path sockets, of which a round touches the few with
/// data). <see cref="Wait"/> allocates nothing. One owning thread.
/// </summary>
public sealed unsafe class EpollSet : IDisposable
{
    private readonly int _capacity;
    private readonly byte* _events;
    private int _epfd;

    /// <summary>A set reporting at most <paramref name="capacity"/> ready descriptors per wait (the rest the next wait).</summary>
    /// <exception cref="LinuxErrorException">epoll_create1 failed.</exception>
    public EpollSet(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Libc.EnsureSupported();
        _epfd = Libc.EpollCreate1(Libc.EPOLL_CLOEXEC);
        if (_epfd < 0)
        {
            LinuxError.ThrowLast("epoll_create1");
        }

        _capacity = capacity;
        _events = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * EpollEventLayout.Size));
    }

    ~EpollSet() => Release();

    /// <summary>Waits for <paramref name="fd"/> to be readable (or in error); <see cref="Token"/> reports <paramref name="token"/>.</summary>
    public void Add(int fd, ulong token)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = Libc.EPOLLIN;
        *(ulong*)(ev + EpollEventLayout.DataOffset) = token;
        if (Libc.EpollCtl(_epfd, Libc.EPOLL_CTL_ADD, fd, ev) != 0)
        {
            LinuxError.ThrowLast($"epoll_ctl add fd {fd}");
        }
    }

    /// <summary>Blocks until a descriptor is ready or <paramref name="timeoutMilliseconds"/> pass (−1: no timeout). Returns how
    /// many are ready (their tokens: <see cref="Token"/> 0..n-1); 0 on timeout or a signal (EINTR).</summary>
    public int Wait(int timeoutMilliseconds)
    {
        int n = Libc.EpollWait(_epfd, _events, _capacity, timeoutMilliseconds);
        if (n < 0)
        {
            Errno errno = LinuxError.Last;
            if (errno is not (Errno.EINTR or Errno.EAGAIN))
            {
                LinuxError.Throw("epoll_wait", errno); // EBADF/EFAULT/EINVAL: a programming error, not packet data
            }

            return 0;
        }

        return n;
    }

    /// <summary>The token of ready entry <paramref name="index"/> of the last <see cref="Wait"/>.</summary>
    public ulong Token(int index) => *(ulong*)(_events + (index * EpollEventLayout.Size) + EpollEventLayout.DataOffset);

    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private void Release()
    {
        int fd = Interlocked.Exchange(ref _epfd, -1);
        if (fd >= 0)
        {
            _ = Libc.Close(fd);
            NativeMemory.Free(_events);
        }
    }
}
