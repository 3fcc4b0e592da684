using MptFast.Engine.Buffers;
using MptFast.Engine.Interop;
using MptFast.Engine.Offload;

namespace MptFast.Engine.Datapath;

/// <summary>
/// The receive thread's way out to the TUN: a batch of layer-3 packets written one writev each, or — with TCP
/// coalescing on — planned by <see cref="TcpCoalescer"/> so runs of in-order TCP segments go out as one GSO
/// super-packet behind a virtio_net_hdr (PERFORMANCE-NOTES lever 3). Nothing is copied together: a packet is written
/// from where it was received, a super-packet is gathered (<see cref="PacketGather"/>: header + the first segment's
/// fixed headers + every payload in place). When the kernel refuses a super-packet with EINVAL/EIO, coalescing is
/// turned off for good with one log line (STYLE.md "OS capabilities as state"); the packets of that group are then
/// written singly. Allocates nothing per packet.
/// </summary>
internal sealed class TunWriter : IDisposable
{
    private const int MaxStalls = 3;

    private readonly ITunDevice _tun;
    private readonly TcpCoalescer _coalescer;
    private readonly PacketGather _gather = new();
    private bool _coalesce;

    public TunWriter(ITunDevice tun, bool coalesce)
    {
        _tun = tun;
        _coalescer = new TcpCoalescer(PacketBatch.MaxPackets);
        _coalesce = coalesce;
    }

    /// <summary>Coalescing is on (it goes off after the kernel refused a super-packet).</summary>
    public bool Coalescing => _coalesce;

    /// <summary>Super-packets written.</summary>
    public long SuperPackets { get; private set; }

    /// <summary>Segments that went out inside super-packets.</summary>
    public long CoalescedSegments { get; private set; }

    /// <summary>Writes packets [0, count) of <paramref name="packets"/> (at most <see cref="PacketBatch.MaxPackets"/>);
    /// the caller releases them afterwards.</summary>
    public void Write<TPackets>(TPackets packets, int count)
        where TPackets : struct, IPacketList
    {
        if (!_coalesce || count < 2)
        {
            WriteRange(packets, 0, count);
            return;
        }

        int groups = _coalescer.Plan(packets, count);
        if (groups == count)
        {
            WriteRange(packets, 0, count);
            return;
        }

        for (int g = 0; g < groups; g++)
        {
            int head = _coalescer.HeadOf(g);
            if (_coalescer.CountOf(g) == 1)
            {
                WriteRange(packets, head, 1);
                continue;
            }

            if (!WriteSuper(packets, g))
            {
                for (int e = head; e >= 0; e = _coalescer.NextMemberOf(e))
                {
                    WriteRange(packets, e, 1);
                }
            }
        }
    }

    private bool WriteSuper<TPackets>(TPackets packets, int group)
        where TPackets : struct, IPacketList
    {
        if (!_coalesce || _coalescer.GatherSuperPacket(packets, group, _gather) == 0)
        {
            return false;
        }

        long errors = _tun.Counters.Write.Errors;
        Send();
        if (_tun.Counters.Write.Errors != errors && _tun.Counters.Write.LastError is Errno.EINVAL or Errno.EIO)
        {
            _coalesce = false;
            Logging.Log.Downgrade($"{_tun.Name}: the kernel refused a TCP super-packet ({_tun.Counters.Write.LastError}); writing packets singly from now on");
            return false; // the group's packets are unchanged: written singly by the caller
        }

        SuperPackets++;
        CoalescedSegments += _coalescer.CountOf(group);
        return true;
    }

    private void WriteRange<TPackets>(TPackets packets, int start, int count)
        where TPackets : struct, IPacketList
    {
        for (int i = start; i < start + count; i++)
        {
            _gather.Clear();
            _gather.Add(packets.Packet(i));
            Send();
        }
    }

    /// <summary>One write of the gathered packet; EAGAIN is retried a few times, then the packet is given up.</summary>
    private void Send()
    {
        for (int stalls = 0; stalls < MaxStalls && !_tun.WriteGather(_gather); stalls++)
        {
        }
    }

    public void Dispose() => _gather.Dispose();
}
