using System.Runtime.InteropServices;
using MptFast.Engine.Interop;

namespace MptFast.Perf.LinkEmu;

/// <summary>Reads the frames arriving on one interface into pool slots and offers them to the link.</summary>
internal interface IFrameReceiver : IDisposable
{
    PacketSocket Socket { get; }

    /// <summary>Takes up to <paramref name="max"/> frames without blocking; returns how many were taken.</summary>
    int Receive(LinkModel link, long now, int max);
}

/// <summary>
/// PACKET_RX_RING with TPACKET_V2: the kernel writes each frame into the next slot of a ring mapped into this
/// process and flips the slot's status to USER; we copy the frame into a pool slot (it may stay on the link for
/// tens of milliseconds, far longer than a ring slot can be held) and hand the slot back. No system call per frame;
/// ppoll only when the ring is empty. TPACKET_V3 is not used: it hands over a block only when it is full or its
/// retire timer (milliseconds, jiffy-rounded) fires, which would add up to several milliseconds of delay at low rates.
/// </summary>
internal sealed unsafe class RingReceiver : IFrameReceiver
{
    private const int SlotSize = 2048;
    private const int BlockSize = 4096;
    private const long MaxStampAgeNs = 10_000_000;   // a stamp further back than this is not trusted (clock step)

    private readonly FramePool _pool;
    private readonly Counters _counters;
    private readonly byte* _ring;
    private readonly int _slots;
    private int _next;

    public RingReceiver(string interfaceName, FramePool pool, Counters counters, int slots)
    {
        _pool = pool;
        _counters = counters;
        _slots = slots;
        Socket = PacketSocket.Open(interfaceName);
        Socket.SetOption(Native.SOL_PACKET, Native.PACKET_VERSION, Native.TPACKET_V2, "PACKET_VERSION");
        Socket.SetOption(Native.SOL_PACKET, Native.PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
        var req = new TPacketReq { BlockSize = BlockSize, BlockCount = (uint)(slots * SlotSize / BlockSize), FrameSize = SlotSize, FrameCount = (uint)slots };
        if (Native.SetSockOpt(Socket.Fd, Native.SOL_PACKET, Native.PACKET_RX_RING, &req, (uint)sizeof(TPacketReq)) != 0)
        {
            throw new NativeException($"PACKET_RX_RING on {interfaceName}", Native.LastErrno);
        }

        _ring = (byte*)Native.Mmap(null, (nuint)slots * SlotSize, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, Socket.Fd, 0);
        if (_ring == (byte*)-1)
        {
            throw new NativeException($"mmap of the RX ring of {interfaceName}", Native.LastErrno);
        }

        Socket.Bind(receive: true);
    }

    public PacketSocket Socket { get; }

    public int Receive(LinkModel link, long now, int max)
    {
        int taken = 0;
        long offset = 0;
        while (taken < max)
        {
            // Sound: _next < _slots, and the mapping holds _slots slots of SlotSize bytes.
            var header = (TPacket2Hdr*)(_ring + ((nint)_next * SlotSize));
            uint status = Volatile.Read(ref header->Status);
            if ((status & TPacket2Hdr.StatusUser) == 0)
            {
                break;
            }

            int length = (int)header->SnapLength;
            _counters.Received++;
            _counters.ReceivedBytes += header->Length;
            if ((status & TPacket2Hdr.StatusChecksumNotReady) != 0)
            {
                _counters.ChecksumPartial++;
            }

            if (header->Length > header->SnapLength || length > FramePool.SlotSize)
            {
                _counters.DropTooBig++;
            }
            else if (_pool.Rent() is var frame and >= 0)
            {
                Buffer.MemoryCopy((byte*)header + header->MacOffset, _pool.Data(frame), FramePool.SlotSize, length);
                _pool.Length[frame] = length;
                // The frame entered the link when the kernel received it, not when this thread woke up to read it:
                // the wake-up latency must not add to the delay.
                offset = offset != 0 ? offset : MonotonicClock.RealtimeOffsetNs;
                long received = ((long)header->Seconds * 1_000_000_000) + header->Nanoseconds - offset;
                link.Offer(frame, received > 0 && received < now ? Math.Max(received, now - MaxStampAgeNs) : now);
            }
            else
            {
                _counters.DropPoolEmpty++;
            }

            Volatile.Write(ref header->Status, TPacket2Hdr.StatusKernel);
            _next = _next + 1 == _slots ? 0 : _next + 1;
            taken++;
        }

        return taken;
    }

    public void Dispose()
    {
        _ = Native.Munmap(_ring, (nuint)_slots * SlotSize);
        Socket.Dispose();
    }
}

/// <summary>
/// recvmmsg on the packet socket, straight into pool slots: one system call per batch and no copy in user space,
/// but a system call even when the batch is small. The alternative to the ring (<c>--rx mmsg</c>), kept for measuring.
/// </summary>
internal sealed unsafe class MmsgReceiver : IFrameReceiver
{
    private readonly FramePool _pool;
    private readonly Counters _counters;
    private readonly int _batch;
    private readonly int[] _frames;
    private readonly IoVec* _iov;
    private readonly MMsgHdr* _msgs;

