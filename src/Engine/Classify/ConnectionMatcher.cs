using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MptFast.Engine.Config;

namespace MptFast.Engine.Classify;

/// <summary>
/// Finds the connection a packet read from the TUN belongs to (MPT-SPEC §2.7 "Required", B16–B18).
/// A connection matches when the packet's source is its local tunnel address or inside a source
/// prefix of one of its networks of the packet's family, and the destination likewise is its remote
/// tunnel address or inside a destination prefix. As in the original, the source and the destination
/// may match prefixes of different <c>[net_N]</c> entries (B17: kept for compatibility). Tunnel
/// addresses are compared only when the connection's <c>ip_ver</c> and the address family equal the
/// packet's version. Prefixes are precomputed and masked on both sides; matching allocates nothing.
/// </summary>
/// <remarks>
/// Cost flat in the number of connections (issue 15: one server, a hundred clients): every connection whose
/// destination side is single hosts (its remote tunnel address, <c>[net_N]</c> destinations of /32 or /128 — what a
/// create makes) is indexed by those hosts, so a packet costs one hash lookup; only connections with wider destination
/// prefixes are scanned, and the scan stops at the first index above the best host match (list order still decides).
/// </remarks>
public sealed class ConnectionMatcher
{
    private readonly Entry[] _entries;
    private readonly Prefix4[] _nets4;
    private readonly Prefix6[] _nets6;

    /// <summary>Builds the matcher; connection indices are positions in <paramref name="connections"/>.</summary>
    public ConnectionMatcher(IReadOnlyList<ConnectionDescriptor> connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        _entries = new Entry[connections.Count];
        var nets4 = new List<Prefix4>();
        var nets6 = new List<Prefix6>();
        for (int c = 0; c < connections.Count; c++)
        {
            ConnectionDescriptor conn = connections[c];
            ref Entry entry = ref _entries[c];
            entry.Net4Start = nets4.Count;
            entry.Net6Start = nets6.Count;
            if (conn.IpVersion == 4 && conn.Local.AddressFamily == AddressFamily.InterNetwork)
            {
                entry.HasLocal4 = true;
                entry.Local4 = ToUInt32(conn.Local);
            }

            if (conn.IpVersion == 4 && conn.Remote.AddressFamily == AddressFamily.InterNetwork)
            {
                entry.HasRemote4 = true;
                entry.Remote4 = ToUInt32(conn.Remote);
            }

            if (conn.IpVersion == 6 && conn.Local.AddressFamily == AddressFamily.InterNetworkV6)
            {
                entry.HasLocal6 = true;
                entry.Local6 = ToUInt128(conn.Local);
            }

            if (conn.IpVersion == 6 && conn.Remote.AddressFamily == AddressFamily.InterNetworkV6)
            {
                entry.HasRemote6 = true;
                entry.Remote6 = ToUInt128(conn.Remote);
            }

            foreach (NetworkDescriptor net in conn.Networks)
            {
                AddressFamily family = net.Source.AddressFamily;
                if (net.Destination.AddressFamily != family)
                {
                    throw new ArgumentException($"connection {c}: a network's source and destination differ in family", nameof(connections));
                }

                if (family == AddressFamily.InterNetwork)
                {
                    uint srcMask = Mask4(net.SourcePrefixLength);
                    uint dstMask = Mask4(net.DestinationPrefixLength);
                    nets4.Add(new Prefix4(ToUInt32(net.Source) & srcMask, srcMask, ToUInt32(net.Destination) & dstMask, dstMask));
                }
                else
                {
                    UInt128 srcMask = Mask6(net.SourcePrefixLength);
                    UInt128 dstMask = Mask6(net.DestinationPrefixLength);
                    nets6.Add(new Prefix6(ToUInt128(net.Source) & srcMask, srcMask, ToUInt128(net.Destination) & dstMask, dstMask));
                }
            }

            entry.Net4End = nets4.Count;
            entry.Net6End = nets6.Count;
        }

        _nets4 = nets4.ToArray();
        _nets6 = nets6.ToArray();
        (_hosts4, _candidates4, _scan4) = Index(c => Destinations4(c), uint.MaxValue);
        (_hosts6, _candidates6, _scan6) = Index(c => Destinations6(c), UInt128.MaxValue);
    }

