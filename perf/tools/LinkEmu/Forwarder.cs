using System.Collections.Concurrent;
using MptFast.Engine.Interop;

namespace MptFast.Perf.LinkEmu;

/// <summary>A request from the control side to one forwarding thread, applied between two batches.</summary>
internal abstract record ControlMessage
{
    /// <summary>Change the base and the current values (a live <c>set</c>).</summary>
    public sealed record Set(LinkChange Change) : ControlMessage;

    /// <summary>Back to the base values and run <paramref name="Schedule"/> from <paramref name="Zero"/>.</summary>
    public sealed record Restart(Schedule Schedule, long Zero) : ControlMessage;

    /// <summary>Swap in a schedule with more changes, keeping the position in time (changes already due stay applied).</summary>
    public sealed record Extend(Schedule Schedule) : ControlMessage;
}

/// <summary>
/// One direction of the link on its own thread: read frames from the input interface, run them through the
/// <see cref="LinkModel"/>, send what has arrived out of the output interface, and sleep in ppoll (nanosecond
/// timeout, 1 µs timer slack) until the next frame comes in, the next frame is due, the next scheduled change, or a
/// control message. Everything on the frame path is preallocated; control messages arrive through a queue and an
/// eventfd, and only this thread ever changes its parameters.
/// </summary>
internal sealed unsafe class Forwarder : IDisposable
{
    private const int ReceiveBatch = 256;
    private const long MaxSleepNs = 100_000_000;   // a stop request is seen within this

    // How late ppoll returns after its timeout (wake-up latency, ~50 µs here), smoothed: the sleep is cut short by it and
    // the rest waited out in the loop, so a frame leaves at its due time, not one wake-up latency after it.
    private long _wakeLateNs;

    private readonly IFrameReceiver _input;
    private readonly SendBatch _output;
    private readonly FramePool _pool;
    private readonly LinkModel _link;
    private readonly ScheduleCursor _cursor;
    private readonly ConcurrentQueue<(long Ticket, ControlMessage Message)> _mailbox = new();
    private readonly int _wakeFd;
    private LinkParams _base;
    private long _posted;
    private long _applied;
    private volatile bool _stop;

    public Forwarder(Directions direction, string from, string to, LinkParams parameters, Schedule schedule, long zero,
        bool ring, int frames, ulong seed)
    {
        Direction = direction;
        Name = direction == Directions.AtoB ? "ab" : "ba";
        _base = parameters;
        _pool = new FramePool(frames);
        _link = new LinkModel(_pool, Counters, parameters, seed);
        _cursor = new ScheduleCursor(direction);
        _cursor.Start(schedule, zero);
        _wakeFd = Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (_wakeFd < 0)
        {
            throw new NativeException("eventfd", Native.LastErrno);
        }

        _input = ring ? new RingReceiver(from, _pool, Counters, slots: 4096) : new MmsgReceiver(from, _pool, Counters, batch: 64);
        _output = new SendBatch(to, _pool, Counters);
    }

    public Directions Direction { get; }

    public string Name { get; }

    public Counters Counters { get; } = new();

    /// <summary>The values in force now (read by other threads for reports).</summary>
    public LinkParams Current => _link.Params;

    /// <summary>Queues a message for the thread and wakes it; returns a ticket for <see cref="WaitApplied"/>.</summary>
    public long Post(ControlMessage message)
    {
        long ticket = Interlocked.Increment(ref _posted);
        _mailbox.Enqueue((ticket, message));
        Wake();
        return ticket;
    }

    /// <summary>Waits until the thread has applied the message with <paramref name="ticket"/>; false on timeout.</summary>
    public bool WaitApplied(long ticket, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (Volatile.Read(ref _applied) < ticket)
        {
            if (DateTime.UtcNow > until)
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }

    /// <summary>Adds the kernel's RX-ring/socket drops to the counters (PACKET_STATISTICS resets on read).</summary>
    public void CollectKernelDrops() => Interlocked.Add(ref Counters.RingDrops, _input.Socket.TakeKernelDrops());

    public void Stop()
    {
        _stop = true;
        Wake();
    }

    public void Run()
    {
        _ = Native.Prctl(Native.PR_SET_TIMERSLACK, 1000, 0, 0, 0);   // wake within ~1 µs of the deadline, not the default 50 µs
        PollFd* fds = stackalloc PollFd[2];
        fds[0] = new PollFd { Fd = _input.Socket.Fd, Events = Native.POLLIN };
        fds[1] = new PollFd { Fd = _wakeFd, Events = Native.POLLIN };
        while (!_stop)
        {
            long now = MonotonicClock.NowNs;
            LinkParams p = _link.Params;
            if (_cursor.Advance(now, ref p))
            {
                SetParams(p);
            }

            ApplyMessages(now);   // after the schedule has reached now, so that Extend knows what is done

            int taken = _input.Receive(_link, now, ReceiveBatch);
            now = MonotonicClock.NowNs;
            _link.Release(now, _output);
            _output.Flush();
            if (taken > 0)
            {
                continue;
            }

            long wait = Math.Min(Math.Min(_link.NextEventAt, _cursor.NextAtNs), now + MaxSleepNs) - MonotonicClock.NowNs;
            if (wait <= 0)
            {
                continue;
            }

            wait -= _wakeLateNs;
            if (wait <= 0)
            {
                continue;   // due within one wake-up latency: wait it out here
            }

            var timeout = new TimeSpec { Seconds = wait / 1_000_000_000, Nanoseconds = wait % 1_000_000_000 };
            fds[0].ReturnedEvents = fds[1].ReturnedEvents = 0;
            long sleptAt = MonotonicClock.NowNs;
            int ready = Native.PPoll(fds, 2, &timeout, null);
            if (ready == 0 && wait < MaxSleepNs)
            {
                long late = Math.Clamp(MonotonicClock.NowNs - sleptAt - wait, 0, 1_000_000);
                _wakeLateNs += (late - _wakeLateNs) / 8;
            }
            else if (ready > 0 && fds[1].ReturnedEvents != 0)
            {
                ulong drained;
                _ = Native.Read(_wakeFd, &drained, sizeof(ulong));
            }
        }
    }

    public void Dispose()
    {
        _input.Dispose();
        _output.Dispose();
        _pool.Dispose();
        _ = Native.Close(_wakeFd);
    }

    private void ApplyMessages(long now)
    {
        while (_mailbox.TryDequeue(out var item))
        {
            switch (item.Message)
            {
                case ControlMessage.Set set:
                    _base = set.Change.ApplyTo(_base);
                    SetParams(set.Change.ApplyTo(_link.Params));
                    break;
                case ControlMessage.Restart restart:
                    _cursor.Start(restart.Schedule, restart.Zero);
                    SetParams(_base);
                    break;
                case ControlMessage.Extend extend:
                    _cursor.Extend(extend.Schedule, now);
                    break;
            }

            Volatile.Write(ref _applied, item.Ticket);
        }
    }

    private void SetParams(LinkParams p)
    {
        _link.Params = p;
        Counters.ParamChanges++;
    }

    private void Wake()
    {
        ulong one = 1;
        _ = Native.Write(_wakeFd, &one, sizeof(ulong));
    }
}
