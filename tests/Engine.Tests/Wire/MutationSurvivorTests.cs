using System.Buffers.Binary;
using System.Text;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Wire;

/// <summary>
/// Boundaries that Stryker.NET's first run on Wire/ showed no test pinned down (docs/MUTATION.md): each test here
/// fails against at least one mutant that survived the rest of the suite.
/// </summary>
public sealed class MutationSurvivorTests
{
    [Fact]
    public void A_header_only_inner_packet_is_exactly_as_long_as_it_says_and_accepted()
    {
        // 20-byte IPv4 header with total length 20; 40-byte IPv6 header with payload length 0 (B04: length = payload).
        byte[] v4 = new byte[4 + 20];
        v4[2] = 0x08;
        v4[4] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(v4.AsSpan(6), 20);
        byte[] v6 = new byte[4 + 40];
        BinaryPrimitives.WriteUInt16BigEndian(v6.AsSpan(2), GreCodec.ProtocolIPv6);
        v6[4] = 0x60;

        Assert.Equal(GreStatus.Ok, GreCodec.Decode(v4, out GreFrame f4));
        Assert.Equal(20, f4.PayloadLength);
        Assert.Equal(GreStatus.Ok, GreCodec.Decode(v6, out GreFrame f6));
        Assert.Equal(40, f6.PayloadLength);
        Assert.Equal(GreStatus.BadInnerLength, GreCodec.Decode(v4.AsSpan(0, 23), out _));
    }

    [Fact]
    public void Without_the_k_bit_the_key_is_zero_whatever_the_first_bytes_are()
    {
        byte[] d = new byte[4 + 20];
        d[0] = GreCodec.FlagSequence;
        d[2] = 0x08;
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(4), 0x45000014); // sequence; a key read from offset 0 would be non-zero
        Array.Resize(ref d, 8 + 20);
        d[8] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(10), 20);

        Assert.Equal(GreStatus.Ok, GreCodec.Decode(d, out GreFrame frame));
        Assert.False(frame.HasKey);
        Assert.Equal(0u, frame.Key);
        Assert.Equal(0x45000014u, frame.Sequence);
    }

    [Fact]
    public void A_short_body_yields_no_announced_length_and_no_path_status_addresses()
    {
        var header = new ControlHeader { Command = ControlCommand.PathStatusChange, AuthType = ControlAuthType.None, Round = 3, IpVersion = 4, BodyLength = 3 };
        byte[] message = new byte[ControlCodec.FixedHeaderLength + 3];

        Assert.Equal(0u, ControlCodec.ReadAnnouncedLength(message, header));
        Assert.False(ControlCodec.TryReadPathStatusBody(message, header, out _, out _));

        // A header that claims a full body over a message cut short must not be read past its end either.
        var claims = header with { BodyLength = ControlCodec.PathStatusBodyLength };
        Assert.False(ControlCodec.TryReadPathStatusBody(new byte[ControlCodec.FixedHeaderLength + 31], claims, out _, out _));
        Assert.True(ControlCodec.TryReadPathStatusBody(new byte[ControlCodec.FixedHeaderLength + 32], claims, out _, out _));
    }

    [Fact]
    public void Key_derivation_overwrites_the_whole_destination_and_takes_32_bytes_of_utf8()
    {
        byte[] key = [.. Enumerable.Repeat((byte)0xEE, ControlAuth.KeyLength)];
        ControlAuth.DeriveKey("short", key);
        Assert.Equal([.. "short"u8, .. new byte[ControlAuth.KeyLength - 5]], key); // B47: zero-padded, nothing left over

        // 40 two-byte characters: the first 32 bytes of their UTF-8, not 32 characters (64 bytes) and no overrun.
        string wide = new('é', 40);
        Assert.Equal(Encoding.UTF8.GetBytes(wide).AsSpan(0, ControlAuth.KeyLength).ToArray(), ControlAuth.DeriveKey(wide));
    }

    [Fact]
    public void Apply_without_a_digest_still_requires_a_whole_header()
    {
        Assert.True(ControlAuth.Apply(new byte[40], ControlAuthType.None, default));
        Assert.False(ControlAuth.Apply(new byte[39], ControlAuthType.None, default));
        Assert.True(ControlAuth.Apply(new byte[44], ControlAuthType.Random, default));
        Assert.False(ControlAuth.Apply(new byte[43], ControlAuthType.Random, default));
        Assert.False(ControlAuth.Apply(new byte[80], (ControlAuthType)3, default));
    }

    [Fact]
    public void Cli_writers_fill_a_destination_of_exactly_the_needed_size()
    {
        Assert.Equal(CliStatus.Ok, CliCodec.TryWriteRequest(new byte[4 + 11 + 1], "show status", out int request));
        Assert.Equal(16, request);
        Assert.Equal(CliStatus.Ok, CliCodec.TryWriteReply(new byte[4 + 7 + 2], ok: true, "hi"u8, out int reply));
        Assert.Equal(13, reply);
        Assert.Equal(4, CliCodec.WriteEnd(new byte[4]));
    }

    [Fact]
    public void The_splitter_accepts_its_minimum_size_and_never_cuts_a_character()
    {
        // The smallest size, and a text of 4-byte characters that never fits a datagram evenly: every datagram must
        // end on a character boundary and the pieces must reassemble.
        string text = string.Concat(Enumerable.Repeat("a😀", 40));
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        foreach (int size in new[] { CliReplySplitter.MinDatagramSize, CliReplySplitter.MinDatagramSize + 1, CliReplySplitter.MinDatagramSize + 2 })
        {
            var splitter = new CliReplySplitter(ok: false, utf8, size);
            var joined = new List<byte>();
            byte[] datagram = new byte[size];
            bool first = true;
            while (splitter.TryWriteNext(datagram, out int written))
            {
                Assert.InRange(written, CliCodec.HeaderLength + 1, size);
                byte[] piece = datagram.AsSpan(CliCodec.HeaderLength + (first ? CliCodec.ErrorPrefix.Length : 0), written - CliCodec.HeaderLength - (first ? CliCodec.ErrorPrefix.Length : 0)).ToArray();
                Assert.True(System.Text.Unicode.Utf8.IsValid(piece), $"size {size}: a datagram ends inside a character");
                joined.AddRange(piece);
                first = false;
            }

            Assert.Equal(utf8, joined);
        }
    }
}
