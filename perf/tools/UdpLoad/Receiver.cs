using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MptFast.Engine.Interop;

namespace MptFast.Perf.UdpLoad;

/// <summary>
/// Counts datagrams and payload bytes arriving on one bound socket with recvmmsg (up to <see cref="Options.Batch"/>
/// per call). The datagrams are copied out like any application would, into 2 KiB slots; MSG_TRUNC makes the
/// kernel report the real length of anything longer, so the byte count stays right (and <c>truncated</c> says so).
/// With <see cref="Options.PollMs"/> the socket is read without blocking and the receiver sleeps that long whenever
/// it is empty: nobody waits on the socket, so whoever delivers the datagrams (the sender's softirq over a veth, a
/// tunnel daemon writing its TUN) never pays for waking the receiver up, and the receiver drains full batches.
/// </summary>
internal static unsafe class Receiver
{
    private const int ReceiveBuffer = 8 << 20;   // absorbs bursts, so the receiving process is what limits the rate
    private const int SlotSize = 2048;
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(100);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static LoadResult Run(Options o, StopSignal stop, TextWriter log)
    {
        var result = new LoadResult();
        using UdpSocket socket = UdpSocket.Open(o.Endpoint.AddressFamily);
        socket.SetBuffer(receive: true, ReceiveBuffer);
        socket.SetTimeout(receive: true, s_poll);   // every recvmmsg returns within 100 ms: deadlines are checked
        socket.Bind(o.Endpoint);
        log.WriteLine($"udpload: receiving on {o.Endpoint}");
        log.Flush();

        byte* slots = (byte*)NativeMemory.AlignedAlloc((nuint)(o.Batch * SlotSize), 64);
        var iov = (IoVec*)NativeMemory.AlignedAlloc((nuint)(o.Batch * sizeof(IoVec)), 64);
        var msgs = (MMsgHdr*)NativeMemory.AlignedAlloc((nuint)(o.Batch * sizeof(MMsgHdr)), 64);
        try
        {
            // Sound: slots holds o.Batch × SlotSize bytes, iov and msgs o.Batch elements each, all freed below.
            NativeMemory.Clear(msgs, (nuint)(o.Batch * sizeof(MMsgHdr)));
            for (int i = 0; i < o.Batch; i++)
            {
                iov[i].Base = slots + ((nint)i * SlotSize);
                iov[i].Length = SlotSize;
                msgs[i].Header.Iov = &iov[i];
                msgs[i].Header.IovLength = 1;
            }

            int wait = o.PollMs > 0 ? Native.MSG_DONTWAIT : Native.MSG_WAITFORONE;
            var clock = Stopwatch.StartNew();
            double first = 0, last = 0;
            while (true)
            {
                double now = clock.Elapsed.TotalSeconds;
                if (now >= o.Seconds)
                {
                    result.Stopped = "seconds";
                    break;
                }

                if (result.Datagrams > 0 && now - last >= o.Silence)
                {
                    result.Stopped = "silence";
                    break;
                }

                if (stop.Requested)
                {
                    result.Stopped = "signal";
                    break;
                }

                // Blocking: MSG_WAITFORONE waits (up to the 100 ms timeout) for the first datagram, then takes what is
                // queued. Polling: MSG_DONTWAIT, and a sleep when the queue is empty.
                int n = Native.RecvMmsg(socket.Fd, msgs, (uint)o.Batch, wait | Native.MSG_TRUNC, null);
                result.Calls++;
                if (n < 0)
                {
                    int errno = Native.LastErrno;
                    if (errno is Native.EAGAIN or Native.EINTR)
                    {
                        if (o.PollMs > 0)
                        {
                            Thread.Sleep(o.PollMs);
                        }

                        continue;   // nothing queued (blocking: nothing arrived within 100 ms)
                    }

                    throw new SocketCallException($"recvmmsg on {o.Endpoint}", errno);
                }

                double at = clock.Elapsed.TotalSeconds;
                if (result.Datagrams == 0)
                {
                    first = at;
                }

                last = at;
                result.Datagrams += n;
                for (int i = 0; i < n; i++)
                {
                    result.Bytes += msgs[i].Length;
                    if ((msgs[i].Header.Flags & Native.MSG_TRUNC) != 0)
                    {
                        result.Truncated++;
                    }
                }
            }

            result.ElapsedSeconds = last - first;
            return result;
        }
        finally
        {
            NativeMemory.AlignedFree(msgs);
            NativeMemory.AlignedFree(iov);
            NativeMemory.AlignedFree(slots);
        }
    }
}
