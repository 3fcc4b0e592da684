using System.Diagnostics.CodeAnalysis;

namespace MptFast.Engine.Buffers;

/// <summary>
/// Where the receive thread's packets live between the socket and the TUN, named by an int handle (what the arrival
/// merger, the reorder buffer and the TUN queue pass around). A handle is either a datagram slot the packet was
/// received (or copied) into, or a VIEW into a slot of the message pool: a datagram cut from a UDP GRO message in
/// place (PERFORMANCE-NOTES lever 2 without the split copy). Message slots are reference-counted: a slot goes back
/// to its pool when the receive batch has let go of it and the last datagram cut from it was written or dropped, so
/// the reorder buffer may hold any of them for as long as it likes.
/// </summary>
/// <remarks>
/// Handles are descriptors: [0, datagram slots + <c>maxViews</c>) and never run out, since every live handle owns a
/// distinct datagram slot or is one of at most <c>maxViews</c> views. A view's bytes may be moved into a datagram slot
/// (<see cref="MigrateViews"/>) without the holders of the handle noticing — the way out when held datagrams pin too
/// many message slots. Preallocated; no allocation per packet. One owner thread, as the pools.
/// </remarks>
public sealed unsafe class PacketStore
{
    private readonly PacketPool _datagrams;
    private readonly PacketPool? _messages;
    private readonly int _maxViews;
    private readonly int[] _free;
    private readonly nint[] _address;
    private readonly int[] _length;
    private readonly int[] _slot;
    private readonly bool[] _live;
    private readonly bool[] _isView;
    private readonly int[] _references;
    private int _freeCount;

    /// <summary>A store over <paramref name="datagrams"/> and, for GRO, <paramref name="messages"/> whose slots may be
    /// shared by up to <paramref name="maxViews"/> live views.</summary>
    public PacketStore(PacketPool datagrams, PacketPool? messages, int maxViews)
    {
        ArgumentNullException.ThrowIfNull(datagrams);
        ArgumentOutOfRangeException.ThrowIfNegative(maxViews);
        _datagrams = datagrams;
        _messages = messages;
        _maxViews = messages is null ? 0 : maxViews;
        int handles = datagrams.SlotCount + _maxViews;
        _free = new int[handles];
        _address = new nint[handles];
        _length = new int[handles];
        _slot = new int[handles];
        _live = new bool[handles];
        _isView = new bool[handles];
        _references = new int[messages?.SlotCount ?? 0];
        for (int i = 0; i < handles; i++)
        {
            _free[i] = handles - 1 - i;
        }

        _freeCount = handles;
    }

    /// <summary>Number of distinct handles.</summary>
    public int HandleCount => _free.Length;

    /// <summary>Live handles.</summary>
    public int Live => _free.Length - _freeCount;

    /// <summary>Live views into message slots.</summary>
    public int Views { get; private set; }

    /// <summary>Message slots the receive batch let go of that views still keep from their pool.</summary>
    public int PinnedMessages { get; private set; }

    /// <summary>Views whose bytes were copied into a datagram slot (no view handle left, or <see cref="MigrateViews"/>).</summary>
    public long CopiedViews { get; private set; }

    /// <summary>The packet bytes of <paramref name="handle"/>.</summary>
    public Span<byte> Data(int handle)
    {
        // Sound: the address and length were taken from a rented slot of a live pool when the handle was made.
        return _live[handle] ? new Span<byte>((byte*)_address[handle], _length[handle]) : ThrowNotLive(handle);
    }

    /// <summary>True when <paramref name="handle"/> is a view into a message slot.</summary>
    public bool IsView(int handle) => _isView[handle];

    /// <summary>Takes over a rented datagram slot holding a packet at [offset, offset + length); the handle returns the
    /// slot to its pool on <see cref="Release"/>.</summary>
    public int Adopt(int slot, int offset, int length)
    {
        if ((uint)offset > (uint)_datagrams.SlotSize || (uint)length > (uint)(_datagrams.SlotSize - offset) || !_datagrams.IsRented(slot))
        {
            ThrowBadRange(offset, length);
        }

        int handle = Take();
        _address[handle] = (nint)(_datagrams.Pointer(slot) + offset);
        _length[handle] = length;
        _slot[handle] = slot;
        _isView[handle] = false;
        return handle;
    }

    /// <summary>Copies <paramref name="bytes"/> into a fresh datagram slot; false when that pool is exhausted.</summary>
    public bool TryCopy(ReadOnlySpan<byte> bytes, out int handle)
    {
        if (bytes.Length > _datagrams.PacketCapacity || !_datagrams.TryRent(out int slot))
        {
            handle = -1;
            return false;
        }

        bytes.CopyTo(_datagrams.Slot(slot)[PacketPool.Headroom..]);
        handle = Adopt(slot, PacketPool.Headroom, bytes.Length);
        return true;
    }