    // Host → (start, count) in the candidates array: one flat array, no per-host object to chase.
    private readonly Dictionary<uint, (int Start, int Count)> _hosts4;
    private readonly int[] _candidates4;
    private readonly int[] _scan4;
    private readonly Dictionary<UInt128, (int Start, int Count)> _hosts6;
    private readonly int[] _candidates6;
    private readonly int[] _scan6;

    // Connection c's ways to match a destination: (address, mask) pairs. A host is a full mask.
    private IEnumerable<(uint Address, uint Mask)> Destinations4(int c)
    {
        Entry e = _entries[c];
        if (e.HasRemote4)
        {
            yield return (e.Remote4, uint.MaxValue);
        }

        for (int n = e.Net4Start; n < e.Net4End; n++)
        {
            yield return (_nets4[n].Destination, _nets4[n].DestinationMask);
        }
    }

    private IEnumerable<(UInt128 Address, UInt128 Mask)> Destinations6(int c)
    {
        Entry e = _entries[c];
        if (e.HasRemote6)
        {
            yield return (e.Remote6, UInt128.MaxValue);
        }

        for (int n = e.Net6Start; n < e.Net6End; n++)
        {
            yield return (_nets6[n].Destination, _nets6[n].DestinationMask);
        }
    }

    // Host-only connections go into the host index (ascending per host), the others into the scan list (ascending).
    private (Dictionary<T, (int Start, int Count)> Hosts, int[] Candidates, int[] Scan) Index<T>(Func<int, IEnumerable<(T Address, T Mask)>> destinations, T full)
        where T : struct, IEquatable<T>
    {
        var hosts = new Dictionary<T, List<int>>();
        var scan = new List<int>();
        for (int c = 0; c < _entries.Length; c++)
        {
            (T Address, T Mask)[] ways = [.. destinations(c)];
            if (ways.Length == 0)
            {
                continue; // can never match this family
            }

            if (ways.Any(w => !w.Mask.Equals(full)))
            {
                scan.Add(c);
                continue;
            }

            foreach (T host in ways.Select(w => w.Address).Distinct())
            {
                if (!hosts.TryGetValue(host, out List<int>? list))
                {
                    hosts[host] = list = [];
                }

                list.Add(c);
            }
        }

        var flat = new List<int>();
        var index = new Dictionary<T, (int Start, int Count)>(hosts.Count);
        foreach (KeyValuePair<T, List<int>> kv in hosts)
        {
            index[kv.Key] = (flat.Count, kv.Value.Count);
            flat.AddRange(kv.Value);
        }

        return (index, flat.ToArray(), scan.ToArray());
    }

    /// <summary>Number of connections.</summary>
    public int Count => _entries.Length;

    /// <summary>Builds the matcher from the config model (tunnel addresses and <c>[net_N]</c> sections).</summary>
    public static ConnectionMatcher FromConfigs(IReadOnlyList<ConnectionConfig> connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        var descriptors = new ConnectionDescriptor[connections.Count];
        for (int c = 0; c < connections.Count; c++)
        {
            ConnectionConfig conn = connections[c];
            var nets = new NetworkDescriptor[conn.Networks.Count];
            for (int n = 0; n < nets.Length; n++)
            {
                NetworkConfig net = conn.Networks[n];
                nets[n] = new NetworkDescriptor(net.Source.Address, net.Source.Length, net.Destination.Address, net.Destination.Length);
            }

            descriptors[c] = new ConnectionDescriptor(conn.IpVer == 6 ? 6 : 4, conn.IpLocal, conn.IpRemote, nets);
        }

        return new ConnectionMatcher(descriptors);
    }

    /// <summary>
    /// Index (list order) of the first connection the packet belongs to, or -1: no match, a version
    /// nibble other than 4 or 6 (B18), or a packet shorter than its fixed header.
    /// </summary>
    public int Match(ReadOnlySpan<byte> ipPacket)
    {
        if (ipPacket.IsEmpty)
        {
            return -1;
        }

        int version = ipPacket[0] >> 4;
        if (version == 4 && ipPacket.Length >= 20)
        {
            return Match4(BinaryPrimitives.ReadUInt32BigEndian(ipPacket.Slice(12, 4)), BinaryPrimitives.ReadUInt32BigEndian(ipPacket.Slice(16, 4)));
        }

        if (version == 6 && ipPacket.Length >= 40)
        {
            return Match6(BinaryPrimitives.ReadUInt128BigEndian(ipPacket.Slice(8, 16)), BinaryPrimitives.ReadUInt128BigEndian(ipPacket.Slice(24, 16)));
        }

        return -1;
    }