    public MmsgReceiver(string interfaceName, FramePool pool, Counters counters, int batch)
    {
        _pool = pool;
        _counters = counters;
        _batch = batch;
        _frames = new int[batch];
        Array.Fill(_frames, -1);
        _iov = (IoVec*)NativeMemory.AllocZeroed((nuint)(batch * sizeof(IoVec)));
        _msgs = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(batch * sizeof(MMsgHdr)));
        Socket = PacketSocket.Open(interfaceName);
        Socket.SetOption(Native.SOL_PACKET, Native.PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
        Socket.SetOption(Native.SOL_SOCKET, Native.SO_RCVBUFFORCE, 8 << 20, "SO_RCVBUFFORCE", optional: true);
        Socket.Bind(receive: true);
    }

    public PacketSocket Socket { get; }

    public int Receive(LinkModel link, long now, int max)
    {
        int posted = 0;
        while (posted < Math.Min(max, _batch))
        {
            if (_frames[posted] < 0 && (_frames[posted] = _pool.Rent()) < 0)
            {
                break;
            }

            // Sound: posted < _batch; the slot pointer and SlotSize bound what the kernel may write.
            _iov[posted].Base = _pool.Data(_frames[posted]);
            _iov[posted].Length = FramePool.SlotSize;
            _msgs[posted].Header.Iov = &_iov[posted];
            _msgs[posted].Header.IovLength = 1;
            _msgs[posted].Header.Flags = 0;
            posted++;
        }

        if (posted == 0)
        {
            _counters.DropPoolEmpty++;
            return 0;
        }

        int n = Native.RecvMmsg(Socket.Fd, _msgs, (uint)posted, Native.MSG_DONTWAIT | Native.MSG_TRUNC, null);
        if (n <= 0)
        {
            return 0;   // EAGAIN: nothing queued (EINTR likewise); other errors show up again and again in the counters' silence
        }

        for (int i = 0; i < n; i++)
        {
            int length = (int)_msgs[i].Length;
            _counters.Received++;
            _counters.ReceivedBytes += length;
            if ((_msgs[i].Header.Flags & Native.MSG_TRUNC) != 0 || length > FramePool.SlotSize)
            {
                _counters.DropTooBig++;
                continue;   // the slot stays posted
            }

            int frame = _frames[i];
            _frames[i] = -1;
            _pool.Length[frame] = length;
            link.Offer(frame, now);
        }

        return n;
    }

    public void Dispose()
    {
        foreach (int frame in _frames)
        {
            if (frame >= 0)
            {
                _pool.Return(frame);
            }
        }

        NativeMemory.Free(_iov);
        NativeMemory.Free(_msgs);
        Socket.Dispose();
    }
}

/// <summary>The send side: frames released by the link are gathered and written with sendmmsg, 64 per call, from
/// their pool slots (the kernel copies them), then the slots go back to the pool.</summary>
internal sealed unsafe class SendBatch : IFrameSink, IDisposable
{
    public const int Capacity = 64;

    private readonly FramePool _pool;
    private readonly Counters _counters;
    private readonly int[] _frames = new int[Capacity];
    private readonly IoVec* _iov;
    private readonly MMsgHdr* _msgs;
    private int _count;

    public SendBatch(string interfaceName, FramePool pool, Counters counters)
    {
        _pool = pool;
        _counters = counters;
        _iov = (IoVec*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(IoVec)));
        _msgs = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(MMsgHdr)));
        for (int i = 0; i < Capacity; i++)
        {
            _msgs[i].Header.Iov = &_iov[i];
            _msgs[i].Header.IovLength = 1;
        }

        Socket = PacketSocket.Open(interfaceName);
        Socket.SetOption(Native.SOL_PACKET, Native.PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS", optional: true);
        Socket.Bind(receive: false);
    }

    public PacketSocket Socket { get; }

    public void Add(int frame)
    {
        _frames[_count] = frame;
        _iov[_count].Base = _pool.Data(frame);
        _iov[_count].Length = (nuint)_pool.Length[frame];
        if (++_count == Capacity)
        {
            Flush();
        }
    }

    public void Flush()
    {
        int sent = 0;
        while (sent < _count)
        {
            int n = Native.SendMmsg(Socket.Fd, _msgs + sent, (uint)(_count - sent), Native.MSG_DONTWAIT);
            if (n < 0)
            {
                if (Native.LastErrno == Native.EINTR)
                {
                    continue;
                }

                _counters.DropSendError++;   // the head frame cannot go (ENOBUFS, EAGAIN, ENETDOWN…): skip it, send the rest
                n = 1;
            }
            else
            {
                for (int i = sent; i < sent + n; i++)
                {
                    _counters.Forwarded++;
                    _counters.ForwardedBytes += _pool.Length[_frames[i]];
                }
            }

            sent += n;
        }

        for (int i = 0; i < _count; i++)
        {
            _pool.Return(_frames[i]);
        }

        _count = 0;
    }

    public void Dispose()
    {
        NativeMemory.Free(_iov);
        NativeMemory.Free(_msgs);
        Socket.Dispose();
    }
}
