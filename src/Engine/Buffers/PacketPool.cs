using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace MptFast.Engine.Buffers;

/// <summary>
/// A pinned slab of fixed-size packet slots, rented and returned by index. One native allocation
/// (<see cref="NativeMemory.AlignedAlloc"/>, 64-byte aligned), so slot addresses can be written into prebuilt iovecs
/// once and never move.
/// </summary>
/// <remarks>
/// Single owner: rent and return from one thread (each datapath direction owns its pool — PERFORMANCE-NOTES
/// "Two cores"), so the free stack needs no locks or atomics. Packets enter a slot at <see cref="Headroom"/> so
/// headers (virtio_net_hdr, GRE) are written in front of them without copying (STYLE.md, wireguard-go offset).
/// </remarks>
public sealed unsafe class PacketPool : IDisposable
{
    /// <summary>Bytes reserved in front of every packet: virtio_net_hdr (10–12) + GRE (≤ 16) + spare; a cache line.</summary>
    public const int Headroom = 64;

    /// <summary>Alignment of the slab and of every slot.</summary>
    public const int Alignment = 64;

    /// <summary>Slot size for plain MTU-size packets (MPT-SPEC §2.8: the original read 2048 bytes from the TUN).</summary>
    public const int DefaultSlotSize = 2048;

    private readonly int[] _free;
    private readonly bool[] _rented;
    private byte* _slab;
    private void* _allocation;
    private int _freeCount;

    /// <summary>Allocates <paramref name="slotCount"/> slots of <paramref name="slotSize"/> bytes (rounded up to
    /// <see cref="Alignment"/>).</summary>
    public PacketPool(int slotCount, int slotSize = DefaultSlotSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slotCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, Headroom + 64);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slotSize, 1 << 20);
        SlotSize = (slotSize + Alignment - 1) & ~(Alignment - 1);
        SlotCount = slotCount;
        nuint bytes = (nuint)SlotSize * (nuint)slotCount;
        // Zeroed (no stale heap bytes can reach the wire through headroom) by calloc, which for a slab this size maps fresh
        // zero pages instead of writing them: a slot costs resident memory only once it is used (issue 15: a server
        // sized for many connections' reorder windows is not charged for windows nobody fills).
        _allocation = NativeMemory.AllocZeroed(bytes + Alignment);
        _slab = (byte*)(((nuint)_allocation + Alignment - 1) & ~(nuint)(Alignment - 1));
        _free = new int[slotCount];
        _rented = new bool[slotCount];
        for (int i = 0; i < slotCount; i++)
        {
            _free[i] = slotCount - 1 - i; // slot 0 is rented first
        }

        _freeCount = slotCount;
    }

    ~PacketPool() => Free();

    /// <summary>Size of every slot in bytes (a multiple of <see cref="Alignment"/>).</summary>
    public int SlotSize { get; }

    /// <summary>Number of slots in the slab.</summary>
    public int SlotCount { get; }

    /// <summary>Slots currently free.</summary>
    public int Available => _freeCount;

    /// <summary>Largest packet that fits behind the headroom: <see cref="SlotSize"/> − <see cref="Headroom"/>.</summary>
    public int PacketCapacity => SlotSize - Headroom;

    /// <summary>Takes a free slot; false when the pool is exhausted (a drop for the caller, never an exception).</summary>
    public bool TryRent(out int slot)
    {
        if (_freeCount == 0)
        {
            slot = -1;
            return false;
        }

        slot = _free[--_freeCount];
        _rented[slot] = true;
        return true;
    }

    /// <summary>Gives a rented slot back. Returning a slot twice is a programming error and throws.</summary>
    public void Return(int slot)
    {
        if ((uint)slot >= (uint)SlotCount || !_rented[slot])
        {
            ThrowBadReturn(slot);
        }

        _rented[slot] = false;
        _free[_freeCount++] = slot;
    }

    /// <summary>True while <paramref name="slot"/> is rented.</summary>
    public bool IsRented(int slot) => (uint)slot < (uint)SlotCount && _rented[slot];

    /// <summary>The whole slot, headroom included.</summary>
    public Span<byte> Slot(int slot)
    {
        // Sound: Pointer checks the index against SlotCount and the slab holds SlotCount × SlotSize bytes.
        return new Span<byte>(Pointer(slot), SlotSize);
    }

    /// <summary>Address of the start of the slot (64-byte aligned); valid until the pool is disposed.</summary>
    public byte* Pointer(int slot)
    {
        if ((uint)slot >= (uint)SlotCount)
        {
            ThrowBadSlot(slot);
        }

        ObjectDisposedException.ThrowIf(_slab == null, this);
        return _slab + ((nint)slot * SlotSize);
    }

    /// <summary>Frees the slab. Spans and pointers handed out before become invalid.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (_slab != null)
        {
            NativeMemory.Free(_allocation);
            _slab = null;
            _allocation = null;
        }
    }

    [DoesNotReturn]
    private static void ThrowBadSlot(int slot) => throw new ArgumentOutOfRangeException(nameof(slot), slot, "not a slot of this pool");

    [DoesNotReturn]
    private static void ThrowBadReturn(int slot) => throw new InvalidOperationException($"slot {slot} returned but not rented");
}
