using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MptFast.Engine.Interop;

namespace MptFast.Engine.Buffers;

/// <summary>
/// A reusable batch of up to <see cref="MaxPackets"/> packets in <see cref="PacketPool"/> slots, with the native
/// <c>mmsghdr</c>/<c>iovec</c>/<c>sockaddr_in6</c>/control arrays prebuilt so a recvmmsg or sendmmsg allocates nothing.
/// </summary>
/// <remarks>
/// Entry <c>i</c> owns a slot until <see cref="Detach"/> hands it elsewhere (e.g. to the reorder buffer);
/// <see cref="EnsureSlots"/> then rents a replacement. Entries keep their slots between calls, so a steady-state
/// loop neither rents nor returns. Same single-owner threading rule as the pool.
/// </remarks>
public sealed unsafe class PacketBatch : IDisposable
{
    /// <summary>Most packets per batch (sendmmsg/recvmmsg vector length; UDP GSO also caps at 64 segments).</summary>
    public const int MaxPackets = 64;

    /// <summary>Control-message space per packet (room for a UDP_GRO or UDP_SEGMENT cmsg and spare).</summary>
    public const int ControlBytesPerPacket = 64;

    private const int SourceStride = 32; // sizeof(sockaddr_in6) = 28, padded

    private readonly Entry[] _entries;
    private byte* _native;

