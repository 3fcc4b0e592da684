using MptFast.Engine.Buffers;
using MptFast.Engine.Interop;

namespace MptFast.Engine.Tests.Linux;

public unsafe class InteropLayoutTests
{
    [Fact]
    public void Structs_match_the_lp64_linux_abi()
    {
        Assert.Equal(16, sizeof(IoVec));
        Assert.Equal(56, sizeof(MsgHdr));
        Assert.Equal(64, sizeof(MMsgHdr));
        Assert.Equal(16, sizeof(CMsgHdr));
        Assert.Equal(16, sizeof(SockAddrIn));
        Assert.Equal(28, sizeof(SockAddrIn6));
        Assert.Equal(40, sizeof(IfReq));
        Assert.Equal(8, sizeof(PollFd));
    }

    [Fact]
    public void A_gather_list_range_has_the_layout_of_an_iovec()
    {
        // LinuxTunDevice hands PacketGather's ranges to writev as they are.
        var range = default(ByteRange);
        var iov = default(IoVec);
        Assert.Equal(sizeof(IoVec), sizeof(ByteRange));
        Assert.Equal((nint)(&iov.Length) - (nint)(&iov.Base), (nint)(&range.Length) - (nint)(&range.Base));
        Assert.Equal(0, (nint)(&range.Base) - (nint)(&range));
    }

    [Fact]
    public void Cmsg_macros_match_glibc()
    {
        Assert.Equal(24, CMsgHdr.Space(2)); // UDP_SEGMENT: u16
        Assert.Equal(18, CMsgHdr.Len(2));
        Assert.Equal(24, CMsgHdr.Space(4)); // UDP_GRO: int
    }

    [Fact]
    public void Cmsg_find_returns_the_matching_payload_and_skips_others()
    {
        byte* control = stackalloc byte[64];
        new Span<byte>(control, 64).Clear();
        var first = (CMsgHdr*)control;
        first->Length = (nuint)CMsgHdr.Len(4);
        first->Level = 41;
        first->Type = 50;
        var second = (CMsgHdr*)(control + CMsgHdr.Space(4));
        second->Length = (nuint)CMsgHdr.Len(2);
        second->Level = Libc.SOL_UDP;
        second->Type = Libc.UDP_GRO;
        *(ushort*)((byte*)second + 16) = 1400;
        ReadOnlySpan<byte> found = CMsgHdr.Find(control, CMsgHdr.Space(4) + CMsgHdr.Space(2), Libc.SOL_UDP, Libc.UDP_GRO);
        Assert.Equal(2, found.Length);
        Assert.Equal(1400, BitConverter.ToUInt16(found));
        Assert.True(CMsgHdr.Find(control, 64, 1, 1).IsEmpty);
    }

    [Theory]
    [InlineData("198.18.0.1", 4754, "::ffff:198.18.0.1")]
    [InlineData("fd00::1", 65000, "fd00::1")]
    public void Socket_address_uses_the_mapped_form_and_network_byte_order(string address, int port, string expected)
    {
        SockAddrIn6 sa = SockAddrIn6.From(System.Net.IPAddress.Parse(address), (ushort)port);
        Assert.Equal(Libc.AF_INET6, sa.Family);
        Assert.Equal((ushort)port, sa.Port);
        Assert.Equal((byte)(port >> 8), ((byte*)&sa)[2]);
        Assert.Equal(System.Net.IPAddress.Parse(expected), new System.Net.IPAddress(new ReadOnlySpan<byte>(sa.Address, 16)));
        Assert.Equal(System.Net.IPAddress.Parse(address), sa.ToIPAddress());
    }

    [Fact]
    public void Ipv4_socket_address_normalises_to_the_mapped_form_in_place()
    {
        SockAddrIn v4 = SockAddrIn6.FromIPv4(System.Net.IPAddress.Parse("198.19.77.2"), 9999);
        SockAddrIn6 storage = default;
        *(SockAddrIn*)&storage = v4;
        storage.NormalizeFromIPv4();
        Assert.Equal(Libc.AF_INET6, storage.Family);
        Assert.Equal(9999, storage.Port);
        Assert.Equal(System.Net.IPAddress.Parse("198.19.77.2"), storage.ToIPAddress());
    }

    [Fact]
    public void Errno_text_comes_from_the_c_library()
    {
        Assert.Equal("Operation not permitted", LinuxError.Describe(Errno.EPERM));
        var ex = new LinuxErrorException("bind x", Errno.EADDRINUSE);
        Assert.Equal(Errno.EADDRINUSE, ex.Errno);
        Assert.Contains("EADDRINUSE", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tun_ioctl_numbers_match_linux_if_tun_h()
    {
        // _IOW('T', 202, int): dir=1 << 30, size=4 << 16, type='T' << 8, nr.
        static ulong Iow(int nr) => (1UL << 30) | (4UL << 16) | ((ulong)'T' << 8) | (ulong)nr;
        Assert.Equal(Libc.TUNSETIFF, Iow(202));
        Assert.Equal(Libc.TUNSETOFFLOAD, Iow(208));
        Assert.Equal(Libc.TUNSETVNETHDRSZ, Iow(216));
    }
}
