using System.Buffers.Binary;
using System.Net;
using MptFast.Engine.Config;
using MptFast.Engine.Daemon;
using Xunit;

namespace MptFast.Engine.Tests.Linux;

/// <summary>
/// Routes over rtnetlink (issue 15: no <c>ip</c> process per route while a server takes a hundred creates). The requests
/// are byte for byte what iproute2 sends (captured with <c>strace -e sendmsg ip route …</c>: the same header flags,
/// rtmsg fields and attribute order), and in a network namespace they do what <c>ip route</c> does, with its error texts.
/// </summary>
public sealed class RouteNetlinkTests
{
    private static IpPrefix P(string text)
    {
        string[] parts = text.Split('/');
        return new IpPrefix(IPAddress.Parse(parts[0]), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static byte[] Encode(RouteNetlink.Verb verb, string destination, string? via, uint index, uint sequence = 7)
    {
        var buffer = new byte[RouteNetlink.MaxRequestLength];
        int n = RouteNetlink.Encode(buffer, verb, P(destination), via is null ? null : IPAddress.Parse(via), index, sequence);
        Assert.True(n > 0);
        return buffer[..n];
    }

    // nlmsghdr, rtmsg and attributes as strace printed ip's own request.
    private static byte[] Expected(ushort type, ushort flags, byte dstLen, byte protocol, byte scope, byte rtType, params (ushort Type, byte[] Value)[] attributes)
    {
        var bytes = new List<byte>();
        int length = 16 + 12 + attributes.Sum(a => 4 + a.Value.Length);
        bytes.AddRange(BitConverter.GetBytes((uint)length));
        bytes.AddRange(BitConverter.GetBytes(type));
        bytes.AddRange(BitConverter.GetBytes(flags));
        bytes.AddRange(BitConverter.GetBytes(7u)); // sequence
        bytes.AddRange(BitConverter.GetBytes(0u)); // port id: the kernel's
        bytes.AddRange([2, dstLen, 0, 0, 254, protocol, scope, rtType, 0, 0, 0, 0]);
        foreach ((ushort t, byte[] v) in attributes)
        {
            bytes.AddRange(BitConverter.GetBytes((ushort)(4 + v.Length)));
            bytes.AddRange(BitConverter.GetBytes(t));
            bytes.AddRange(v);
        }

        return [.. bytes];
    }

    [Fact]
    public void ReplaceViaGatewayIsWhatIpSends()
    {
        // ip route replace 198.18.5.0/24 via 198.18.1.254 dev d0: RTM_NEWROUTE, REQUEST|ACK|REPLACE|CREATE, boot, universe.
        byte[] expected = Expected(24, 0x1 | 0x4 | 0x100 | 0x400, 24, 3, 0, 1,
            (1, [198, 18, 5, 0]), (5, [198, 18, 1, 254]), (4, BitConverter.GetBytes(3u)));
        Assert.Equal(expected, Encode(RouteNetlink.Verb.Replace, "198.18.5.0/24", "198.18.1.254", 3));
    }

    [Fact]
    public void AddWithoutGatewayIsALinkScopeRouteAsIpSendsIt()
    {
        // ip route add 198.18.7.7/32 dev d0: REQUEST|ACK|EXCL|CREATE, scope link.
        byte[] expected = Expected(24, 0x1 | 0x4 | 0x200 | 0x400, 32, 3, 253, 1, (1, [198, 18, 7, 7]), (4, BitConverter.GetBytes(3u)));
        Assert.Equal(expected, Encode(RouteNetlink.Verb.Add, "198.18.7.7/32", null, 3));
    }

    [Fact]
    public void DeleteMatchesAnyProtocolScopeAndTypeAsIpSendsIt()
    {
        // ip route del 198.18.5.0/24 via 198.18.1.254 dev d0: RTM_DELROUTE, REQUEST|ACK, unspec protocol, scope nowhere.
        byte[] expected = Expected(25, 0x1 | 0x4, 24, 0, 255, 0,
            (1, [198, 18, 5, 0]), (5, [198, 18, 1, 254]), (4, BitConverter.GetBytes(3u)));
        Assert.Equal(expected, Encode(RouteNetlink.Verb.Delete, "198.18.5.0/24", "198.18.1.254", 3));
    }

    [Fact]
    public void Ipv6RouteCarriesSixteenByteAddressesAndMappedIpv4IsPlainIpv4()
    {
        byte[] v6 = Encode(RouteNetlink.Verb.Replace, "fd00:5::/64", "fd00:1::fe", 9);
        Assert.Equal(10, v6[16]); // AF_INET6
        Assert.Equal(64, v6[17]);
        Assert.Equal(16 + 12 + 20 + 20 + 8, v6.Length);
        Assert.Equal(IPAddress.Parse("fd00:5::").GetAddressBytes(), v6[32..48]);
        Assert.Equal(IPAddress.Parse("fd00:1::fe").GetAddressBytes(), v6[52..68]);

        var buffer = new byte[RouteNetlink.MaxRequestLength];
        int n = RouteNetlink.Encode(buffer, RouteNetlink.Verb.Add, new IpPrefix(IPAddress.Parse("198.18.7.7").MapToIPv6(), 128), null, 3, 7);
        Assert.Equal(Encode(RouteNetlink.Verb.Add, "198.18.7.7/32", null, 3), buffer[..n]);
    }

    [Fact]
    public void GatewayOfTheOtherFamilyIsLeftToIp()
    {
        var buffer = new byte[RouteNetlink.MaxRequestLength];
        Assert.Equal(-1, RouteNetlink.Encode(buffer, RouteNetlink.Verb.Add, P("198.18.5.0/24"), IPAddress.Parse("fd00::1"), 3, 1));
    }

    [Fact]
    public void AcknowledgementIsFoundByItsSequenceAndMalformedRepliesGiveNone()
    {
        static byte[] Ack(uint sequence, int error, int extra = 16)
        {
            var m = new byte[16 + 4 + extra];
            BinaryPrimitives.WriteUInt32LittleEndian(m, (uint)m.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(4), RouteNetlink.MessageError);
            BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(8), sequence);
            BinaryPrimitives.WriteInt32LittleEndian(m.AsSpan(16), error);
            return m;
        }

        Assert.Equal(0, RouteNetlink.ReadAcknowledgement(Ack(5, 0), 5));
        Assert.Equal(17, RouteNetlink.ReadAcknowledgement(Ack(5, -17), 5)); // EEXIST
        Assert.Null(RouteNetlink.ReadAcknowledgement(Ack(4, -17), 5));
        Assert.Equal(3, RouteNetlink.ReadAcknowledgement([.. Ack(4, -17), .. Ack(5, -3)], 5)); // the second message
        byte[] bad = Ack(5, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bad, 500); // longer than the datagram
        Assert.Null(RouteNetlink.ReadAcknowledgement(bad, 5));
        BinaryPrimitives.WriteUInt32LittleEndian(bad, 8); // shorter than a header
        Assert.Null(RouteNetlink.ReadAcknowledgement(bad, 5));
        Assert.Null(RouteNetlink.ReadAcknowledgement(Ack(5, 0)[..10], 5));
    }

    [RootFact]
    public void InANamespaceRoutesAreAddedReplacedAndDeletedWithIpsErrorTexts()
    {
        using NetworkNamespace ns = NetworkNamespace.Create($"mfrt{Environment.ProcessId % 100000}");
        ns.Links.Run("link", "add", "r0", "type", "veth", "peer", "name", "r1").ThrowIfFailed();
        ns.Links.SetUp("r0").ThrowIfFailed();
        ns.Links.SetUp("r1").ThrowIfFailed();
        ns.Links.AddAddress("r0", P("198.18.1.1/24")).ThrowIfFailed();
        ns.Links.AddAddress("r0", P("fd00:1::1/64")).ThrowIfFailed();

        // The daemon's configurator (no namespace name) takes rtnetlink in the namespace its thread is in.
        var link = new LinkConfigurator();
        LinkCommandResult first = ns.Run(() => link.AddRoute(P("198.18.7.7/32"), null, "r0"));
        Assert.True(first.Succeeded, first.ToString());
        Assert.StartsWith("rtnetlink:", first.CommandLine, StringComparison.Ordinal);
        LinkCommandResult again = ns.Run(() => link.AddRoute(P("198.18.7.7/32"), null, "r0"));
        Assert.True(again.AlreadyExists, again.ToString());
        Assert.Equal("RTNETLINK answers: File exists", again.StandardError);

        Assert.True(ns.Run(() => link.ReplaceRoute(P("198.18.5.0/24"), IPAddress.Parse("198.18.1.254"), "r0")).Succeeded);
        Assert.True(ns.Run(() => link.ReplaceRoute(P("198.18.5.0/24"), IPAddress.Parse("198.18.1.253"), "r0")).Succeeded);
        Assert.True(ns.Run(() => link.ReplaceRoute(P("fd00:5::/64"), IPAddress.Parse("fd00:1::fe"), "r0")).Succeeded);

        // Printed exactly as ip's own routes: no "proto" (boot is ip's and is not shown), scope link without a gateway.
        string table = RouteTable(ns, "-4");
        Assert.Contains("198.18.7.7 dev r0 scope link", table, StringComparison.Ordinal);
        Assert.Contains("198.18.5.0/24 via 198.18.1.253 dev r0 \n", table, StringComparison.Ordinal);
        Assert.DoesNotContain("198.18.1.254", table, StringComparison.Ordinal);
        Assert.Contains("fd00:5::/64 via fd00:1::fe dev r0 metric", RouteTable(ns, "-6"), StringComparison.Ordinal);

        Assert.True(ns.Run(() => link.DeleteRoute(P("198.18.5.0/24"), IPAddress.Parse("198.18.1.253"), "r0")).Succeeded);
        Assert.True(ns.Run(() => link.DeleteRoute(P("198.18.7.7/32"), null, "r0")).Succeeded);
        Assert.True(ns.Run(() => link.DeleteRoute(P("fd00:5::/64"), IPAddress.Parse("fd00:1::fe"), "r0")).Succeeded);
        table = RouteTable(ns, "-4");
        Assert.DoesNotContain("198.18.5.0", table, StringComparison.Ordinal);
        Assert.DoesNotContain("198.18.7.7", table, StringComparison.Ordinal);
        Assert.DoesNotContain("fd00:5::", RouteTable(ns, "-6"), StringComparison.Ordinal);

        LinkCommandResult missing = ns.Run(() => link.DeleteRoute(P("198.18.7.7/32"), null, "r0"));
        Assert.False(missing.Succeeded);
        Assert.Equal("RTNETLINK answers: No such process", missing.StandardError);
        LinkCommandResult noDevice = ns.Run(() => link.ReplaceRoute(P("198.18.7.7/32"), null, "r9"));
        Assert.False(noDevice.Succeeded);
        Assert.Equal("Cannot find device \"r9\"", noDevice.StandardError);
        LinkCommandResult unreachable = ns.Run(() => link.AddRoute(P("198.18.9.0/24"), IPAddress.Parse("198.18.200.1"), "r0"));
        Assert.False(unreachable.Succeeded); // the gateway is not on r0's subnet: the kernel refuses, as for ip
        Assert.StartsWith("RTNETLINK answers: ", unreachable.StandardError, StringComparison.Ordinal);
    }

    private static string RouteTable(NetworkNamespace ns, string family)
    {
        var start = new System.Diagnostics.ProcessStartInfo("ip") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in (string[])["-n", ns.Name, family, "route", "show"])
        {
            start.ArgumentList.Add(a);
        }

        using var p = System.Diagnostics.Process.Start(start)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
