using System.Net;
using MptFast.Engine.Buffers;
using MptFast.Engine.Datapath;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Interop;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Tests.Datapath;

/// <summary>A TUN that hands out the same prebuilt packet over and over, and counts writes — allocation-free, so an
/// allocation measurement of a pump sees only the pump.</summary>
internal sealed class ReplayTun : ITunDevice
{
    private readonly WakeEvent _ready = new();
    private readonly byte[][] _packets;
    private long _read;

    /// <summary>Hands out <paramref name="packets"/> in turn, forever.</summary>
    public ReplayTun(params byte[][] packets)
    {
        _packets = packets;
        _ready.Signal();
    }

    public int PerRead { get; set; } = PacketBatch.MaxPackets;

    /// <summary>When set, every packet is handed out behind this virtio_net_hdr (an offloading TUN).</summary>
    public byte[]? VirtioHeader { get; set; }

    public long Written;
    public long WrittenBytes;

    public int Fd => _ready.Fd;

    public string Name => "replay0";

    public TunCounters Counters { get; } = new();

    public int ReadBatch(PacketBatch batch, int limit = int.MaxValue)
    {
        int n = Math.Min(Math.Min(PerRead, limit), batch.EnsureSlots(batch.Capacity));
        for (int i = 0; i < n; i++)
        {
            byte[] packet = _packets[_read++ % _packets.Length];
            packet.CopyTo(batch.SlotSpan(i)[PacketPool.Headroom..]);
            if (VirtioHeader is { } header)
            {
                header.CopyTo(batch.SlotSpan(i)[(PacketPool.Headroom - header.Length)..]);
            }

            batch.SetPacket(i, PacketPool.Headroom, packet.Length, VirtioHeader is null ? PacketFlags.None : PacketFlags.VirtioHeader);
        }

        batch.Count = n;
        return n;
    }

    public int WriteBatch(PacketBatch batch, int start, int count)
    {
        for (int i = start; i < start + count; i++)
        {
            Written++;
            WrittenBytes += batch.LengthOf(i);
        }

        return count;
    }

    public bool WriteGather(PacketGather packet)
    {
        Written++;
        WrittenBytes += packet.Length;
        return true;
    }

    public void Dispose() => _ready.Dispose();
}

/// <summary>A path socket that counts what is sent (keeping the last datagram) and, when asked, receives prebuilt datagrams
/// from a fixed source — allocation-free.</summary>
internal sealed class ReplaySocket : IPathSocket
{
    private readonly WakeEvent _ready = new();
    private readonly byte[] _source16;
    private byte[][] _datagrams = [];
    private int _next;

    public ReplaySocket(IPAddress source)
    {
        _source16 = source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? source.MapToIPv6().GetAddressBytes() : source.GetAddressBytes();
    }

    public long Sent;
    public long SentBytes;
    public long GsoSends;
    public long GsoViolations;
    public int LongestTrain;
    public byte[] LastSent = new byte[2048];
    public int LastSentLength;

    /// <summary>When set, a copy of every datagram sent (allocates: not for allocation measurements).</summary>
    public List<byte[]>? Captured { get; set; }

    public int Fd => _ready.Fd;

    public ushort LocalPort => 23456;

    public UdpOffloadCapabilities Capabilities { get; init; } = new(1, groSupported: false);

    public PathSocketCounters Counters { get; } = new();

    /// <summary>Datagrams handed out round-robin, <see cref="PerReceive"/> per call.</summary>
    public void Feed(byte[][] datagrams)
    {
        _datagrams = datagrams;
        _ready.Signal();
    }

    public int PerReceive { get; set; } = PacketBatch.MaxPackets;

    /// <summary>The source port every received datagram shows.</summary>
    public ushort SourcePort { get; set; } = 23456;

    public int ReceiveBatch(PacketBatch batch)
    {
        if (_datagrams.Length == 0)
        {
            batch.Count = 0;
            return 0;
        }

        int n = Math.Min(PerReceive, batch.EnsureSlots(batch.Capacity));
        for (int i = 0; i < n; i++)
        {
            byte[] d = _datagrams[_next];
            _next = (_next + 1) % _datagrams.Length;
            d.CopyTo(batch.SlotSpan(i)[PacketPool.Headroom..]);
            batch.SetPacket(i, PacketPool.Headroom, d.Length);
            batch.SetSource(i, _source16, SourcePort);
        }

        batch.Count = n;
        return n;
    }

    /// <summary>Datagrams accepted before the socket answers "buffer full" (0 consumed) for good.</summary>
    public long AcceptLimit { get; set; } = long.MaxValue;

    public int SendBatch(PacketBatch batch, int start, int count)
    {
        for (int i = start; i < start + count; i++)
        {
            if (Sent >= AcceptLimit)
            {
                return i - start;
            }

            Span<byte> d = batch.Data(i);
            d.CopyTo(LastSent);
            LastSentLength = d.Length;
            Sent++;
            SentBytes += d.Length;
            Captured?.Add(d.ToArray());
        }

        return count;
    }

    /// <summary>Counts the train and checks its contract (equal segments, a shorter last, ≤ 64, ≤ 64 KiB) without
    /// throwing, so a violation shows as <see cref="GsoViolations"/>.</summary>
    public int SendGso(PacketBatch batch, int start, int count, int segmentSize)
    {
        int bytes = 0;
        for (int i = start; i < start + count; i++)
        {
            int length = batch.LengthOf(i);
            bytes += length;
            if (length > segmentSize || (i < start + count - 1 && length != segmentSize))
            {
                GsoViolations++;
            }
        }

        if (count < 2 || count > Capabilities.GsoSegments || bytes > 65507)
        {
            GsoViolations++;
        }

        GsoSends++;
        LongestTrain = Math.Max(LongestTrain, count);
        return SendBatch(batch, start, count);
    }

    public PathSendResult Send(ReadOnlySpan<byte> datagram)
    {
        Sent++;
        return PathSendResult.Sent;
    }

    public void Dispose() => _ready.Dispose();
}
