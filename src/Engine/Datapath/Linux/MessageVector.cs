using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MptFast.Engine.Buffers;
using MptFast.Engine.Interop;

namespace MptFast.Engine.Datapath.Linux;

/// <summary>
/// The native side of a batch for recvmmsg/sendmmsg/sendmsg: <c>mmsghdr</c>, <c>iovec</c>, <c>sockaddr_in6</c> and
/// control-message arrays for <see cref="Capacity"/> entries, prebuilt so a batch call allocates nothing. Entry i of a
/// <see cref="PacketBatch"/> goes through message i. Scratch for one call at a time: each thread that moves batches
/// through a Linux socket has its own (<see cref="ForCurrentThread"/>), so the receive and transmit threads never
/// share one and a socket needs none of its own.
/// </summary>
internal sealed unsafe class MessageVector : IDisposable
{
    /// <summary>Control-message space per entry (room for a UDP_GRO or UDP_SEGMENT cmsg and spare).</summary>
    public const int ControlBytesPerMessage = 64;

    private const int SourceStride = 32; // sizeof(sockaddr_in6) = 28, padded

    [ThreadStatic]
    private static MessageVector? t_current;

    private byte* _native;

    /// <summary>A vector of <paramref name="capacity"/> messages, each pointing at its own iovec.</summary>
    public MessageVector(int capacity = PacketBatch.MaxPackets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        nuint bytes = (nuint)(capacity * (sizeof(MMsgHdr) + sizeof(IoVec) + SourceStride + ControlBytesPerMessage));
        _native = (byte*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(_native, bytes);
        Messages = (MMsgHdr*)_native;
        IoVecs = (IoVec*)(Messages + capacity);
        Sources = (byte*)(IoVecs + capacity);
        Control = Sources + (capacity * SourceStride);
        for (int i = 0; i < capacity; i++)
        {
            // Sound: every pointer below lies inside the block allocated above, laid out per capacity.
            ref MsgHdr header = ref Messages[i].Header;
            header.Iov = IoVecs + i;
            header.IovLength = 1;
        }
    }

    ~MessageVector() => FreeNative();

    /// <summary>This thread's vector (<see cref="PacketBatch.MaxPackets"/> messages), made on first use and freed with
    /// the thread.</summary>
    public static MessageVector ForCurrentThread => t_current ??= new MessageVector();

    /// <summary>Number of messages.</summary>
    public int Capacity { get; }

    /// <summary>The message array for recvmmsg/sendmmsg.</summary>
    public MMsgHdr* Messages { get; }

    /// <summary>The iovec array: iovec i belongs to message i (a GSO message spans several).</summary>
    public IoVec* IoVecs { get; }

    private byte* Sources { get; }

    private byte* Control { get; }

    /// <summary>Points message <paramref name="index"/> at entry <paramref name="index"/>'s slot for a receive of up to
    /// <paramref name="capacity"/> bytes at <see cref="PacketPool.Headroom"/>, with its own source-address storage and,
    /// with <paramref name="withControl"/>, its control area (UDP_GRO segment size).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrepareReceive(PacketBatch batch, int index, int capacity, bool withControl)
    {
        CheckIndex(batch, index);
        // Sound: index < Capacity (checked above); the slot pointer is range-checked by the pool.
        IoVec* iov = IoVecs + index;
        iov->Base = batch.Pool.Pointer(batch.SlotOf(index)) + PacketPool.Headroom;
        iov->Length = (nuint)capacity;
        ref MsgHdr h = ref Messages[index].Header;
        h.Name = SourceAt(index);
        h.NameLength = SockAddrIn6.Size;
        h.Control = withControl ? Control + (index * ControlBytesPerMessage) : null;
        h.ControlLength = withControl ? (nuint)ControlBytesPerMessage : 0;
        h.Flags = 0;
    }

    /// <summary>Records what the kernel reported for received message <paramref name="index"/> in the batch entry: length,
    /// truncation flags (MPT-SPEC B04), GRO segment size, and the source in 16-byte form (an AF_INET source of an
    /// IPv4-only socket as ::ffff:a.b.c.d).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public PacketFlags CompleteReceive(PacketBatch batch, int index, bool withControl)
    {
        CheckIndex(batch, index);
        // Sound: index < Capacity (checked above), a message the kernel just filled.
        MMsgHdr* m = Messages + index;
        int msgFlags = m->Header.Flags;
        var flags = PacketFlags.None;
        if ((msgFlags & Libc.MSG_TRUNC) != 0)
        {
            flags |= PacketFlags.Truncated;
        }

        if ((msgFlags & Libc.MSG_CTRUNC) != 0)
        {
            flags |= PacketFlags.ControlTruncated;
        }

        int segmentSize = 0;
        if (withControl)
        {
            // Sound: the kernel wrote ControlLength ≤ ControlBytesPerMessage bytes into this message's control area.
            ReadOnlySpan<byte> cmsg = CMsgHdr.Find(m->Header.Control, (int)m->Header.ControlLength, Libc.SOL_UDP, Libc.UDP_GRO);
            if (cmsg.Length >= sizeof(int))
            {
                segmentSize = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(cmsg);
            }
        }

        SockAddrIn6* source = SourceAt(index);
        source->NormalizeFromIPv4();
        batch.SetSource(index, new ReadOnlySpan<byte>(source->Address, 16), source->Port);
        batch.CompleteReceive(index, PacketPool.Headroom, (int)m->Length, flags, segmentSize);
        return flags;
    }

    /// <summary>Points message <paramref name="index"/> at entry <paramref name="index"/>'s packet bytes, addressed to
    /// <paramref name="peer"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrepareSend(PacketBatch batch, int index, void* peer, uint peerLength)
    {
        CheckIndex(batch, index);
        // Sound: index < Capacity (checked above); the packet range was validated by PacketBatch.SetPacket/Attach.
        IoVec* iov = IoVecs + index;
        iov->Base = batch.PacketPointer(index);
        iov->Length = (nuint)batch.LengthOf(index);
        ref MsgHdr h = ref Messages[index].Header;
        h.Name = peer;
        h.NameLength = peerLength;
        h.Control = null;
        h.ControlLength = 0;
        h.Flags = 0;
    }

    /// <summary>
    /// Points message <paramref name="message"/> at entries [<paramref name="first"/>, first + <paramref name="count"/>)
    /// as ONE UDP GSO datagram train (PERFORMANCE-NOTES lever 1): one iovec per entry (the iovecs are contiguous),
    /// addressed to <paramref name="peer"/>, with a UDP_SEGMENT control message carrying <paramref name="segmentSize"/>.
    /// <paramref name="message"/> ≤ <paramref name="first"/>, so messages of earlier trains never overwrite iovecs of
    /// later ones. Undo with <see cref="RestoreMessage"/> after the send.
    /// </summary>
    public void PrepareGso(PacketBatch batch, int message, int first, int count, ushort segmentSize, void* peer, uint peerLength)
    {
        if ((uint)message > (uint)first || (uint)first >= (uint)batch.Capacity || (uint)count > (uint)(batch.Capacity - first)
            || batch.Capacity > Capacity)
        {
            ThrowBadRange(first, count);
        }

        for (int i = first; i < first + count; i++)
        {
            // Sound: i < batch.Capacity ≤ Capacity (checked above); the packet range was validated by SetPacket/Attach.
            IoVec* iov = IoVecs + i;
            iov->Base = batch.PacketPointer(i);
            iov->Length = (nuint)batch.LengthOf(i);
        }

        // Sound: message < Capacity; its control area holds ControlBytesPerMessage (64) ≥ CMSG_SPACE(2) = 24 bytes.
        byte* control = Control + (message * ControlBytesPerMessage);
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
    public void RestoreMessage(int message)
    {
        if ((uint)message >= (uint)Capacity)
        {
            ThrowBadRange(message, 0);
        }

        // Sound: message < Capacity (checked above).
        ref MsgHdr h = ref Messages[message].Header;
        h.Iov = IoVecs + message;
        h.IovLength = 1;
        h.Control = null;
        h.ControlLength = 0;
    }

    /// <summary>Frees the native arrays.</summary>
    public void Dispose()
    {
        FreeNative();
        GC.SuppressFinalize(this);
    }

    private SockAddrIn6* SourceAt(int index) => (SockAddrIn6*)(Sources + (index * SourceStride));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckIndex(PacketBatch batch, int index)
    {
        if ((uint)index >= (uint)batch.Capacity || (uint)index >= (uint)Capacity)
        {
            ThrowBadRange(index, 0);
        }
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
        throw new ArgumentOutOfRangeException(nameof(offset), $"message range {offset}+{length} outside the vector or the batch");
}
