using System.Net;
using MptFast.Engine.Buffers;
using MptFast.Engine.Datapath;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Interop;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Tests.Datapath;

/// <summary>A path socket that hands out scripted messages — each optionally glued GRO-style with a segment size —
/// once, or round-robin forever (<see cref="Loop"/>); allocation-free after setup.</summary>
internal sealed class ScriptedSocket : IPathSocket
{
    private readonly WakeEvent _ready = new();
    private readonly byte[] _source16;
    private (byte[] Data, int SegmentSize)[] _messages = [];
    private int _next;

    public ScriptedSocket(IPAddress source, bool gro)
    {
        _source16 = source.MapToIPv6().GetAddressBytes();
        Capabilities = new UdpOffloadCapabilities(1, gro);
    }

    public bool Loop { get; set; }

    public int PerReceive { get; set; } = PacketBatch.MaxPackets;

    public int Fd => _ready.Fd;

    public ushort LocalPort => 23456;

    public UdpOffloadCapabilities Capabilities { get; }

    public PathSocketCounters Counters { get; } = new();

    public void Script(params (byte[] Data, int SegmentSize)[] messages)
    {
        _messages = messages;
        _next = 0;
        _ready.Signal();
    }

    public int ReceiveBatch(PacketBatch batch)
    {
        int n = 0;
        int ready = batch.EnsureSlots(batch.Capacity);
        while (n < Math.Min(PerReceive, ready) && (Loop ? _messages.Length > 0 : _next < _messages.Length))
        {
            (byte[] data, int segment) = _messages[_next];
            _next = Loop ? (_next + 1) % _messages.Length : _next + 1;
            int length = Math.Min(data.Length, batch.Pool.PacketCapacity);
            data.AsSpan(0, length).CopyTo(batch.SlotSpan(n)[PacketPool.Headroom..]);
            batch.SetPacket(n, PacketPool.Headroom, length, data.Length > length ? PacketFlags.Truncated : PacketFlags.None);
            batch.SetSegmentSize(n, segment);
            batch.SetSource(n, _source16, 23456);
            n++;
        }

        batch.Count = n;
        return n;
    }

    public int SendBatch(PacketBatch batch, int start, int count) => count;

    public int SendGso(PacketBatch batch, int start, int count, int segmentSize) => count;

    public PathSendResult Send(ReadOnlySpan<byte> datagram) => PathSendResult.Sent;

    public void Dispose() => _ready.Dispose();
}

/// <summary>A TUN that records what the receive pump writes: plain packets and virtio-header super-packets (header
/// and bytes kept in preallocated buffers, or all of them when <see cref="Keep"/>), and can refuse super-packets with
/// EINVAL as an old kernel would.</summary>
internal sealed class RecordingTun : ITunDevice
{
    private readonly WakeEvent _ready = new();

    public long Plain;
    public long Super;
    public long Bytes;
    public byte[] LastHeader = new byte[10];
    public byte[] LastPacket = new byte[70000];
    public int LastLength;
    public long Gathers;
    public int MaxRanges;

    public bool RefuseSuper { get; set; }

    public bool Keep { get; set; }

    /// <summary>With <see cref="Keep"/>: every write as (virtio header or null, packet).</summary>
    public List<(byte[]? Header, byte[] Packet)> Writes { get; } = [];

    public int Fd => _ready.Fd;

    public string Name => "rec0";

    public TunCounters Counters { get; } = new();

    public int ReadBatch(PacketBatch batch, int limit = int.MaxValue)
    {
        batch.Count = 0;
        return 0;
    }

    public int WriteBatch(PacketBatch batch, int start, int count)
    {
        for (int i = start; i < start + count; i++)
        {
            Span<byte> data = batch.Data(i);
            bool super = (batch.FlagsOf(i) & PacketFlags.VirtioHeader) != 0;
            if (super && RefuseSuper)
            {
                Counters.Write.Errors++;
                Counters.Write.LastError = Errno.EINVAL;
                continue;
            }

            if (super)
            {
                Super++;
                batch.SlotSpan(i).Slice(batch.OffsetOf(i) - 10, 10).CopyTo(LastHeader);
            }
            else
            {
                Plain++;
            }

            data.CopyTo(LastPacket);
            LastLength = data.Length;
            Bytes += data.Length;
            if (Keep)
            {
                Writes.Add((super ? (byte[])LastHeader.Clone() : null, data.ToArray()));
            }
        }

        return count;
    }

    /// <summary>Records a gathered packet as <see cref="WriteBatch"/> records one (the ranges copied together into the
    /// preallocated buffers, so recording allocates nothing unless <see cref="Keep"/>).</summary>
    public bool WriteGather(PacketGather packet)
    {
        bool super = packet.HasVirtioHeader;
        if (super && RefuseSuper)
        {
            Counters.Write.Errors++;
            Counters.Write.LastError = Errno.EINVAL;
            return true;
        }

        if (super)
        {
            Super++;
            packet.Header.CopyTo(LastHeader);
        }
        else
        {
            Plain++;
        }

        Gathers++;
        MaxRanges = Math.Max(MaxRanges, packet.Count);
        LastLength = packet.CopyTo(LastPacket);
        Bytes += LastLength;
        if (Keep)
        {
            Writes.Add((super ? (byte[])LastHeader.Clone() : null, LastPacket.AsSpan(0, LastLength).ToArray()));
        }

        return true;
    }

    public void Dispose() => _ready.Dispose();
}
