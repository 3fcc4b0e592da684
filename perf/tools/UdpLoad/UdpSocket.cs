using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MptFast.Perf.UdpLoad;

/// <summary>A failed system call: the operation, errno and the C library's text for it.</summary>
internal sealed class SocketCallException(string operation, int errno)
    : Exception($"{operation}: {Native.Describe(errno)} (errno {errno})")
{
    public int Errno { get; } = errno;
}

/// <summary>A blocking UDP socket of the endpoint's family, opened with libc so that its descriptor can be handed
/// to sendmmsg/recvmmsg. Setup failures throw <see cref="SocketCallException"/>.</summary>
internal sealed unsafe class UdpSocket : IDisposable
{
    private UdpSocket(int fd) => Fd = fd;

    public int Fd { get; private set; }

    public static UdpSocket Open(AddressFamily family)
    {
        int domain = family == AddressFamily.InterNetworkV6 ? Native.AF_INET6 : Native.AF_INET;
        int fd = Native.Socket(domain, Native.SOCK_DGRAM | Native.SOCK_CLOEXEC, Native.IPPROTO_UDP);
        return fd < 0 ? throw new SocketCallException("socket", Native.LastErrno) : new UdpSocket(fd);
    }

    public void Bind(IPEndPoint endpoint)
    {
        Span<byte> address = stackalloc byte[28];
        int length = Write(endpoint, address);
        // Sound: address is a stack buffer of at least length bytes, alive for the call.
        fixed (byte* a = address)
        {
            if (Native.Bind(Fd, a, (uint)length) != 0)
            {
                throw new SocketCallException($"bind {endpoint}", Native.LastErrno);
            }
        }
    }

    public void Connect(IPEndPoint endpoint)
    {
        Span<byte> address = stackalloc byte[28];
        int length = Write(endpoint, address);
        // Sound: as in Bind.
        fixed (byte* a = address)
        {
            if (Native.Connect(Fd, a, (uint)length) != 0)
            {
                throw new SocketCallException($"connect {endpoint}", Native.LastErrno);
            }
        }
    }

    /// <summary>Sets a socket buffer size; as root the *FORCE option lifts the sysctl cap (rmem_max/wmem_max),
    /// otherwise the capped plain option is used.</summary>
    public void SetBuffer(bool receive, int bytes)
    {
        int force = receive ? Native.SO_RCVBUFFORCE : Native.SO_SNDBUFFORCE;
        if (Native.SetSockOpt(Fd, Native.SOL_SOCKET, force, &bytes, sizeof(int)) == 0)
        {
            return;
        }

        int plain = receive ? Native.SO_RCVBUF : Native.SO_SNDBUF;
        if (Native.SetSockOpt(Fd, Native.SOL_SOCKET, plain, &bytes, sizeof(int)) != 0)
        {
            throw new SocketCallException(receive ? "setsockopt SO_RCVBUF" : "setsockopt SO_SNDBUF", Native.LastErrno);
        }
    }

    /// <summary>Bounds every blocking call (SO_RCVTIMEO/SO_SNDTIMEO): it then fails with EAGAIN, so loops can
    /// check their deadline even when nothing moves.</summary>
    public void SetTimeout(bool receive, TimeSpan timeout)
    {
        var tv = new TimeVal { Seconds = timeout.Ticks / TimeSpan.TicksPerSecond, Microseconds = timeout.Ticks % TimeSpan.TicksPerSecond / 10 };
        int option = receive ? Native.SO_RCVTIMEO : Native.SO_SNDTIMEO;
        if (Native.SetSockOpt(Fd, Native.SOL_SOCKET, option, &tv, (uint)sizeof(TimeVal)) != 0)
        {
            throw new SocketCallException("setsockopt SO_" + (receive ? "RCVTIMEO" : "SNDTIMEO"), Native.LastErrno);
        }
    }

    public void Dispose()
    {
        if (Fd >= 0)
        {
            _ = Native.Close(Fd);
            Fd = -1;
        }
    }

    /// <summary>Writes <c>sockaddr_in</c> (16 bytes) or <c>sockaddr_in6</c> (28 bytes); returns the length.</summary>
    private static int Write(IPEndPoint endpoint, Span<byte> address)
    {
        address.Clear();
        bool v6 = endpoint.AddressFamily == AddressFamily.InterNetworkV6;
        BinaryPrimitives.WriteUInt16LittleEndian(address, (ushort)(v6 ? Native.AF_INET6 : Native.AF_INET));   // host order (x86-64, arm64)
        BinaryPrimitives.WriteUInt16BigEndian(address[2..], (ushort)endpoint.Port);
        if (!v6)
        {
            endpoint.Address.TryWriteBytes(address[4..8], out _);
            return 16;
        }

        endpoint.Address.TryWriteBytes(address[8..24], out _);
        BinaryPrimitives.WriteUInt32LittleEndian(address[24..], (uint)endpoint.Address.ScopeId);
        return 28;
    }
}
