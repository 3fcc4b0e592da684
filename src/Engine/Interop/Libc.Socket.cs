using System.Runtime.InteropServices;

namespace MptFast.Engine.Interop;

/// <summary>Socket setup calls and their constants: socket, bind, getsockname, setsockopt, getsockopt, sendto.</summary>
internal static unsafe partial class Libc
{
    internal const int AF_INET = 2;
    internal const int AF_INET6 = 10;
    internal const int SOCK_DGRAM = 2;
    internal const int SOCK_NONBLOCK = 0x800;
    internal const int SOCK_CLOEXEC = 0x80000;
    internal const int IPPROTO_UDP = 17;

    internal const int SOL_SOCKET = 1;
    internal const int SO_REUSEADDR = 2;
    internal const int SO_SNDBUF = 7;
    internal const int SO_RCVBUF = 8;
    internal const int SO_BINDTODEVICE = 25;
    internal const int SO_SNDBUFFORCE = 32;
    internal const int SO_RCVBUFFORCE = 33;

    internal const int IPPROTO_IPV6 = 41;
    internal const int IPV6_V6ONLY = 26;

    /// <summary>SOL_UDP level for UDP_SEGMENT (GSO) and UDP_GRO (PERFORMANCE-NOTES lever 1–2).</summary>
    internal const int SOL_UDP = 17;
    internal const int UDP_SEGMENT = 103;
    internal const int UDP_GRO = 104;

    [LibraryImport(Name, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Name, EntryPoint = "bind", SetLastError = true)]
    internal static partial int Bind(int fd, void* address, uint addressLength);

    [LibraryImport(Name, EntryPoint = "getsockname", SetLastError = true)]
    internal static partial int GetSockName(int fd, void* address, uint* addressLength);

    [LibraryImport(Name, EntryPoint = "setsockopt", SetLastError = true)]
    internal static partial int SetSockOpt(int fd, int level, int option, void* value, uint valueLength);

    [LibraryImport(Name, EntryPoint = "getsockopt", SetLastError = true)]
    internal static partial int GetSockOpt(int fd, int level, int option, void* value, uint* valueLength);

    [LibraryImport(Name, EntryPoint = "sendto", SetLastError = true)]
    internal static partial nint SendTo(int fd, byte* buffer, nuint length, int flags, void* address, uint addressLength);

    /// <summary>setsockopt with an int value; returns the errno (Success on success).</summary>
    internal static Errno SetIntOption(int fd, int level, int option, int value)
    {
        return SetSockOpt(fd, level, option, &value, sizeof(int)) == 0 ? Errno.Success : LinuxError.Last;
    }

    /// <summary>getsockopt with an int value; returns the errno (Success on success).</summary>
    internal static Errno GetIntOption(int fd, int level, int option, out int value)
    {
        int v = 0;
        uint len = sizeof(int);
        Errno result = GetSockOpt(fd, level, option, &v, &len) == 0 ? Errno.Success : LinuxError.Last;
        value = v;
        return result;
    }
}
