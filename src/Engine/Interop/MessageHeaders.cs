using System.Runtime.InteropServices;

namespace MptFast.Engine.Interop;

/// <summary><c>struct iovec</c> (LP64).</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal unsafe struct IoVec
{
    [FieldOffset(0)] public byte* Base;
    [FieldOffset(8)] public nuint Length;
}

/// <summary><c>struct msghdr</c> (LP64, 56 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 56)]
internal unsafe struct MsgHdr
{
    [FieldOffset(0)] public void* Name;
    [FieldOffset(8)] public uint NameLength;
    [FieldOffset(16)] public IoVec* Iov;
    [FieldOffset(24)] public nuint IovLength;
    [FieldOffset(32)] public byte* Control;
    [FieldOffset(40)] public nuint ControlLength;
    [FieldOffset(48)] public int Flags;
}

/// <summary><c>struct mmsghdr</c> (LP64, 64 bytes): a msghdr plus the byte count the kernel reports.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct MMsgHdr
{
    [FieldOffset(0)] public MsgHdr Header;
    [FieldOffset(56)] public uint Length;
}

/// <summary><c>struct cmsghdr</c> (LP64, 16 bytes) and the CMSG_* macros.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct CMsgHdr
{
    [FieldOffset(0)] public nuint Length;
    [FieldOffset(8)] public int Level;
    [FieldOffset(12)] public int Type;

    /// <summary>CMSG_ALIGN: control messages are aligned to sizeof(size_t).</summary>
    public static int Align(int length) => (length + 7) & ~7;

    /// <summary>CMSG_SPACE: bytes a control message with <paramref name="dataLength"/> payload occupies.</summary>
    public static int Space(int dataLength) => Align(16) + Align(dataLength);

    /// <summary>CMSG_LEN: the value of <see cref="Length"/> for <paramref name="dataLength"/> payload bytes.</summary>
    public static int Len(int dataLength) => Align(16) + dataLength;

    /// <summary>Finds the first control message with the given level and type in a received control buffer;
    /// returns its payload or an empty span.</summary>
    public static unsafe ReadOnlySpan<byte> Find(byte* control, int controlLength, int level, int type)
    {
        int offset = 0;
        while (offset + 16 <= controlLength)
        {
            // Sound: offset + 16 <= controlLength, so the header lies inside the caller's buffer.
            CMsgHdr* header = (CMsgHdr*)(control + offset);
            int length = (int)header->Length;
            if (length < 16 || offset + length > controlLength)
            {
                break;
            }

            if (header->Level == level && header->Type == type)
            {
                return new ReadOnlySpan<byte>(control + offset + 16, length - 16);
            }

            offset += Align(length);
        }

        return default;
    }
}
