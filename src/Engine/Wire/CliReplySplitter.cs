namespace MptFast.Engine.Wire;

/// <summary>
/// Cuts a long daemon reply into several 0xA4 datagrams of at most a given size (B64); the first carries the
/// <c>CMD_OK:</c>/<c>CMD-ERROR:</c> prefix, the rest only text. Cuts after a newline when one lies in the second
/// half of a chunk, otherwise at a UTF-8 character boundary. Send <see cref="CliCodec.WriteEnd"/> afterwards.
/// </summary>
public ref struct CliReplySplitter
{
    /// <summary>Smallest datagram size that always makes progress: header + the longer prefix + one 4-byte character.</summary>
    public const int MinDatagramSize = CliCodec.HeaderLength + 10 + 4;

    private readonly ReadOnlySpan<byte> _text;
    private readonly bool _ok;
    private readonly int _maxDatagramSize;
    private int _position;
    private bool _started;

    /// <summary>Starts splitting <paramref name="utf8Text"/> (valid UTF-8 without NUL) into datagrams of ≤ <paramref name="maxDatagramSize"/> bytes.</summary>
    public CliReplySplitter(bool ok, ReadOnlySpan<byte> utf8Text, int maxDatagramSize)
    {
        if (maxDatagramSize < MinDatagramSize)
        {
            WireThrow.OutOfRange(nameof(maxDatagramSize), $"must be at least {MinDatagramSize}");
        }

        _ok = ok;
        _text = utf8Text;
        _maxDatagramSize = maxDatagramSize;
        _position = 0;
        _started = false;
    }

    /// <summary>Writes the next datagram into <paramref name="destination"/>; false when the reply is complete.</summary>
    public bool TryWriteNext(Span<byte> destination, out int written)
    {
        written = 0;
        if (_started && _position >= _text.Length)
        {
            return false;
        }

        int limit = Math.Min(_maxDatagramSize, destination.Length);
        ReadOnlySpan<byte> prefix = _started ? default : (_ok ? CliCodec.OkPrefix : CliCodec.ErrorPrefix);
        int room = limit - CliCodec.HeaderLength - prefix.Length;
        ReadOnlySpan<byte> rest = _text[_position..];
        if (room < 0 || (room < 4 && rest.Length > room))
        {
            WireThrow.SpanTooShort(nameof(destination), CliCodec.HeaderLength + prefix.Length + 4);
        }

        int take = rest.Length <= room ? rest.Length : CutPoint(rest, room);
        CliCodec.WriteHeader(destination, ControlCommand.LocalReply);
        prefix.CopyTo(destination[CliCodec.HeaderLength..]);
        rest[..take].CopyTo(destination[(CliCodec.HeaderLength + prefix.Length)..]);
        written = CliCodec.HeaderLength + prefix.Length + take;
        _position += take;
        _started = true;
        return true;
    }

    private static int CutPoint(ReadOnlySpan<byte> rest, int room)
    {
        int newline = rest[..room].LastIndexOf((byte)'\n');
        if (newline >= room / 2)
        {
            return newline + 1;
        }

        // Back off over UTF-8 continuation bytes (10xxxxxx) so no character is split.
        int cut = room;
        while (cut > 0 && (rest[cut] & 0xC0) == 0x80)
        {
            cut--;
        }

        return cut > 0 ? cut : room;
    }
}
