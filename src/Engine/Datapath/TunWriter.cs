using MptFast.Engine.Buffers;
using MptFast.Engine.Interop;
using MptFast.Engine.Offload;

namespace MptFast.Engine.Datapath;

/// <summary>
/// The receive thread's way out to the TUN: a batch of layer-3 packets written one write() each, or — with TCP
/// coalescing on — planned by <see cref="TcpCoalescer"/> so runs of in-order TCP segments go out as one GSO
/// super-packet behind a virtio_net_hdr (PERFORMANCE-NOTES lever 3). When the kernel refuses a super-packet with
/// EINVAL/EIO, coalescing is turned off for good with one log line (STYLE.md "OS capabilities as state"); the packets
/// of that group are then written singly. Allocates nothing per packet.
/// </summary>
internal sealed class TunWriter : IDisposable
{
    private const int MaxStalls = 3;

    private readonly ITunDevice _tun;
    private readonly TcpCoalescer _coalescer;
    private readonly PacketPool? _superPool;
    private readonly PacketBatch? _super;
    private bool _coalesce;

    public TunWriter(ITunDevice tun, bool coalesce)
    {
        _tun = tun;
        _coalescer = new TcpCoalescer(PacketBatch.MaxPackets);
        _coalesce = coalesce;
        if (coalesce)
        {
            _superPool = new PacketPool(1, PacketPool.Headroom + TcpCoalescer.MaxSuperPacketLength + 64);
            _super = new PacketBatch(_superPool, 1);
            _super.EnsureSlots(1);
        }
    }

    /// <summary>Coalescing is on (it goes off after the kernel refused a super-packet).</summary>
    public bool Coalescing => _coalesce;

    /// <summary>Super-packets written.</summary>
    public long SuperPackets { get; private set; }

    /// <summary>Segments that went out inside super-packets.</summary>
    public long CoalescedSegments { get; private set; }

    /// <summary>Writes entries [0, count) of <paramref name="batch"/>; the caller returns the slots afterwards.</summary>
    public void Write(PacketBatch batch, int count)
    {
        if (!_coalesce || count < 2)
        {
            WriteRange(batch, 0, count);
            return;
        }

        int groups = _coalescer.Plan(batch, count);
        if (groups == count)
        {
            WriteRange(batch, 0, count);
            return;
        }

        int runStart = 0;
        int runLength = 0;
        for (int g = 0; g < groups; g++)
        {
            int head = _coalescer.HeadOf(g);
            if (_coalescer.CountOf(g) == 1)
            {
                if (runLength > 0 && runStart + runLength == head)
                {
                    runLength++;
                    continue;
                }

                WriteRange(batch, runStart, runLength);
                runStart = head;
                runLength = 1;
                continue;
            }

            WriteRange(batch, runStart, runLength);
            runLength = 0;
            if (!WriteSuper(batch, g))
            {
                for (int e = head; e >= 0; e = _coalescer.NextMemberOf(e))
                {
                    WriteRange(batch, e, 1);
                }
            }
        }

        WriteRange(batch, runStart, runLength);
    }

    private bool WriteSuper(PacketBatch batch, int group)
    {
        if (!_coalesce)
        {
            return false;
        }

        PacketBatch super = _super!;
        int packetOffset = PacketPool.Headroom;
        Span<byte> destination = super.SlotSpan(0)[(packetOffset - TcpCoalescer.VirtioHeaderSize)..];
        int length = _coalescer.WriteSuperPacket(batch, group, destination);
        if (length == 0)
        {
            return false;
        }

        super.SetPacket(0, packetOffset, length, PacketFlags.VirtioHeader);
        long errors = _tun.Counters.WriteErrors;
        WriteRange(super, 0, 1);
        if (_tun.Counters.WriteErrors != errors && _tun.Counters.LastError is Errno.EINVAL or Errno.EIO)
        {
            _coalesce = false;
            Logging.Log.Warn($"{_tun.Name}: the kernel refused a TCP super-packet ({_tun.Counters.LastError}); writing packets singly from now on");
            return false; // the group's packets are still in the batch: written singly by the caller
        }

        SuperPackets++;
        CoalescedSegments += _coalescer.CountOf(group);
        return true;
    }

    private void WriteRange(PacketBatch batch, int start, int count)
    {
        int done = 0;
        int stalls = 0;
        while (done < count && stalls < MaxStalls)
        {
            int written = _tun.WriteBatch(batch, start + done, count - done);
            done += written;
            stalls = written == 0 ? stalls + 1 : 0;
        }
    }

    public void Dispose()
    {
        _super?.Dispose();
        _superPool?.Dispose();
    }
}
