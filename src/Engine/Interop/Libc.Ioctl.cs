using System.Runtime.InteropServices;

namespace MptFast.Engine.Interop;

/// <summary>ioctl(2) and the request numbers for the TUN driver and interface flags (MPT-SPEC §9.1).</summary>
internal static unsafe partial class Libc
{
    // _IOW('T', n, int) = 0x40045400 | n; _IOR('T', n, unsigned int) = 0x80045400 | n (linux/if_tun.h).
    internal const ulong TUNSETIFF = 0x400454CA;
    internal const ulong TUNGETFEATURES = 0x800454CF;
    internal const ulong TUNSETOFFLOAD = 0x400454D0;
    internal const ulong TUNGETIFF = 0x800454D2;
    internal const ulong TUNSETVNETHDRSZ = 0x400454D8;

    // linux/sockios.h: requests on any socket, taking a struct ifreq.
    internal const ulong SIOCGIFFLAGS = 0x8913;
    internal const ulong SIOCSIFFLAGS = 0x8914;
    internal const ulong SIOCGIFMTU = 0x8921;
    internal const ulong SIOCSIFMTU = 0x8922;
    internal const ulong SIOCGIFINDEX = 0x8933;
    internal const ulong SIOCSIFTXQLEN = 0x8943;

    // linux/if_tun.h flags for TUNSETIFF.
    internal const short IFF_TUN = 0x0001;
    internal const short IFF_MULTI_QUEUE = 0x0100;
    internal const short IFF_NO_PI = 0x1000;
    internal const short IFF_VNET_HDR = 0x4000;

    // linux/if.h interface flags.
    internal const short IFF_UP = 0x1;

    // linux/if_tun.h offload bits for TUNSETOFFLOAD (PERFORMANCE-NOTES lever 3).
    internal const uint TUN_F_CSUM = 0x01;
    internal const uint TUN_F_TSO4 = 0x02;
    internal const uint TUN_F_TSO6 = 0x04;
    internal const uint TUN_F_USO4 = 0x20;
    internal const uint TUN_F_USO6 = 0x40;

    /// <summary>ioctl with a pointer argument (ioctl is variadic; one pointer argument is ABI-compatible on LP64).</summary>
    [LibraryImport(Name, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(int fd, ulong request, void* argument);

    /// <summary>ioctl with an integer argument passed by value (TUNSETOFFLOAD takes the flags by value).</summary>
    [LibraryImport(Name, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(int fd, ulong request, nuint argument);
}
