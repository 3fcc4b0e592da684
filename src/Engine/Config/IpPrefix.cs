using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MptFast.Engine.Config;

/// <summary>An address with a prefix length, as in <c>ipv4_addr = 198.19.0.1/24</c> (MPT-SPEC §5.3, §5.6).</summary>
public sealed record IpPrefix(IPAddress Address, int Length)
{
    public bool IsIPv6 => Address.AddressFamily == AddressFamily.InterNetworkV6;

    public int MaxLength => IsIPv6 ? 128 : 32;

    public override string ToString() => Address + "/" + Length.ToString(CultureInfo.InvariantCulture);
}
