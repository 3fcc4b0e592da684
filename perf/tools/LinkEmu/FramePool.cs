using System.Runtime.InteropServices;

namespace MptFast.Perf.LinkEmu;

/// <summary>
/// One direction's frames: <see cref="Count"/> slots of <see cref="SlotSize"/> bytes in one native block, handed out by
/// index from a free stack. A frame is copied in once (from the RX ring, or received straight into its slot) and
/// handed to the kernel from there on send; nothing is allocated per frame. Single-threaded (its forwarding thread).
/// </summary>
internal sealed unsafe class FramePool : IDisposable
{
    public const int SlotSize = 2048;   // a 1514-byte Ethernet frame (+ VLAN tag) with room; larger frames are counted and dropped

    private readonly byte* _memory;
    private readonly int[] _free;
    private int _freeCount;

    public FramePool(int count)
    {
        Count = count;
        _memory = (byte*)NativeMemory.AlignedAlloc((nuint)count * SlotSize, 4096);
        _free = new int[count];
        Length = new int[count];
        EnqueuedAt = new long[count];
        for (int i = 0; i < count; i++)
        {
            _free[i] = count - 1 - i;
        }

        _freeCount = count;
    }

    public int Count { get; }

    public int Available => _freeCount;

    /// <summary>Bytes of the frame in each slot.</summary>
    public int[] Length { get; }

    /// <summary>When each frame entered the link (clock of <see cref="MonotonicClock"/>).</summary>
    public long[] EnqueuedAt { get; }

    /// <summary>A free slot, or -1 when all are in use.</summary>
    public int Rent() => _freeCount > 0 ? _free[--_freeCount] : -1;

    public void Return(int frame) => _free[_freeCount++] = frame;

    // Sound: frame is an index below Count handed out by Rent, so the slot lies inside the block.
    public byte* Data(int frame) => _memory + ((nint)frame * SlotSize);

    public Span<byte> Span(int frame) => new(Data(frame), Length[frame]);

    public void Dispose() => NativeMemory.AlignedFree(_memory);
}