    /// <summary>The receive batch starts cutting message slot <paramref name="slot"/> (it keeps one reference).</summary>
    public void BeginMessage(int slot)
    {
        if (_messages is null || !_messages.IsRented(slot) || _references[slot] != 0)
        {
            ThrowBadMessage(slot);
        }

        _references[slot] = 1;
    }

    /// <summary>A view of [offset, offset + length) of message slot <paramref name="slot"/>, between
    /// <see cref="BeginMessage"/> and <see cref="EndMessage"/>; false when every view handle is taken.</summary>
    public bool TryView(int slot, int offset, int length, out int handle)
    {
        if (Views == _maxViews)
        {
            handle = -1;
            return false;
        }

        if (_references[slot] <= 0 || (uint)offset > (uint)_messages!.SlotSize || (uint)length > (uint)(_messages.SlotSize - offset))
        {
            ThrowBadRange(offset, length);
        }

        handle = Take();
        _address[handle] = (nint)(_messages.Pointer(slot) + offset);
        _length[handle] = length;
        _slot[handle] = slot;
        _isView[handle] = true;
        _references[slot]++;
        Views++;
        return true;
    }

    /// <summary>The receive batch is done with message slot <paramref name="slot"/>. True when views still use it: the
    /// store now owns the slot (the caller detaches it from its batch) and returns it after the last view; false when
    /// nothing was kept and the batch reuses the slot.</summary>
    public bool EndMessage(int slot)
    {
        if (_references[slot] <= 0)
        {
            ThrowBadMessage(slot);
        }

        if (--_references[slot] == 0)
        {
            return false;
        }

        PinnedMessages++;
        return true;
    }

    /// <summary>Gives <paramref name="handle"/> up: its datagram slot goes back to the pool, or its message slot loses a
    /// reference (and goes back with the last one).</summary>
    public void Release(int handle)
    {
        if (!_live[handle])
        {
            ThrowNotLive(handle);
        }

        int slot = _slot[handle];
        if (_isView[handle])
        {
            Views--;
            Unreference(slot);
        }
        else
        {
            _datagrams.Return(slot);
        }

        _live[handle] = false;
        _isView[handle] = false;
        _free[_freeCount++] = handle;
    }

    /// <summary>Copies the bytes of every live view into a datagram slot (the handles stay the same), so the message
    /// slots they pinned go back to their pool; stops when the datagram pool runs dry. Only valid while nothing holds a
    /// view's address (the TUN queue is written out first). Returns the views moved.</summary>
    public int MigrateViews()
    {
        int moved = 0;
        for (int h = 0; h < _free.Length && Views > 0; h++)
        {
            if (!_isView[h])
            {
                continue;
            }

            if (!_datagrams.TryRent(out int slot))
            {
                break;
            }

            int length = _length[h];
            new ReadOnlySpan<byte>((byte*)_address[h], length).CopyTo(_datagrams.Slot(slot)[PacketPool.Headroom..]);
            int message = _slot[h];
            _address[h] = (nint)(_datagrams.Pointer(slot) + PacketPool.Headroom);
            _slot[h] = slot;
            _isView[h] = false;
            Views--;
            Unreference(message);
            CopiedViews++;
            moved++;
        }

        return moved;
    }

    /// <summary>Counts a view copied by the caller (<see cref="TryCopy"/> after <see cref="TryView"/> failed).</summary>
    public void CountCopiedView() => CopiedViews++;

    private int Take()
    {
        if (_freeCount == 0)
        {
            ThrowExhausted();
        }

        int handle = _free[--_freeCount];
        _live[handle] = true;
        return handle;
    }

    private void Unreference(int slot)
    {
        if (--_references[slot] == 0)
        {
            PinnedMessages--;
            _messages!.Return(slot);
        }
    }

    [DoesNotReturn]
    private static Span<byte> ThrowNotLive(int handle) => throw new InvalidOperationException($"packet handle {handle} is not live");

    [DoesNotReturn]
    private static void ThrowBadRange(int offset, int length) =>
        throw new ArgumentOutOfRangeException(nameof(offset), $"packet range {offset}+{length} outside the slot (or slot not rented)");

    [DoesNotReturn]
    private static void ThrowBadMessage(int slot) => throw new InvalidOperationException($"message slot {slot} is not being cut");

    [DoesNotReturn]
    private static void ThrowExhausted() => throw new InvalidOperationException("no packet handle left (more live packets than slots)");
}
