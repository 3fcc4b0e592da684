using System.Buffers.Binary;
using System.Text;
using MptFast.Engine.Daemon;

namespace MptFast.Engine.Tests.Linux;

/// <summary>The rtnetlink link messages the link monitor reads (rtnetlink(7)): names, flags, deletions, and bad
/// datagrams that end the walk instead of throwing.</summary>
public class LinkEventReaderTests
{
    private const uint Running = 0x40;

    [Fact]
    public void Reads_each_link_message_with_its_name_and_flags()
    {
        byte[] datagram = [
            .. Message(LinkEventReader.NewLink, "veth1", LinkEventReader.Up | Running | LinkEventReader.LowerUp),
            .. Message(3, null, 0), // NLMSG_DONE: not a link message
            .. Message(LinkEventReader.NewLink, "ab", LinkEventReader.Up), // up without carrier; name padded to 4
            .. Message(LinkEventReader.DeleteLink, "wlan0", 0),
        ];

        var reader = new LinkEventReader(datagram);
        Assert.True(reader.MoveNext());
        Assert.Equal("veth1", Encoding.ASCII.GetString(reader.Name));
        Assert.True(reader.UpAndRunning);
        Assert.False(reader.Deleted);

        Assert.True(reader.MoveNext());
        Assert.Equal("ab", Encoding.ASCII.GetString(reader.Name));
        Assert.False(reader.UpAndRunning);

        Assert.True(reader.MoveNext());
        Assert.Equal("wlan0", Encoding.ASCII.GetString(reader.Name));
        Assert.True(reader.Deleted);
        Assert.False(reader.MoveNext());
    }

    [Fact]
    public void Carrier_without_admin_up_is_not_running()
    {
        var reader = new LinkEventReader(Message(LinkEventReader.NewLink, "eth0", LinkEventReader.LowerUp));
        Assert.True(reader.MoveNext());
        Assert.False(reader.UpAndRunning);
    }

    [Fact]
    public void A_link_message_without_a_name_is_skipped()
    {
        byte[] datagram = [.. Message(LinkEventReader.NewLink, null, LinkEventReader.Up), .. Message(LinkEventReader.NewLink, "lo", 0x10001)];
        var reader = new LinkEventReader(datagram);
        Assert.True(reader.MoveNext());
        Assert.Equal("lo", Encoding.ASCII.GetString(reader.Name));
        Assert.False(reader.MoveNext());
    }

    [Theory]
    [InlineData(8)] // shorter than the netlink header
    [InlineData(4096)] // longer than the datagram
    public void A_bad_message_length_ends_the_walk(int length)
    {
        byte[] datagram = [.. Message(LinkEventReader.NewLink, "veth1", 0x10001), .. Message(LinkEventReader.NewLink, "veth2", 0x10001)];
        int second = Message(LinkEventReader.NewLink, "veth1", 0x10001).Length;
        BinaryPrimitives.WriteUInt32LittleEndian(datagram.AsSpan(second), (uint)length);
        var reader = new LinkEventReader(datagram);
        Assert.True(reader.MoveNext());
        Assert.False(reader.MoveNext());
    }

    [Fact]
    public void Bad_attributes_and_truncated_datagrams_never_throw()
    {
        byte[] good = Message(LinkEventReader.NewLink, "veth1", 0x10001);
        for (int cut = 0; cut <= good.Length; cut++)
        {
            var reader = new LinkEventReader(good.AsSpan(0, cut));
            while (reader.MoveNext())
            {
            }
        }

        byte[] badAttribute = Message(LinkEventReader.NewLink, "veth1", 0x10001);
        BinaryPrimitives.WriteUInt16LittleEndian(badAttribute.AsSpan(LinkEventReader.HeaderLength + LinkEventReader.InfoLength), 2);
        Assert.False(new LinkEventReader(badAttribute).MoveNext());

        var rng = new Random(7);
        var noise = new byte[256];
        for (int i = 0; i < 2000; i++)
        {
            rng.NextBytes(noise);
            var reader = new LinkEventReader(noise);
            while (reader.MoveNext())
            {
            }
        }
    }

    /// <summary>One netlink message: header, ifinfomsg with <paramref name="flags"/>, an unrelated attribute (IFLA_MTU)
    /// and, unless null, IFLA_IFNAME with its NUL; every part padded to 4 bytes.</summary>
    private static byte[] Message(ushort type, string? name, uint flags)
    {
        var body = new List<byte>(new byte[LinkEventReader.InfoLength]);
        BinaryPrimitives.WriteUInt32LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(body)[8..], flags);
        AddAttribute(body, 4, BitConverter.GetBytes(1500)); // IFLA_MTU
        if (name is not null)
        {
            AddAttribute(body, LinkEventReader.Ifname, [.. Encoding.ASCII.GetBytes(name), 0]);
        }

        var message = new byte[LinkEventReader.HeaderLength + body.Count];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), type);
        body.CopyTo(message, LinkEventReader.HeaderLength);
        return message;
    }

    private static void AddAttribute(List<byte> body, ushort type, byte[] value)
    {
        var header = new byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(header, (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), type);
        body.AddRange(header);
        body.AddRange(value);
        while (body.Count % 4 != 0)
        {
            body.Add(0);
        }
    }
}
