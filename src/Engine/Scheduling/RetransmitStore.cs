using System.Runtime.InteropServices;

namespace MptFast.Engine.Scheduling;

/// <summary>
/// Send side of the tunnel's loss recovery: the packets recently sent on lossy paths, kept by (path, per-path
/// sequence number) so that a loss report (<see cref="Wire.LossRange"/>) can be answered by sending the same datagram
/// again. Holds opaque slot handles (the transmit pool's); at most <see cref="Capacity"/> of them across all paths,
/// the oldest given back first — the caller returns what comes out of <see cref="Retain"/> to its pool. Lookups are
/// O(1): one ring per path indexed by the low bits of the sequence number, and a global ring in retention order for
/// the eviction. Transmit thread only; no allocation after construction.
/// </summary>
/// <remarks>The per-path rings (16 bytes × <c>perPath</c> per path: 13 MB for a server's 200 paths) live in one calloc'd
/// block, whose pages become resident only when a path's numbers reach them — on the managed heap the whole index was
/// resident (the GC's compaction copies it), 130 KiB per idle connection (issue 15). Freed by <see cref="Dispose"/>
/// or the finalizer.</remarks>
public sealed unsafe class RetransmitStore : IDisposable
{
    private readonly int _mask;
    private Entry* _index;
    private readonly int _indexLength;
    private readonly (int Path, uint Sequence)[] _order;
    private int _orderHead;
    private int _orderCount;

    /// <summary>A store for <paramref name="paths"/> paths (flat numbering), keeping at most
    /// <paramref name="capacity"/> packets and up to <paramref name="perPath"/> (a power of two) per path.</summary>
    public RetransmitStore(int paths, int capacity, int perPath)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(paths, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (perPath < 1 || (perPath & (perPath - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(perPath), perPath, "a power of two");
        }

        _mask = perPath - 1;
        Paths = paths;
        Capacity = capacity;
        _indexLength = checked(paths * perPath);
        _index = (Entry*)NativeMemory.AllocZeroed((nuint)_indexLength, (nuint)sizeof(Entry));
        _order = new (int, uint)[capacity];
    }

    ~RetransmitStore() => Release();

    /// <summary>Frees the index (once no thread uses the store; the held slots are the caller's, see <see cref="Clear"/>).</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private void Release()
    {
        Entry* index = _index;
        _index = null;
        NativeMemory.Free(index);
    }

    public int Paths { get; }

    public int Capacity { get; }

    /// <summary>Packets held now.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Keeps <paramref name="slot"/>, sent on <paramref name="path"/> as per-path number <paramref name="sequence"/>.
    /// Slots pushed out to make room (the oldest overall, or the one this number's place held) are written to
    /// <paramref name="evicted"/> (room for 2); returns how many.
    /// </summary>
    public int Retain(int path, uint sequence, int slot, Span<int> evicted) => Retain(path, sequence, slot, 0, 0, evicted);

    /// <summary>As <see cref="Retain(int, uint, int, Span{int})"/>, remembering where the datagram lies in its slot.</summary>
    public int Retain(int path, uint sequence, int slot, int offset, int length, Span<int> evicted)
    {
        int n = 0;
        ref Entry place = ref _index[(path * (_mask + 1)) + (int)(sequence & (uint)_mask)];
        if (place.Slot != 0)
        {
            evicted[n++] = place.Slot - 1;
            place.Slot = 0;
            Count--;
        }

        if (_orderCount == Capacity)
        {
            (int oldPath, uint oldSequence) = _order[_orderHead];
            _orderHead = _orderHead + 1 == Capacity ? 0 : _orderHead + 1;
            _orderCount--;
            ref Entry old = ref _index[(oldPath * (_mask + 1)) + (int)(oldSequence & (uint)_mask)];
            if (old.Slot != 0 && old.Sequence == oldSequence)
            {
                evicted[n++] = old.Slot - 1;
                old.Slot = 0;
                Count--;
            }
        }

        int tail = _orderHead + _orderCount;
        _order[tail >= Capacity ? tail - Capacity : tail] = (path, sequence);
        _orderCount++;
        place = new Entry(slot + 1, sequence, offset, length);
        Count++;
        return n;
    }

    /// <summary>Takes the packet sent on <paramref name="path"/> as <paramref name="sequence"/> out of the store.</summary>
    public bool TryTake(int path, uint sequence, out int slot) => TryTake(path, sequence, out slot, out _, out _);

    /// <summary>As <see cref="TryTake(int, uint, out int)"/>, with where the datagram lies in its slot.</summary>
    public bool TryTake(int path, uint sequence, out int slot, out int offset, out int length)
    {
        ref Entry place = ref _index[(path * (_mask + 1)) + (int)(sequence & (uint)_mask)];
        if (place.Slot == 0 || place.Sequence != sequence)
        {
            (slot, offset, length) = (-1, 0, 0);
            return false;
        }

        (slot, offset, length) = (place.Slot - 1, place.Offset, place.Length);
        place.Slot = 0;
        Count--;
        return true;
    }

    /// <summary>Gives every held slot to <paramref name="release"/> and empties the store.</summary>
    public void Clear(Action<int> release)
    {
        ArgumentNullException.ThrowIfNull(release);
        for (int i = 0; i < _indexLength; i++)
        {
            if (_index[i].Slot != 0)
            {
                release(_index[i].Slot - 1);
                _index[i].Slot = 0;
            }
        }

        Count = 0;
        _orderHead = 0;
        _orderCount = 0;
    }

    // Slot + 1, so that the default (0) means empty.
    private record struct Entry(int Slot, uint Sequence, int Offset = 0, int Length = 0);
}
