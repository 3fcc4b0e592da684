using System.Net;
using System.Text;
using MptFast.Engine.Interop;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Datapath.Linux;

/// <summary>
/// The setup calls of a path socket (<see cref="LinuxUdpPathSocket.Open"/>): offload probe, bind, bound port, device
/// binding, buffer sizes. Every failure throws <see cref="LinuxErrorException"/> naming the endpoint and the errno.
/// </summary>
internal static unsafe class UdpSocketSetup
{
    private const int MinBufferBytes = 64 * 1024;

    /// <summary>Probes <paramref name="fd"/> without changing its behaviour: getsockopt(SOL_UDP, UDP_SEGMENT/UDP_GRO)
    /// succeed on kernels that implement them (4.18 / 5.0+).</summary>
    internal static UdpOffloadCapabilities ProbeOffloads(int fd)
    {
        bool gso = Libc.GetIntOption(fd, Libc.SOL_UDP, Libc.UDP_SEGMENT, out _) == Errno.Success;
        bool gro = Libc.GetIntOption(fd, Libc.SOL_UDP, Libc.UDP_GRO, out _) == Errno.Success;
        return new UdpOffloadCapabilities(gso ? UdpOffloadCapabilities.MaxSegments : 1, gro);
    }

    internal static void Bind(int fd, bool ipv4Socket, IPAddress local, ushort port)
    {
        int rc;
        if (ipv4Socket)
        {
            SockAddrIn sa = SockAddrIn6.FromIPv4(local, port);
            rc = Libc.Bind(fd, &sa, (uint)sizeof(SockAddrIn));
        }
        else
        {
            SockAddrIn6 sa = SockAddrIn6.From(local, port);
            rc = Libc.Bind(fd, &sa, SockAddrIn6.Size);
        }

        if (rc != 0)
        {
            LinuxError.ThrowLast($"bind path socket to {FormatEndpoint(local, port)}");
        }
    }

    internal static ushort QueryBoundPort(int fd)
    {
        SockAddrIn6 sa = default;
        uint length = SockAddrIn6.Size;
        if (Libc.GetSockName(fd, &sa, &length) != 0)
        {
            LinuxError.ThrowLast("getsockname on path socket");
        }

        return sa.Port; // sockaddr_in and sockaddr_in6 keep the port at the same offset
    }

    internal static void BindToDevice(int fd, string device, IPAddress local, ushort port)
    {
        if (!LinuxTunDevice.IsValidInterfaceName(device))
        {
            throw new ArgumentException($"invalid interface name '{device}'", nameof(device));
        }

        Span<byte> name = stackalloc byte[IfReq.NameSize];
        int n = Encoding.ASCII.GetBytes(device, name);
        // Sound: the stack buffer is fixed for the call; the kernel reads n bytes (no NUL needed with the length).
        fixed (byte* p = name)
        {
            if (Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_BINDTODEVICE, p, (uint)n) != 0)
            {
                LinuxError.ThrowLast($"SO_BINDTODEVICE {device} for {FormatEndpoint(local, port)}");
            }
        }
    }

    /// <summary>SO_*BUFFORCE needs CAP_NET_ADMIN and bypasses rmem_max; fall back to the capped option.</summary>
    internal static void SetBuffer(int fd, int forceOption, int option, int bytes)
    {
        bytes = Math.Max(bytes, MinBufferBytes);
        if (Libc.SetIntOption(fd, Libc.SOL_SOCKET, forceOption, bytes) != Errno.Success)
        {
            _ = Libc.SetIntOption(fd, Libc.SOL_SOCKET, option, bytes); // best effort: the default still works
        }
    }

    internal static void Check(Errno errno, string what, IPAddress local, ushort port)
    {
        if (errno != Errno.Success)
        {
            LinuxError.Throw($"{what} on path socket {FormatEndpoint(local, port)}", errno);
        }
    }

    internal static string FormatEndpoint(IPAddress address, ushort port) => new IPEndPoint(address, port).ToString();
}
