using System.Collections.Concurrent;
using System.Net;
using MptFast.Engine.Buffers;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Interop;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Datapath.Memory;

/// <summary>
/// An in-memory <see cref="IPathSocket"/> for testing the pump loops without root or a network: sockets made by
/// <see cref="CreatePair"/> deliver to each other through queues. <see cref="Fd"/> is an eventfd that is readable
/// while datagrams are queued, so a <see cref="PollSet"/> works unchanged. Allocates per datagram (test use).
/// </summary>
public sealed class MemoryPathSocket : IPathSocket
{
    private readonly ConcurrentQueue<Datagram> _inbox = new();
    private readonly WakeEvent _ready = new();
    private MemoryPathSocket? _peer;

    /// <summary>Creates an unpaired socket; datagrams arrive only through <see cref="Inject"/>.</summary>
    public MemoryPathSocket(IPEndPoint local, IPEndPoint remote)
    {
        LocalEndPoint = local;
        RemoteEndPoint = remote;
    }

    /// <inheritdoc/>
    public int Fd => _ready.Fd;

    /// <summary>This end's address and port.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The peer's address and port.</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <inheritdoc/>
    public ushort LocalPort => (ushort)LocalEndPoint.Port;

    /// <inheritdoc/>
    public UdpOffloadCapabilities Capabilities { get; init; } = new(1, groSupported: false);

    /// <inheritdoc/>
    public PathSocketCounters Counters { get; } = new();

    /// <summary>The source the peer sees on this socket's datagrams; null = <see cref="LocalEndPoint"/>. Set it to
    /// test the per-path sender check (MPT-SPEC §2.6 step 3).</summary>
    public IPEndPoint? SourceOverride { get; set; }

    /// <summary>Most datagrams the inbox holds; senders beyond it see EAGAIN (a full socket buffer).</summary>
    public int InboxLimit { get; set; } = int.MaxValue;

    /// <summary>Datagrams waiting to be received.</summary>
    public int Pending => _inbox.Count;

    /// <summary>Two connected sockets: what one sends, the other receives, with the sender's endpoint as source.</summary>
    public static (MemoryPathSocket A, MemoryPathSocket B) CreatePair(IPEndPoint a, IPEndPoint b)
    {
        var first = new MemoryPathSocket(a, b);
        var second = new MemoryPathSocket(b, a);
        first._peer = second;
        second._peer = first;
        return (first, second);
    }

    /// <summary>Queues a datagram as if it arrived from <paramref name="source"/>:<paramref name="sourcePort"/>.</summary>
    public bool Inject(ReadOnlySpan<byte> datagram, IPAddress source, ushort sourcePort)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (_inbox.Count >= InboxLimit)
        {
            return false;
        }

        byte[] address = source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? source.MapToIPv6().GetAddressBytes()
            : source.GetAddressBytes();
        _inbox.Enqueue(new Datagram(datagram.ToArray(), address, sourcePort));
        _ready.Signal();
        return true;
    }

    /// <inheritdoc/>
    public int ReceiveBatch(PacketBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        _ready.Reset(); // reset before draining: a datagram queued after this re-signals
        int count = 0;
        while (count < batch.Capacity && !_inbox.IsEmpty)
        {
            if (batch.EnsureSlots(count + 1) <= count)
            {
                Counters.Receive.PoolExhausted++;
                break;
            }

            if (!_inbox.TryDequeue(out Datagram d))
            {
                break;
            }

            int capacity = batch.Pool.PacketCapacity;
            int length = Math.Min(d.Data.Length, capacity);
            var flags = PacketFlags.None;
            if (d.Data.Length > capacity)
            {
                flags = PacketFlags.Truncated;
                Counters.Receive.Truncated++;
            }

            d.Data.AsSpan(0, length).CopyTo(batch.SlotSpan(count)[PacketPool.Headroom..]);
            batch.SetPacket(count, PacketPool.Headroom, length, flags);
            batch.SetSource(count, d.Source, d.SourcePort);
            Counters.Receive.Bytes += length;
            count++;
        }

        if (!_inbox.IsEmpty)
        {
            _ready.Signal(); // batch full: stay readable
        }

        Counters.Receive.Datagrams += count;
        batch.Count = count;
        return count;
    }

    /// <inheritdoc/>
    public int SendBatch(PacketBatch batch, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)start + (uint)count, (uint)batch.Capacity, nameof(count));
        for (int i = start; i < start + count; i++)
        {
            ReadOnlySpan<byte> datagram = batch.Data(i);
            switch (Send(datagram))
            {
                case PathSendResult.WouldBlock:
                    Counters.Send.WouldBlock++;
                    return i - start;
                case PathSendResult.Refused:
                    Counters.Send.Refused++; // nobody listening
                    break;
                default:
                    Counters.Send.Datagrams++;
                    Counters.Send.Bytes += datagram.Length;
                    break;
            }
        }

        return count;
    }

    /// <inheritdoc/>
    /// <remarks>Checks the GSO contract (equal segments, a shorter last one) and delivers the segments one by one,
    /// as the peer's kernel would see them.</remarks>
    public int SendGso(PacketBatch batch, int start, int count, int segmentSize)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)start + (uint)count, (uint)batch.Capacity, nameof(count));
        for (int i = start; i < start + count; i++)
        {
            int length = batch.LengthOf(i);
            if (length > segmentSize || (i < start + count - 1 && length != segmentSize))
            {
                throw new ArgumentException($"GSO segment {i - start} is {length} bytes, segment size {segmentSize}", nameof(batch));
            }
        }

        if (count > 1 && Capabilities.GsoSupported)
        {
            Counters.Send.GsoSends++;
        }

        return SendBatch(batch, start, count);
    }

    /// <inheritdoc/>
    public PathSendResult Send(ReadOnlySpan<byte> datagram)
    {
        IPEndPoint source = SourceOverride ?? LocalEndPoint;
        if (_peer is null)
        {
            return PathSendResult.Refused; // nobody listening
        }

        return _peer.Inject(datagram, source.Address, (ushort)source.Port) ? PathSendResult.Sent : PathSendResult.WouldBlock;
    }

    /// <summary>Unpairs and closes the eventfd.</summary>
    public void Dispose()
    {
        if (_peer is not null)
        {
            _peer._peer = null;
            _peer = null;
        }

        _ready.Dispose();
    }

    private readonly record struct Datagram(byte[] Data, byte[] Source, ushort SourcePort);
}
