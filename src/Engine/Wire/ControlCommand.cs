namespace MptFast.Engine.Wire;

/// <summary>MPT command codes (MPT-SPEC §4.3, Appendix A). A byte on the wire; the enum is open.</summary>
public enum ControlCommand : byte
{
    /// <summary>Path liveness beacon (data port inside GRE; accepted on the command port).</summary>
    Keepalive = 0xA1,

    /// <summary>Tell the peer a path went up/down (four-round handshake, §4.6).</summary>
    PathStatusChange = 0xA2,

    /// <summary>Ask the peer to create the mirror connection (four rounds, always SHA-256, §4.7).</summary>
    ConnectionCreate = 0xA3,

    /// <summary>CLI request and daemon reply text (loopback, §4.8).</summary>
    LocalReply = 0xA4,

    /// <summary>End of a daemon reply (loopback, §4.8).</summary>
    LocalReplyEnd = 0xA5,
}

/// <summary>Control-message authentication (MPT-SPEC §4.4). A byte on the wire.</summary>
public enum ControlAuthType : byte
{
    /// <summary>No auth block (sh = 0).</summary>
    None = 0,

    /// <summary>Token only (sh = 4).</summary>
    Random = 1,

    /// <summary>Token + SHA-256 digest (sh = 36).</summary>
    Sha256 = 2,
}