    private int Match4(uint src, uint dst)
    {
        int best = int.MaxValue;
        if (_hosts4.TryGetValue(dst, out (int Start, int Count) hit))
        {
            int[] candidates = _candidates4;
            for (int i = hit.Start; i < hit.Start + hit.Count; i++)
            {
                if (Matches4(candidates[i], src, dst))
                {
                    best = candidates[i];
                    break;
                }
            }
        }

        foreach (int c in _scan4)
        {
            if (c > best)
            {
                break;
            }

            if (Matches4(c, src, dst))
            {
                return c;
            }
        }

        return best == int.MaxValue ? -1 : best;
    }

    private bool Matches4(int c, uint src, uint dst)
    {
        ref readonly Entry e = ref _entries[c];
        Prefix4[] nets = _nets4;
        bool srcOk = e.HasLocal4 && src == e.Local4;
        bool dstOk = e.HasRemote4 && dst == e.Remote4;
        for (int n = e.Net4Start; n < e.Net4End && !(srcOk && dstOk); n++)
        {
            ref readonly Prefix4 p = ref nets[n];
            srcOk |= (src & p.SourceMask) == p.Source;
            dstOk |= (dst & p.DestinationMask) == p.Destination;
        }

        return srcOk && dstOk;
    }

    private int Match6(UInt128 src, UInt128 dst)
    {
        int best = int.MaxValue;
        if (_hosts6.TryGetValue(dst, out (int Start, int Count) hit))
        {
            int[] candidates = _candidates6;
            for (int i = hit.Start; i < hit.Start + hit.Count; i++)
            {
                if (Matches6(candidates[i], src, dst))
                {
                    best = candidates[i];
                    break;
                }
            }
        }

        foreach (int c in _scan6)
        {
            if (c > best)
            {
                break;
            }

            if (Matches6(c, src, dst))
            {
                return c;
            }
        }

        return best == int.MaxValue ? -1 : best;
    }

    private bool Matches6(int c, UInt128 src, UInt128 dst)
    {
        ref readonly Entry e = ref _entries[c];
        Prefix6[] nets = _nets6;
        bool srcOk = e.HasLocal6 && src == e.Local6;
        bool dstOk = e.HasRemote6 && dst == e.Remote6;
        for (int n = e.Net6Start; n < e.Net6End && !(srcOk && dstOk); n++)
        {
            ref readonly Prefix6 p = ref nets[n];
            srcOk |= (src & p.SourceMask) == p.Source;
            dstOk |= (dst & p.DestinationMask) == p.Destination;
        }

        return srcOk && dstOk;
    }

    private static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        if (!address.TryWriteBytes(bytes, out int written) || written != 4)
        {
            throw new ArgumentException($"'{address}' is not an IPv4 address", nameof(address));
        }

        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    private static UInt128 ToUInt128(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out int written) || written != 16)
        {
            throw new ArgumentException($"'{address}' is not an IPv6 address", nameof(address));
        }

        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private static uint Mask4(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 32);
        return length == 0 ? 0u : uint.MaxValue << (32 - length);
    }

    private static UInt128 Mask6(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 128);
        return length == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - length);
    }

    private struct Entry
    {
        public bool HasLocal4;
        public bool HasRemote4;
        public bool HasLocal6;
        public bool HasRemote6;
        public uint Local4;
        public uint Remote4;
        public UInt128 Local6;
        public UInt128 Remote6;
        public int Net4Start;
        public int Net4End;
        public int Net6Start;
        public int Net6End;
    }

    private readonly record struct Prefix4(uint Source, uint SourceMask, uint Destination, uint DestinationMask);

    private readonly record struct Prefix6(UInt128 Source, UInt128 SourceMask, UInt128 Destination, UInt128 DestinationMask);
}
