namespace MptFast.Engine.Wire;

/// <summary>Result of the <see cref="CliCodec"/> encoders and decoders.</summary>
public enum CliStatus : byte
{
    /// <summary>Valid / written.</summary>
    Ok = 0,

    /// <summary>Shorter than the 4-byte header (or, for a request, than header + NUL).</summary>
    TooShort,

    /// <summary>First byte is not the expected code (0xA4 request; 0xA4/0xA5 reply).</summary>
    WrongCommand,

    /// <summary>A request without its terminating NUL.</summary>
    MissingNul,

    /// <summary>Text is not valid UTF-8 (ASCII in practice) or contains a NUL.</summary>
    InvalidText,

    /// <summary>The destination cannot hold the datagram.</summary>
    DestinationTooSmall,
}

/// <summary>What a daemon → CLI datagram is (MPT-SPEC §4.8, B64).</summary>
public enum CliReplyKind : byte
{
    /// <summary><c>CMD_OK:</c> + text (first datagram of a successful reply).</summary>
    Ok = 0,

    /// <summary><c>CMD-ERROR:</c> + text (first datagram of a failed reply).</summary>
    Error,

    /// <summary>0xA4 text without a prefix: a continuation of a reply split over several datagrams.</summary>
    Continuation,

    /// <summary>0xA5: end of the reply.</summary>
    End,
}
