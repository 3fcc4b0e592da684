using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MptFast.Engine.Interop;

namespace MptFast.Perf.UdpLoad;

/// <summary>
/// Sends identical datagrams from one connected socket, <see cref="Options.Batch"/> per sendmmsg call: one system
/// call and one wake-up per batch instead of per datagram, which is what keeps a single sender thread above
/// 1 Mpkt/s where iperf3's send-per-datagram loop stops at a few hundred thousand.
/// </summary>
internal static unsafe class Sender
{
    private const int SendBuffer = 4 << 20;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static LoadResult Run(Options o, StopSignal stop)
    {
        var result = new LoadResult();
        using UdpSocket socket = UdpSocket.Open(o.Endpoint.AddressFamily);
        socket.SetBuffer(receive: false, SendBuffer);
        socket.SetTimeout(receive: false, TimeSpan.FromMilliseconds(200));   // a stuck queue cannot outlast --seconds
        socket.Connect(o.Endpoint);   // connected: no address per message, and the route is looked up once

        // One payload for all messages (the kernel copies each datagram), one iovec and one header per message.
        byte* payload = (byte*)NativeMemory.AlignedAlloc((nuint)o.Size, 64);
        var iov = (IoVec*)NativeMemory.AlignedAlloc((nuint)(o.Batch * sizeof(IoVec)), 64);
        var msgs = (MMsgHdr*)NativeMemory.AlignedAlloc((nuint)(o.Batch * sizeof(MMsgHdr)), 64);
        try
        {
            // Sound: payload holds o.Size bytes, iov and msgs o.Batch elements each, all freed below.
            for (int i = 0; i < o.Size; i++)
            {
                payload[i] = (byte)('a' + (i % 26));
            }

            NativeMemory.Clear(msgs, (nuint)(o.Batch * sizeof(MMsgHdr)));
            for (int i = 0; i < o.Batch; i++)
            {
                iov[i].Base = payload;
                iov[i].Length = (nuint)o.Size;
                msgs[i].Header.Iov = &iov[i];
                msgs[i].Header.IovLength = 1;
            }

            var clock = Stopwatch.StartNew();
            result.Stopped = "seconds";
            while (true)
            {
                double now = clock.Elapsed.TotalSeconds;
                if (now >= o.Seconds)
                {
                    break;
                }

                if (stop.Requested)
                {
                    result.Stopped = "signal";
                    break;
                }

                long want = o.Batch;
                if (o.Count > 0)
                {
                    want = Math.Min(want, o.Count - result.Datagrams);
                    if (want <= 0)
                    {
                        result.Stopped = "count";
                        break;
                    }
                }

                if (o.Rate > 0)
                {
                    // Pacing: by time t, at most floor(t × rate) + 1 datagrams may have gone out.
                    long allowed = (long)(now * o.Rate) + 1 - result.Datagrams;
                    if (allowed <= 0)
                    {
                        double wait = (result.Datagrams / o.Rate) - now;
                        if (wait > 0.002)
                        {
                            Thread.Sleep(1);
                        }
                        else
                        {
                            Thread.SpinWait(50);
                        }

                        continue;
                    }

                    want = Math.Min(want, allowed);
                }

                int n = Native.SendMmsg(socket.Fd, msgs, (uint)want, 0);
                result.Calls++;
                if (n < 0)
                {
                    int errno = Native.LastErrno;
                    if (errno is not (Native.EAGAIN or Native.EINTR or Native.ENOBUFS or Native.ECONNREFUSED))
                    {
                        throw new SocketCallException($"sendmmsg to {o.Endpoint}", errno);
                    }

                    // ECONNREFUSED: an ICMP port unreachable for an earlier datagram (receiver not there yet);
                    // EAGAIN: the send timeout; ENOBUFS: a full device queue. Counted; the load goes on.
                    result.CountError(errno);
                    continue;
                }

                result.Datagrams += n;
                result.Bytes += (long)n * o.Size;
            }

            result.ElapsedSeconds = clock.Elapsed.TotalSeconds;
            return result;
        }
        finally
        {
            NativeMemory.AlignedFree(msgs);
            NativeMemory.AlignedFree(iov);
            NativeMemory.AlignedFree(payload);
        }
    }
}
