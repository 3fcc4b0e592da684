namespace MptFast.Engine.Wire;

/// <summary>Result of <see cref="ControlCodec.Decode"/>: <see cref="Ok"/> or why the message was rejected.</summary>
public enum ControlStatus : byte
{
    /// <summary>Valid header and body length.</summary>
    Ok = 0,

    /// <summary>Shorter than sh + 40 bytes (B56), or than the 4 bytes needed to find sh.</summary>
    Truncated,

    /// <summary>Command byte is not 0xA1/0xA2/0xA3 (CLI codes 0xA4/0xA5 are decoded by <see cref="CliCodec"/>).</summary>
    UnknownCommand,

    /// <summary>Auth type byte is not 0, 1 or 2.</summary>
    BadAuthType,

    /// <summary>CONNECTION CREATE without SHA-256 (MPT-SPEC §4.3: always type 2; B43).</summary>
    CreateRequiresSha256,

    /// <summary>Round outside 1..4 for a handshake command.</summary>
    BadRound,

    /// <summary>IP version byte is not 4 or 6.</summary>
    BadIpVersion,

    /// <summary>Body length does not fit the round (B56): rounds 1/2 carry 4 bytes, a status-change round 3 32, its round 4 none.</summary>
    BadBodyLength,
}

/// <summary>Result of the <see cref="ControlCodec"/> encoders.</summary>
public enum ControlEncodeStatus : byte
{
    /// <summary>Written.</summary>
    Ok = 0,

    /// <summary>The destination cannot hold header + body.</summary>
    DestinationTooSmall,

    /// <summary>Auth type is not 0, 1 or 2, or CONNECTION CREATE without SHA-256.</summary>
    BadAuthType,
}

/// <summary>Result of <see cref="ControlAuth.Verify"/>.</summary>
public enum ControlAuthStatus : byte
{
    /// <summary>Authentic (or nothing to check for types 0 and 1).</summary>
    Ok = 0,

    /// <summary>Too short to hold the auth block and header.</summary>
    Truncated,

    /// <summary>Auth type is not 0, 1 or 2.</summary>
    BadAuthType,

    /// <summary>SHA-256 digest differs.</summary>
    DigestMismatch,
}
