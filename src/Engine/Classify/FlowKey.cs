namespace MptFast.Engine.Classify;

/// <summary>
/// What the scheduler needs to know about an inner packet (MPT-SPEC §6.4): IP version, upper-layer
/// protocol and, for TCP/UDP first fragments only, the two ports.
/// </summary>
public readonly struct FlowKey : IEquatable<FlowKey>
{
    /// <summary>IANA protocol number of TCP.</summary>
    public const byte Tcp = 6;

    /// <summary>IANA protocol number of UDP.</summary>
    public const byte Udp = 17;

    public FlowKey(byte ipVersion, byte protocol, ushort sourcePort, ushort destinationPort, bool hasPorts)
    {
        IpVersion = ipVersion;
        Protocol = protocol;
        // Ports are 0 unless present, whatever the caller passed: port 0 is never mapped (PortMapRules), so the
        // port-map lookup needs no separate HasPorts test (MPT-SPEC §6.4).
        SourcePort = hasPorts ? sourcePort : (ushort)0;
        DestinationPort = hasPorts ? destinationPort : (ushort)0;
        HasPorts = hasPorts;
    }

    /// <summary>4 or 6 for a well-formed fixed header, 0 otherwise.</summary>
    public byte IpVersion { get; }

    /// <summary>Upper-layer protocol (IPv4 protocol field, or the IPv6 next header after the walked extension headers).</summary>
    public byte Protocol { get; }

    /// <summary>Source port; always 0 unless <see cref="HasPorts"/>.</summary>
    public ushort SourcePort { get; }

    /// <summary>Destination port; always 0 unless <see cref="HasPorts"/>.</summary>
    public ushort DestinationPort { get; }

    /// <summary>True only for TCP/UDP packets whose ports were inside the packet (first fragment, not truncated).</summary>
    public bool HasPorts { get; }

    public bool Equals(FlowKey other) =>
        IpVersion == other.IpVersion && Protocol == other.Protocol && SourcePort == other.SourcePort &&
        DestinationPort == other.DestinationPort && HasPorts == other.HasPorts;

    public override bool Equals(object? obj) => obj is FlowKey other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(IpVersion, Protocol, SourcePort, DestinationPort, HasPorts);

    public override string ToString() =>
        HasPorts
            ? $"v{IpVersion} proto {Protocol} {SourcePort}->{DestinationPort}"
            : $"v{IpVersion} proto {Protocol} (no ports)";

    public static bool operator ==(FlowKey left, FlowKey right) => left.Equals(right);

    public static bool operator !=(FlowKey left, FlowKey right) => !left.Equals(right);
}
