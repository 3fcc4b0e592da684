using System.Text;
using System.Text.Unicode;

namespace MptFast.Engine.Wire;

/// <summary>
/// CLI ⇄ daemon datagrams on the loopback command port (MPT-SPEC §4.8): request <c>A4 00 00 00</c> + text + NUL;
/// reply <c>A4 00 00 00</c> + <c>CMD_OK:</c>/<c>CMD-ERROR:</c> + text (no NUL); end marker <c>A5 00 00 00</c>.
/// Bytes 1..3 are written as zero and ignored on receive.
/// </summary>
public static class CliCodec
{
    /// <summary>Code + three zero bytes.</summary>
    public const int HeaderLength = 4;

    /// <summary>Prefix of a successful reply (underscore).</summary>
    public static ReadOnlySpan<byte> OkPrefix => "CMD_OK:"u8;

    /// <summary>Prefix of a failed reply (hyphen: the original's spelling).</summary>
    public static ReadOnlySpan<byte> ErrorPrefix => "CMD-ERROR:"u8;

    /// <summary>Writes a request: header, UTF-8 command line, NUL (length = text + 5).</summary>
    public static CliStatus TryWriteRequest(Span<byte> destination, ReadOnlySpan<char> commandLine, out int written)
    {
        written = 0;
        if (commandLine.Contains('\0'))
        {
            return CliStatus.InvalidText;
        }

        int textLength = Encoding.UTF8.GetByteCount(commandLine);
        if (destination.Length < HeaderLength + textLength + 1)
        {
            return CliStatus.DestinationTooSmall;
        }

        WriteHeader(destination, ControlCommand.LocalReply);
        int n = Encoding.UTF8.GetBytes(commandLine, destination[HeaderLength..]);
        destination[HeaderLength + n] = 0;
        written = HeaderLength + n + 1;
        return CliStatus.Ok;
    }

    /// <summary>Decodes a request: code 0xA4, a terminating NUL, UTF-8 text without NUL. <paramref name="commandLine"/> excludes the NUL.</summary>
    public static CliStatus DecodeRequest(ReadOnlySpan<byte> datagram, out ReadOnlySpan<byte> commandLine)
    {
        commandLine = default;
        if (datagram.Length < HeaderLength)
        {
            return CliStatus.TooShort;
        }

        if (datagram[0] != (byte)ControlCommand.LocalReply)
        {
            return CliStatus.WrongCommand;
        }

        if (datagram.Length == HeaderLength || datagram[^1] != 0)
        {
            return CliStatus.MissingNul;
        }

        ReadOnlySpan<byte> text = datagram[HeaderLength..^1];
        if (!IsValidText(text))
        {
            return CliStatus.InvalidText;
        }

        commandLine = text;
        return CliStatus.Ok;
    }

    /// <summary>Writes a one-datagram reply (prefix + text, no NUL). Use <see cref="CliReplySplitter"/> for long replies.</summary>
    public static CliStatus TryWriteReply(Span<byte> destination, bool ok, ReadOnlySpan<byte> utf8Text, out int written)
    {
        written = 0;
        ReadOnlySpan<byte> prefix = ok ? OkPrefix : ErrorPrefix;
        if (!IsValidText(utf8Text))
        {
            return CliStatus.InvalidText;
        }

        if (destination.Length < HeaderLength + prefix.Length + utf8Text.Length)
        {
            return CliStatus.DestinationTooSmall;
        }

        WriteHeader(destination, ControlCommand.LocalReply);
        prefix.CopyTo(destination[HeaderLength..]);
        utf8Text.CopyTo(destination[(HeaderLength + prefix.Length)..]);
        written = HeaderLength + prefix.Length + utf8Text.Length;
        return CliStatus.Ok;
    }

    /// <summary>Writes the 4-byte end marker <c>A5 00 00 00</c>; returns its length.</summary>
    public static int WriteEnd(Span<byte> destination)
    {
        if (destination.Length < HeaderLength)
        {
            WireThrow.SpanTooShort(nameof(destination), HeaderLength);
        }

        WriteHeader(destination, ControlCommand.LocalReplyEnd);
        return HeaderLength;
    }

    /// <summary>
    /// Decodes a daemon → CLI datagram: 0xA5 → <see cref="CliReplyKind.End"/>; 0xA4 → Ok/Error by prefix
    /// (text after the prefix), else <see cref="CliReplyKind.Continuation"/> (B64). Text must be UTF-8 without NUL.
    /// </summary>
    public static CliStatus DecodeReply(ReadOnlySpan<byte> datagram, out CliReplyKind kind, out ReadOnlySpan<byte> text)
    {
        kind = default;
        text = default;
        if (datagram.Length < HeaderLength)
        {
            return CliStatus.TooShort;
        }

        if (datagram[0] == (byte)ControlCommand.LocalReplyEnd)
        {
            kind = CliReplyKind.End;
            return CliStatus.Ok;
        }

        if (datagram[0] != (byte)ControlCommand.LocalReply)
        {
            return CliStatus.WrongCommand;
        }

        ReadOnlySpan<byte> body = datagram[HeaderLength..];
        if (!IsValidText(body))
        {
            return CliStatus.InvalidText;
        }

        if (body.StartsWith(OkPrefix))
        {
            kind = CliReplyKind.Ok;
            text = body[OkPrefix.Length..];
        }
        else if (body.StartsWith(ErrorPrefix))
        {
            kind = CliReplyKind.Error;
            text = body[ErrorPrefix.Length..];
        }
        else
        {
            kind = CliReplyKind.Continuation;
            text = body;
        }

        return CliStatus.Ok;
    }

    internal static void WriteHeader(Span<byte> destination, ControlCommand code)
    {
        destination[0] = (byte)code;
        destination[1] = 0;
        destination[2] = 0;
        destination[3] = 0;
    }

    private static bool IsValidText(ReadOnlySpan<byte> text) => !text.Contains((byte)0) && Utf8.IsValid(text);
}
