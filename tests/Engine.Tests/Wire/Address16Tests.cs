using System.Net;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Wire;

public class Address16Tests
{
    [Fact]
    public void Ipv4_is_written_as_ipv4_mapped_ipv6()
    {
        byte[] bytes = new byte[16];
        Address16.Write(IPAddress.Parse("198.19.0.1"), bytes);
        Assert.Equal(Convert.FromHexString("00000000000000000000FFFFC6130001"), bytes);
        Assert.True(Address16.Read(bytes).IsIPv4Mapped);
    }

    [Fact]
    public void Ipv6_is_written_byte_for_byte()
    {
        Address16 address = Address16.FromIPAddress(IPAddress.Parse("fd00:ff::2"));
        byte[] bytes = new byte[16];
        address.WriteTo(bytes);
        Assert.Equal(Convert.FromHexString("FD0000FF000000000000000000000002"), bytes);
        Assert.False(address.IsIPv4Mapped);
    }

    [Theory]
    [InlineData("198.18.2.1")]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("fd00:1::1")]
    [InlineData("::")]
    [InlineData("2001:db8::ffff:1")]
    public void Conversion_round_trips_through_ipaddress(string text)
    {
        IPAddress ip = IPAddress.Parse(text);
        Address16 address = Address16.FromIPAddress(ip);
        Assert.Equal(ip, address.ToIPAddress());
        Assert.Equal(ip.ToString(), address.ToString());
    }

    [Fact]
    public void Ipv4_given_as_raw_bytes_equals_the_ipaddress_form()
    {
        Assert.Equal(Address16.FromIPAddress(IPAddress.Parse("198.19.0.2")), Address16.FromIPv4([198, 19, 0, 2]));
    }

    [Fact]
    public void Equality_compares_all_sixteen_bytes()
    {
        byte[] a = Convert.FromHexString("00000000000000000000FFFFC6130001");
        byte[] b = (byte[])a.Clone();
        Assert.True(Address16.SpanEquals(a, b));
        Assert.True(Address16.Read(a).Matches(b));
        Assert.True(Address16.Read(a) == Address16.Read(b));
        for (int i = 0; i < 16; i++)
        {
            b[i] ^= 0x01;
            Assert.False(Address16.SpanEquals(a, b), $"byte {i}");
            Assert.False(Address16.Read(a).Matches(b), $"byte {i}");
            Assert.NotEqual(Address16.Read(a), Address16.Read(b));
            b[i] ^= 0x01;
        }
    }

    [Fact]
    public void Span_equality_is_false_for_short_spans_instead_of_throwing()
    {
        Assert.False(Address16.SpanEquals(new byte[16], new byte[15]));
        Assert.False(Address16.Any.Matches(new byte[8]));
    }
}
