using System.Runtime.InteropServices;
using System.Text;

namespace MptFast.Engine.Interop;

/// <summary><c>struct ifreq</c> (40 bytes): a 16-byte interface name and a 24-byte union.</summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal unsafe struct IfReq
{
    /// <summary>IFNAMSIZ: 15 characters plus the terminating NUL.</summary>
    public const int NameSize = 16;

    [FieldOffset(0)] public fixed byte Name[NameSize];
    /// <summary>ifr_flags (TUNSETIFF, SIOCGIFFLAGS).</summary>
    [FieldOffset(16)] public short Flags;
    /// <summary>ifr_mtu, ifr_qlen, ifr_ifindex share this slot of the union.</summary>
    [FieldOffset(16)] public int Value;

    /// <summary>An ifreq naming <paramref name="name"/>, which must already be validated (ASCII, ≤ 15 bytes).</summary>
    public static IfReq ForName(string name)
    {
        var result = default(IfReq);
        // Sound: Name is a 16-byte fixed buffer; at most 15 bytes are written, leaving the NUL.
        Encoding.ASCII.GetBytes(name, new Span<byte>(result.Name, NameSize - 1));
        return result;
    }

    /// <summary>The NUL-terminated name the kernel wrote back (e.g. after a <c>%d</c> template).</summary>
    public readonly string GetName()
    {
        // Sound: Name is this struct's own 16-byte buffer, read only up to its first NUL.
        fixed (byte* p = Name)
        {
            var span = new ReadOnlySpan<byte>(p, NameSize);
            int end = span.IndexOf((byte)0);
            return Encoding.ASCII.GetString(end < 0 ? span : span[..end]);
        }
    }
}
