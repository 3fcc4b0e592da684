namespace MptFast.Engine.Config;

/// <summary>
/// Path status values (MPT-SPEC §8.1). Any other configured value behaves like a down state
/// without keepalives, so the enum is open: it is a byte on the wire and in config files.
/// </summary>
public enum PathStatus : byte
{
    /// <summary>Usable: scheduled and sending keepalives.</summary>
    Ok = 0x00,

    /// <summary>Down by dead timer or peer message; keeps sending keepalives and recovers on the first one received.</summary>
    Down = 0x80,

    /// <summary>Interface down (<c>mpt int IF down</c> or link monitoring).</summary>
    InterfaceDown = 0x81,

    /// <summary>Address down (never set by the original).</summary>
    AddressDown = 0x82,

    /// <summary>Manually down (<c>mpt path down</c>); no keepalives, no automatic recovery.</summary>
    ManualDown = 0x83,

    /// <summary>Disabled in the config.</summary>
    Disabled = 0xFF,
}
