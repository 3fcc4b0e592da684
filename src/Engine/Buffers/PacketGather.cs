using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MptFast.Engine.Buffers;

/// <summary>
/// One packet toward the TUN as a list of byte ranges, written with ONE writev (TUN: tun_chr_write_iter), so the
/// receive thread never copies a packet together: a TCP super-packet is the virtio_net_hdr + the first segment's
/// patched headers (both in <see cref="Scratch"/>) + every segment's payload where it was received (PERFORMANCE-NOTES
/// lever 3 without the copy). The ranges live in native memory as <see cref="ByteRange"/>s, prebuilt; range 0 is kept for
/// the virtio_net_hdr so a device can put its own (zeroed) header in front without moving the others.
/// </summary>
/// <remarks>
/// The ranges are stored as addresses: only native memory that stays put until the write may be added — pool slots
/// (<see cref="PacketPool"/>) and <see cref="Scratch"/>. One owner thread; reused packet after packet.
/// </remarks>
public sealed unsafe class PacketGather : IDisposable
{
    /// <summary>Most byte ranges after the header: the head's headers plus 64 payloads, and spare.</summary>
    public const int MaxSegments = 80;

    /// <summary>Bytes of <see cref="Scratch"/>: a virtio_net_hdr plus IP and TCP headers with options (≤ 120).</summary>
    public const int ScratchSize = 192;

    private byte* _native;
    private ByteRange* _iov;
    private byte* _scratch;

    /// <summary>An empty gather list.</summary>
    public PacketGather()
    {
        nuint bytes = (nuint)(((MaxSegments + 1) * sizeof(ByteRange)) + ScratchSize);
        _native = (byte*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(_native, bytes);
        _iov = (ByteRange*)_native;
        _scratch = _native + ((MaxSegments + 1) * sizeof(ByteRange));
    }

    ~PacketGather() => FreeNative();

    /// <summary>Byte ranges of the packet (the virtio header not counted).</summary>
    public int Count { get; private set; }

    /// <summary>Packet bytes over all ranges (the virtio header not counted).</summary>
    public int Length { get; private set; }

    /// <summary>The packet carries its own filled virtio_net_hdr (<see cref="Header"/>); otherwise a device with a
    /// vnet header puts a zeroed one (no offload) in front.</summary>
    public bool HasVirtioHeader { get; private set; }

    /// <summary>The virtio_net_hdr set with <see cref="SetVirtioHeader"/>, or empty.</summary>
    public ReadOnlySpan<byte> Header => HasVirtioHeader ? new ReadOnlySpan<byte>(_iov[0].Base, (int)_iov[0].Length) : default;

    /// <summary>Native room for headers built for this packet (valid until the next packet is built in it).</summary>
    public Span<byte> Scratch
    {
        get
        {
            ObjectDisposedException.ThrowIf(_native == null, this);
            // Sound: the scratch area is ScratchSize bytes inside the block allocated in the constructor.
            return new Span<byte>(_scratch, ScratchSize);
        }
    }

    /// <summary>The ranges: [0] is the virtio header slot, [1, 1 + <see cref="Count"/>) the packet.</summary>
    internal ByteRange* Ranges => _iov;

    /// <summary>Range <paramref name="index"/> of the packet.</summary>
    public ReadOnlySpan<byte> Segment(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            ThrowRange();
        }

        // Sound: index < Count, and every range added was native memory that outlives the packet (see Add).
        ByteRange* v = _iov + 1 + index;
        return new ReadOnlySpan<byte>(v->Base, (int)v->Length);
    }

    /// <summary>Starts a new packet: no ranges, no header.</summary>
    public void Clear()
    {
        Count = 0;
        Length = 0;
        HasVirtioHeader = false;
    }

    /// <summary>Sets the filled virtio_net_hdr written in front of the packet.</summary>
    internal void SetVirtioHeader(ReadOnlySpan<byte> header)
    {
        ObjectDisposedException.ThrowIf(_native == null, this);
        _iov[0].Base = Address(header);
        _iov[0].Length = (nuint)header.Length;
        HasVirtioHeader = true;
    }

    /// <summary>Appends a byte range. <paramref name="bytes"/> must lie in native memory that stays valid and unmoved
    /// until the packet is written: a <see cref="PacketPool"/> slot or <see cref="Scratch"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Add(ReadOnlySpan<byte> bytes)
    {
        if (Count == MaxSegments)
        {
            ThrowRange();
        }

        // Sound: Count < MaxSegments, so range 1 + Count is inside the prebuilt array.
        ByteRange* v = _iov + 1 + Count;
        v->Base = Address(bytes);
        v->Length = (nuint)bytes.Length;
        Count++;
        Length += bytes.Length;
    }

    /// <summary>Copies the packet (header excluded) into <paramref name="destination"/>; returns its length.</summary>
    public int CopyTo(Span<byte> destination)
    {
        int at = 0;
        for (int i = 0; i < Count; i++)
        {
            ReadOnlySpan<byte> s = Segment(i);
            s.CopyTo(destination[at..]);
            at += s.Length;
        }

        return at;
    }

    /// <summary>The packet (header excluded) as a new array (tests and in-memory devices).</summary>
    public byte[] ToArray()
    {
        byte[] packet = new byte[Length];
        CopyTo(packet);
        return packet;
    }

    /// <summary>Frees the native ranges and scratch.</summary>
    public void Dispose()
    {
        FreeNative();
        GC.SuppressFinalize(this);
    }

    // Sound for the callers' memory only (pool slots and scratch are native and never move); see Add.
    private static byte* Address(ReadOnlySpan<byte> bytes) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(bytes));

    private void FreeNative()
    {
        if (_native != null)
        {
            NativeMemory.AlignedFree(_native);
            _native = null;
            _iov = null;
            _scratch = null;
        }
    }

    [DoesNotReturn]
    private static void ThrowRange() => throw new ArgumentOutOfRangeException("index", $"a gather list holds at most {MaxSegments} ranges");
}

/// <summary>A byte range in native memory: where it starts and how long it is — the shape of POSIX <c>struct iovec</c>
/// (LP64), so device code hands a list of them to writev as it is.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct ByteRange
{
    /// <summary>First byte.</summary>
    public byte* Base;

    /// <summary>Length in bytes.</summary>
    public nuint Length;
}
