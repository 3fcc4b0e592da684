using System.Net;

namespace MptFast.Engine.Classify;

/// <summary>
/// One <c>[net_N]</c> entry as the matcher sees it: a source and a destination prefix of the same
/// family (MPT-SPEC §5.6). Host bits in the addresses are masked off (B17).
/// </summary>
public sealed record NetworkDescriptor(IPAddress Source, int SourcePrefixLength, IPAddress Destination, int DestinationPrefixLength);

/// <summary>
/// What connection lookup needs from one connection (MPT-SPEC §2.7): its inner IP version, its
/// tunnel addresses and its networks. Plain inputs, so the matcher does not depend on the config model.
/// </summary>
public sealed record ConnectionDescriptor(int IpVersion, IPAddress Local, IPAddress Remote, IReadOnlyList<NetworkDescriptor> Networks);