    /// <summary>Creates a batch of <paramref name="capacity"/> entries over <paramref name="pool"/>; no slots are rented yet.</summary>
    public PacketBatch(PacketPool pool, int capacity = MaxPackets)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxPackets);
        Pool = pool;
        Capacity = capacity;
        _entries = new Entry[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _entries[i].Slot = -1;
        }

        nuint bytes = (nuint)(capacity * (sizeof(MMsgHdr) + sizeof(IoVec) + SourceStride + ControlBytesPerPacket));
        _native = (byte*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(_native, bytes);
        Messages = (MMsgHdr*)_native;
        IoVecs = (IoVec*)(Messages + capacity);
        Sources = IoVecs + capacity;
        Control = (byte*)Sources + (capacity * SourceStride);
        for (int i = 0; i < capacity; i++)
        {
            // Sound: every pointer below lies inside the block allocated above, laid out per capacity.
            ref MsgHdr header = ref Messages[i].Header;
            header.Iov = IoVecs + i;
            header.IovLength = 1;
        }
    }

    ~PacketBatch() => FreeNative();

    /// <summary>The pool the slots come from.</summary>
    public PacketPool Pool { get; }

    /// <summary>Number of entries (≤ <see cref="MaxPackets"/>).</summary>
    public int Capacity { get; }

    /// <summary>Number of valid packets, entries [0, Count). Devices set it on receive; senders set it before sending.</summary>
    public int Count { get; set; }

    internal MMsgHdr* Messages { get; }

    internal IoVec* IoVecs { get; }

    private void* Sources { get; }

    internal byte* Control { get; }

    /// <summary>Slot owned by entry <paramref name="index"/>, or −1.</summary>
    public int SlotOf(int index) => _entries[index].Slot;

    /// <summary>Offset of the packet inside its slot (<see cref="PacketPool.Headroom"/> after a device read).</summary>
    public int OffsetOf(int index) => _entries[index].Offset;

    /// <summary>Packet length in bytes.</summary>
    public int LengthOf(int index) => _entries[index].Length;

    /// <summary>Conditions the device reported for the packet.</summary>
    public PacketFlags FlagsOf(int index) => _entries[index].Flags;

    /// <summary>UDP GRO: size of each datagram glued into this received entry (the last may be shorter); 0 when the
    /// entry is one datagram (PERFORMANCE-NOTES lever 2).</summary>
    public int SegmentSizeOf(int index) => _entries[index].SegmentSize;

    /// <summary>Records the GRO segment size of entry <paramref name="index"/> (in-memory devices, tests).</summary>
    public void SetSegmentSize(int index, int segmentSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(segmentSize);
        _entries[index].SegmentSize = segmentSize;
    }

    /// <summary>The packet bytes: slot[offset, offset + length).</summary>
    public Span<byte> Data(int index)
    {
        ref Entry e = ref _entries[index];
        return Pool.Slot(e.Slot).Slice(e.Offset, e.Length);
    }

    /// <summary>The whole slot of entry <paramref name="index"/>, headroom included (to write headers in front).</summary>
    public Span<byte> SlotSpan(int index) => Pool.Slot(_entries[index].Slot);

    /// <summary>Sets where the packet of entry <paramref name="index"/> lies in its slot (e.g. after stripping a GRE
    /// header: offset += header length; or after prepending one: offset −= header length).</summary>
    public void SetPacket(int index, int offset, int length, PacketFlags flags = PacketFlags.None)
    {
        ref Entry e = ref _entries[index];
        if (e.Slot < 0 || (uint)offset > (uint)Pool.SlotSize || (uint)length > (uint)(Pool.SlotSize - offset))
        {
            ThrowBadRange(offset, length);
        }

        e.Offset = offset;
        e.Length = length;
        e.Flags = flags;
        e.SegmentSize = 0;
    }

    /// <summary>Source address of a received packet in 16-byte form (IPv4 as ::ffff:a.b.c.d, MPT-SPEC §2.6 step 3).</summary>
    public ReadOnlySpan<byte> SourceAddress(int index) => new(SourceAt(index)->Address, 16);

    /// <summary>Source UDP port of a received packet.</summary>
    public ushort SourcePort(int index) => SourceAt(index)->Port;

    /// <summary>Records a source endpoint (in-memory devices, tests).</summary>
    public void SetSource(int index, ReadOnlySpan<byte> address16, ushort port)
    {
        SockAddrIn6* s = SourceAt(index);
        s->Family = Libc.AF_INET6;
        s->Port = port;
        address16[..16].CopyTo(new Span<byte>(s->Address, 16));
    }

    /// <summary>Rents slots for entries [0, <paramref name="count"/>) that have none; returns how many leading entries
    /// hold a slot (less than <paramref name="count"/> only when the pool is exhausted).</summary>
    public int EnsureSlots(int count)
    {
        count = Math.Min(count, Capacity);
        for (int i = 0; i < count; i++)
        {
            if (_entries[i].Slot < 0 && !Pool.TryRent(out _entries[i].Slot))
            {
                return i;
            }
        }

        return count;
    }

    /// <summary>Takes the slot away from entry <paramref name="index"/> (the caller now owns it and returns it to the
    /// pool later); the entry rents a fresh one on the next <see cref="EnsureSlots"/>.</summary>
    public int Detach(int index)
    {
        ref Entry e = ref _entries[index];
        int slot = e.Slot;
        e = new Entry { Slot = -1 };
        return slot;
    }

    /// <summary>Gives entry <paramref name="index"/> a rented slot holding a packet at [offset, offset + length);
    /// an entry's previous slot goes back to the pool.</summary>
    public void Attach(int index, int slot, int offset, int length)
    {
        ref Entry e = ref _entries[index];
        if (e.Slot >= 0 && e.Slot != slot)
        {
            Pool.Return(e.Slot);
        }

        e.Slot = slot;
        SetPacket(index, offset, length);
    }

    /// <summary>Returns every slot to the pool and empties the batch.</summary>
    public void ReturnAll()
    {
        for (int i = 0; i < _entries.Length; i++)
        {
            if (_entries[i].Slot >= 0)
            {
                Pool.Return(_entries[i].Slot);
            }

            _entries[i] = new Entry { Slot = -1 };
        }

        Count = 0;
    }

    /// <summary>Points message <paramref name="index"/> at its slot for a receive of up to <paramref name="capacity"/>
    /// bytes at <paramref name="offset"/>, with its own source-address storage.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void PrepareReceive(int index, int offset, int capacity, bool withControl)
    {
        // Sound: index < Capacity (checked by the _entries access) and the slot pointer is range-checked by the pool.
        ref Entry e = ref _entries[index];
        IoVec* iov = IoVecs + index;
        iov->Base = Pool.Pointer(e.Slot) + offset;
        iov->Length = (nuint)capacity;
        ref MsgHdr h = ref Messages[index].Header;
        h.Name = SourceAt(index);
        h.NameLength = SockAddrIn6.Size;
        h.Control = withControl ? Control + (index * ControlBytesPerPacket) : null;
        h.ControlLength = withControl ? (nuint)ControlBytesPerPacket : 0;
        h.Flags = 0;
        e.Offset = offset;
    }

    /// <summary>Points message <paramref name="index"/> at its packet bytes, addressed to <paramref name="peer"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void PrepareSend(int index, void* peer, uint peerLength)
    {
        // Sound: as PrepareReceive; the packet range was validated by SetPacket/Attach.
        ref Entry e = ref _entries[index];
        IoVec* iov = IoVecs + index;
        iov->Base = Pool.Pointer(e.Slot) + e.Offset;
        iov->Length = (nuint)e.Length;
        ref MsgHdr h = ref Messages[index].Header;
        h.Name = peer;
        h.NameLength = peerLength;
        h.Control = null;
        h.ControlLength = 0;
        h.Flags = 0;
    }

    /// <summary>
    /// Points message <paramref name="message"/> at entries [<paramref name="first"/>, first + <paramref name="count"/>)
    /// as ONE UDP GSO datagram train (PERFORMANCE-NOTES lever 1): one iovec per entry (the prebuilt iovecs are
    /// contiguous), addressed to <paramref name="peer"/>, with a UDP_SEGMENT control message carrying
    /// <paramref name="segmentSize"/>. <paramref name="message"/> ≤ <paramref name="first"/>, so messages of earlier
    /// trains never overwrite iovecs of later ones. Undo with <see cref="RestoreMessage"/> after the send.
    /// </summary>
    internal void PrepareGso(int message, int first, int count, ushort segmentSize, void* peer, uint peerLength)
    {
        if ((uint)message > (uint)first || (uint)first >= (uint)Capacity || (uint)count > (uint)(Capacity - first))
        {
            ThrowBadRange(first, count);
        }

        for (int i = first; i < first + count; i++)
        {
            // Sound: i < Capacity (checked above); the packet range was validated by SetPacket/Attach.
            ref Entry e = ref _entries[i];
            IoVec* iov = IoVecs + i;
            iov->Base = Pool.Pointer(e.Slot) + e.Offset;
            iov->Length = (nuint)e.Length;
        }

        // Sound: message < Capacity; its control area holds ControlBytesPerPacket (64) ≥ CMSG_SPACE(2) = 24 bytes.
        byte* control = Control + (message * ControlBytesPerPacket);
        CMsgHdr* cmsg = (CMsgHdr*)control;
        cmsg->Length = (nuint)CMsgHdr.Len(sizeof(ushort));
        cmsg->Level = Libc.SOL_UDP;
        cmsg->Type = Libc.UDP_SEGMENT;
        *(ushort*)(control + CMsgHdr.Len(0)) = segmentSize; // host byte order, as setsockopt would take it
        ref MsgHdr h = ref Messages[message].Header;
        h.Iov = IoVecs + first;
        h.IovLength = (nuint)count;
        h.Name = peer;
        h.NameLength = peerLength;
        h.Control = control;
        h.ControlLength = (nuint)CMsgHdr.Space(sizeof(ushort));
        h.Flags = 0;
    }

    /// <summary>Gives message <paramref name="message"/> back its own single iovec and no control data.</summary>
    internal void RestoreMessage(int message)
    {
        // Sound: the _entries access bounds message by Capacity before the pointer arithmetic.
        _ = _entries[message];
        ref MsgHdr h = ref Messages[message].Header;
        h.Iov = IoVecs + message;
        h.IovLength = 1;
        h.Control = null;
        h.ControlLength = 0;
    }

    /// <summary>Records the kernel's result for a received message.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void CompleteReceive(int index, int length, PacketFlags flags, int segmentSize = 0)
    {
        ref Entry e = ref _entries[index];
        e.Length = length;
        e.Flags = flags;
        e.SegmentSize = segmentSize;
    }

    internal SockAddrIn6* SourceAt(int index)
    {
        if ((uint)index >= (uint)Capacity)
        {
            ThrowBadRange(index, 0);
        }

        // Sound: index < Capacity, and the source area holds Capacity strides.
        return (SockAddrIn6*)((byte*)Sources + (index * SourceStride));
    }

    /// <summary>Returns the slots and frees the native arrays.</summary>
    public void Dispose()
    {
        ReturnAll();
        FreeNative();
        GC.SuppressFinalize(this);
    }

    private void FreeNative()
    {
        if (_native != null)
        {
            NativeMemory.AlignedFree(_native);
            _native = null;
        }
    }

    [DoesNotReturn]
    private static void ThrowBadRange(int offset, int length) =>
        throw new ArgumentOutOfRangeException(nameof(offset), $"packet range {offset}+{length} outside the slot (or entry has no slot)");

    private struct Entry
    {
        public int Slot;
        public int Offset;
        public int Length;
        public PacketFlags Flags;
        public int SegmentSize;
    }
}
