using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MptFast.Engine.Buffers;

/// <summary>
/// A reusable batch of up to <see cref="MaxPackets"/> packets in <see cref="PacketPool"/> slots: per entry the slot, where
/// the packet lies in it, what the device reported (flags, GRO segment size) and the source endpoint. Plain memory: the
/// platform's message vectors (Linux <c>mmsghdr</c>/<c>iovec</c>) belong to the device code that fills and reads
/// them (<c>Datapath/Linux/MessageVector</c>).
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

    private readonly Entry[] _entries;

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
    }

    /// <summary>The pool the slots come from.</summary>
    public PacketPool Pool { get; }

    /// <summary>Number of entries (≤ <see cref="MaxPackets"/>).</summary>
    public int Capacity { get; }

    /// <summary>Number of valid packets, entries [0, Count). Devices set it on receive; senders set it before sending.</summary>
    public int Count { get; set; }

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
    public ReadOnlySpan<byte> SourceAddress(int index) => MemoryMarshal.CreateReadOnlySpan(ref _entries[index].Source[0], 16);

    /// <summary>Source UDP port of a received packet.</summary>
    public ushort SourcePort(int index) => _entries[index].SourcePort;

    /// <summary>Records the source endpoint of entry <paramref name="index"/> (devices on receive, tests).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetSource(int index, ReadOnlySpan<byte> address16, ushort port)
    {
        ref Entry e = ref _entries[index];
        address16[..16].CopyTo(e.Source);
        e.SourcePort = port;
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

    /// <summary>Where entry <paramref name="index"/>'s packet starts in native memory (device code hands it to the
    /// kernel; the slot stays put while the entry owns it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte* PacketPointer(int index)
    {
        ref Entry e = ref _entries[index];
        return Pool.Pointer(e.Slot) + e.Offset;
    }

    /// <summary>Records what a device received into entry <paramref name="index"/>: the packet at
    /// [<paramref name="offset"/>, offset + <paramref name="length"/>) of its slot, flags and GRO segment size.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void CompleteReceive(int index, int offset, int length, PacketFlags flags, int segmentSize = 0)
    {
        ref Entry e = ref _entries[index];
        e.Offset = offset;
        e.Length = length;
        e.Flags = flags;
        e.SegmentSize = segmentSize;
    }

    /// <summary>Returns the slots.</summary>
    public void Dispose() => ReturnAll();

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
        public ushort SourcePort;
        public Address16Bytes Source;
    }

    /// <summary>A source address in its 16-byte form, inline in the entry.</summary>
    [InlineArray(16)]
    private struct Address16Bytes
    {
        private byte _element;
    }
}
