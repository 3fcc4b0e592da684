namespace MptFast.Engine.Config;

/// <summary>A whole config directory: <c>interface.conf</c>, the optional template and every connection (MPT-SPEC §5.1).</summary>
public sealed record MptConfig
{
    public InterfaceConfig Interface { get; init; } = new();

    /// <summary><c>connections/conf.template</c>; optional unless <c>accept_remote</c> is set (B77).</summary>
    public ConnectionConfig? Template { get; init; }

    /// <summary>Connections in file-name order (the original's readdir order is unspecified; we sort).</summary>
    public EquatableArray<ConnectionConfig> Connections { get; init; } = EquatableArray<ConnectionConfig>.Empty;
}
