namespace MptFast.Engine.Config;

/// <summary>A <c>[net_N]</c> section: an extra source/destination prefix pair carried by the connection (MPT-SPEC §5.6).</summary>
public sealed record NetworkConfig(int IpVer, IpPrefix Source, IpPrefix Destination);
