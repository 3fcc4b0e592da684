using System.Text;
using MptFast.Engine.Wire;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Wire;

public class CliCodecTests
{
    private const string CommandLine = "path down 198.18.2.1 198.18.2.2";

    [Fact]
    public void Request_vector_decodes_to_the_command_line()
    {
        byte[] datagram = SharedFiles.LoadVector("cli-path-down-request");
        Assert.Equal(CommandLine.Length + 5, datagram.Length);
        Assert.Equal(CliStatus.Ok, CliCodec.DecodeRequest(datagram, out ReadOnlySpan<byte> text));
        Assert.Equal(CommandLine, Encoding.ASCII.GetString(text));
    }

    [Fact]
    public void Request_vector_is_rebuilt_byte_for_byte()
    {
        byte[] buffer = new byte[100];
        Assert.Equal(CliStatus.Ok, CliCodec.TryWriteRequest(buffer, CommandLine, out int written));
        Assert.Equal(SharedFiles.LoadVector("cli-path-down-request"), buffer[..written]);
    }

    [Fact]
    public void Reply_vector_decodes_as_ok_with_the_echoed_command()
    {
        Assert.Equal(CliStatus.Ok, CliCodec.DecodeReply(SharedFiles.LoadVector("cli-path-down-reply"), out CliReplyKind kind, out ReadOnlySpan<byte> text));
        Assert.Equal(CliReplyKind.Ok, kind);
        Assert.Equal(CommandLine, Encoding.ASCII.GetString(text));
    }

    [Fact]
    public void Reply_vector_is_rebuilt_byte_for_byte()
    {
        byte[] buffer = new byte[100];
        Assert.Equal(CliStatus.Ok, CliCodec.TryWriteReply(buffer, true, Encoding.ASCII.GetBytes(CommandLine), out int written));
        Assert.Equal(SharedFiles.LoadVector("cli-path-down-reply"), buffer[..written]);
    }

    [Fact]
    public void End_marker_vector_is_rebuilt_and_decoded()
    {
        byte[] buffer = new byte[8];
        int written = CliCodec.WriteEnd(buffer);
        Assert.Equal(SharedFiles.LoadVector("cli-reply-end"), buffer[..written]);
        Assert.Equal(CliStatus.Ok, CliCodec.DecodeReply(buffer.AsSpan(0, written), out CliReplyKind kind, out ReadOnlySpan<byte> text));
        Assert.Equal(CliReplyKind.End, kind);
        Assert.True(text.IsEmpty);
    }

    [Fact]
    public void Error_replies_use_the_hyphenated_prefix()
    {
        byte[] buffer = new byte[64];
        Assert.Equal(CliStatus.Ok, CliCodec.TryWriteReply(buffer, false, "no such path"u8, out int written));
        Assert.Equal("CMD-ERROR:no such path", Encoding.ASCII.GetString(buffer, 4, written - 4));
        Assert.Equal(CliStatus.Ok, CliCodec.DecodeReply(buffer.AsSpan(0, written), out CliReplyKind kind, out ReadOnlySpan<byte> text));
        Assert.Equal(CliReplyKind.Error, kind);
        Assert.Equal("no such path", Encoding.ASCII.GetString(text));
    }

    [Fact]
    public void Request_without_its_nul_is_rejected()
    {
        byte[] datagram = SharedFiles.LoadVector("cli-path-down-request")[..^1];
        Assert.Equal(CliStatus.MissingNul, CliCodec.DecodeRequest(datagram, out _));
        Assert.Equal(CliStatus.MissingNul, CliCodec.DecodeRequest(new byte[] { 0xA4, 0, 0, 0 }, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0xA4, 0, 0, 0, 0x70, 0xFF, 0x70, 0 })]        // invalid UTF-8
    [InlineData(new byte[] { 0xA4, 0, 0, 0, 0x70, 0xC3, 0 })]              // truncated UTF-8 sequence
    [InlineData(new byte[] { 0xA4, 0, 0, 0, 0x70, 0x00, 0x70, 0 })]        // NUL inside the text
    public void Request_with_invalid_text_is_rejected(byte[] datagram) =>
        Assert.Equal(CliStatus.InvalidText, CliCodec.DecodeRequest(datagram, out _));

    [Fact]
    public void Request_and_reply_with_other_codes_or_too_short_are_rejected()
    {
        Assert.Equal(CliStatus.WrongCommand, CliCodec.DecodeRequest(new byte[] { 0xA5, 0, 0, 0, 0 }, out _));
        Assert.Equal(CliStatus.WrongCommand, CliCodec.DecodeReply(new byte[] { 0xA2, 0, 0, 0 }, out _, out _));
        Assert.Equal(CliStatus.TooShort, CliCodec.DecodeRequest(new byte[] { 0xA4, 0, 0 }, out _));
        Assert.Equal(CliStatus.TooShort, CliCodec.DecodeReply(new byte[] { 0xA5 }, out _, out _));
        Assert.Equal(CliStatus.InvalidText, CliCodec.DecodeReply(new byte[] { 0xA4, 0, 0, 0, 0xC0, 0x80 }, out _, out _));
    }

    [Fact]
    public void Writers_report_small_destinations_and_embedded_nul()
    {
        Assert.Equal(CliStatus.DestinationTooSmall, CliCodec.TryWriteRequest(new byte[CommandLine.Length + 4], CommandLine, out _));
        Assert.Equal(CliStatus.InvalidText, CliCodec.TryWriteRequest(new byte[64], "show\0status", out _));
        Assert.Equal(CliStatus.DestinationTooSmall, CliCodec.TryWriteReply(new byte[10], true, "abcdef"u8, out _));
        Assert.Equal(CliStatus.InvalidText, CliCodec.TryWriteReply(new byte[64], true, [0x61, 0xFF], out _));
    }

    [Fact]
    public void Splitter_cuts_long_replies_into_bounded_datagrams_that_reassemble()
    {
        for (int seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            string text = RandomReply(random);
            byte[] utf8 = Encoding.UTF8.GetBytes(text);
            int max = CliReplySplitter.MinDatagramSize + random.Next(300);
            bool ok = random.Next(2) == 0;

            var splitter = new CliReplySplitter(ok, utf8, max);
            byte[] buffer = new byte[2048];
            var joined = new List<byte>();
            int count = 0;
            while (splitter.TryWriteNext(buffer, out int written))
            {
                Assert.True(written <= max, $"seed {seed}: {written} > {max}");
                Assert.True(CliCodec.DecodeReply(buffer.AsSpan(0, written), out CliReplyKind kind, out ReadOnlySpan<byte> part) == CliStatus.Ok, $"seed {seed}");
                Assert.True(count == 0 ? kind == (ok ? CliReplyKind.Ok : CliReplyKind.Error) : kind is CliReplyKind.Continuation or CliReplyKind.Ok or CliReplyKind.Error, $"seed {seed}");
                // Each datagram alone is valid UTF-8: no character was cut.
                joined.AddRange(count == 0 ? part.ToArray() : buffer[4..written]);
                count++;
                Assert.True(count < 10_000, $"seed {seed}: no progress");
            }

            Assert.True(utf8.AsSpan().SequenceEqual(joined.ToArray()), $"seed {seed}");
            Assert.True(count >= 1, $"seed {seed}");
        }
    }

    [Fact]
    public void Splitter_sends_a_short_or_empty_reply_as_one_datagram()
    {
        var splitter = new CliReplySplitter(true, ""u8, 64);
        byte[] buffer = new byte[64];
        Assert.True(splitter.TryWriteNext(buffer, out int written));
        Assert.Equal("CMD_OK:", Encoding.ASCII.GetString(buffer, 4, written - 4));
        Assert.False(splitter.TryWriteNext(buffer, out _));
    }

    [Fact]
    public void Splitter_prefers_to_cut_after_a_newline()
    {
        byte[] text = Encoding.ASCII.GetBytes("line one\nline two is longer\nthree\n");
        var splitter = new CliReplySplitter(true, text, 4 + 7 + 16);
        byte[] buffer = new byte[64];
        Assert.True(splitter.TryWriteNext(buffer, out int written));
        Assert.Equal("CMD_OK:line one\n", Encoding.ASCII.GetString(buffer, 4, written - 4));
        Assert.True(splitter.TryWriteNext(buffer, out written));
        Assert.Equal("line two is longer\n", Encoding.ASCII.GetString(buffer, 4, written - 4));
    }

    [Fact]
    public void Splitter_refuses_a_datagram_size_that_cannot_make_progress() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CliReplySplitter(true, "x"u8, CliReplySplitter.MinDatagramSize - 1));

    private static string RandomReply(Random random)
    {
        string[] pieces = ["Connection ", "path_0 ", "198.18.1.1", " → ", "\n", "状态 ", "🙂", "status 0x00", "\n", "x"];
        var sb = new StringBuilder();
        int n = random.Next(0, 400);
        for (int i = 0; i < n; i++)
        {
            sb.Append(pieces[random.Next(pieces.Length)]);
        }

        return sb.ToString();
    }
}
