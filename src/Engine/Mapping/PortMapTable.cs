using System.Runtime.CompilerServices;
using MptFast.Engine.Classify;
using MptFast.Engine.Config;

namespace MptFast.Engine.Mapping;

/// <summary>
/// The run-time flow-mapping table (MPT-SPEC §6.4): port → path index for <c>tcp_src</c>,
/// <c>tcp_dst</c>, <c>udp_src</c>, <c>udp_dst</c>, built by the same <see cref="PortMapRules.BuildTable"/>
/// the build-time generator uses. Lookup is branch-free: a fifth all-<see cref="PortMapRules.NoPath"/>
/// region absorbs non-TCP/UDP packets and packets without ports, and a mask selects between the
/// source-port and destination-port entries (source first, as the original).
/// </summary>
public sealed class PortMapTable
{
    private const int RegionCount = PortMapRules.KeyCount + 1;
    private const int NoneRegion = PortMapRules.KeyCount;
    private const int RulesLength = PortMapRules.KeyCount * PortMapRules.PortsPerKey;

    // Regions 0..3 exactly as PortMapRules.BuildTable lays them out; region 4 is always NoPath.
    private readonly byte[] _table;

    private PortMapTable(byte[] table)
    {
        _table = table;
        IsEmpty = table.AsSpan(0, RulesLength).IndexOfAnyExcept(PortMapRules.NoPath) < 0;
    }

    /// <summary>True when no port of any key is mapped: the datapath can skip the lookup.</summary>
    public bool IsEmpty { get; }

    /// <summary>The four key tables (4 × 65 536 bytes, <see cref="PortMapRules.BuildTable"/> layout).</summary>
    public ReadOnlySpan<byte> Table => _table.AsSpan(0, RulesLength);

    /// <summary>A table that maps nothing.</summary>
    public static PortMapTable Empty { get; } = FromRules([], null);

    /// <summary>Wraps a table in <see cref="PortMapRules.BuildTable"/> layout (e.g. the build-time one).</summary>
    public static PortMapTable FromTable(ReadOnlySpan<byte> table)
    {
        if (table.Length != RulesLength)
        {
            throw new ArgumentException($"a port-map table has {RulesLength} bytes, not {table.Length}", nameof(table));
        }

        var full = new byte[RegionCount * PortMapRules.PortsPerKey];
        table.CopyTo(full);
        full.AsSpan(RulesLength).Fill(PortMapRules.NoPath);
        return new PortMapTable(full);
    }

    /// <summary>Builds the table from rules; conflicts (one port, one key, two paths) are reported, first path kept.</summary>
    public static PortMapTable FromRules(IEnumerable<PortMapRule> rules, List<PortMapConflict>? conflicts)
    {
        byte[] table = PortMapRules.BuildTable(rules, conflicts);
        return FromTable(table);
    }

    /// <summary>Builds the table from the <c>tcp_src</c>/<c>tcp_dst</c>/<c>udp_src</c>/<c>udp_dst</c> keys of the paths (index = path index).</summary>
    public static PortMapTable FromPaths(IReadOnlyList<PathConfig> paths, List<PortMapConflict>? conflicts)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var rules = new List<PortMapRule>();
        for (int i = 0; i < paths.Count; i++)
        {
            for (int k = 0; k < PortMapRules.KeyCount; k++)
            {
                var key = (PortMapKey)k;
                EquatableArray<PortRange> ranges = paths[i].PortMap(key);
                if (ranges.Count > 0)
                {
                    rules.Add(new PortMapRule(i, key, ranges.AsImmutableArray()));
                }
            }
        }

        // Issue 15: most connections map no port; they share the one empty table (immutable) instead of 320 KB each —
        // made again for every connection at every rebuild, e.g. each of a hundred remote creates.
        return rules.Count == 0 ? Empty : FromRules(rules, conflicts);
    }

    /// <summary>Same mapping as <paramref name="other"/> (the host compares the build-time and run-time tables).</summary>
    public bool ContentEquals(PortMapTable other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Table.SequenceEqual(other.Table);
    }

    /// <summary>Path for the flow, or <see cref="PortMapRules.NoPath"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte Lookup(in FlowKey key) =>
        Lookup((byte)(key.Protocol & -Unsafe.BitCast<bool, byte>(key.HasPorts)), key.SourcePort, key.DestinationPort);

    /// <summary>
    /// Path for (protocol, ports), or <see cref="PortMapRules.NoPath"/>. TCP: <c>tcp_src</c> then
    /// <c>tcp_dst</c>; UDP: <c>udp_src</c> then <c>udp_dst</c>; anything else is never mapped.
    /// Pass protocol 0 for a packet without ports.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte Lookup(byte protocol, ushort sourcePort, ushort destinationPort)
    {
        int tcp = Unsafe.BitCast<bool, byte>(protocol == FlowKey.Tcp);
        int udp = Unsafe.BitCast<bool, byte>(protocol == FlowKey.Udp);
        int other = 1 - tcp - udp;

        // Regions: TCP src 0 / dst 1, UDP src 2 / dst 3, other 4 / 4.
        int srcRegion = (udp * (int)PortMapKey.UdpSrc) + (other * NoneRegion);
        int dstRegion = (tcp * (int)PortMapKey.TcpDst) + (udp * (int)PortMapKey.UdpDst) + (other * NoneRegion);

        ref byte table = ref _table[0];

        // Sound: regions are < RegionCount and ports < 65 536, so both indices are inside the array.
        int fromSource = Unsafe.Add(ref table, (srcRegion * PortMapRules.PortsPerKey) + sourcePort);
        int fromDestination = Unsafe.Add(ref table, (dstRegion * PortMapRules.PortsPerKey) + destinationPort);

        // all ones when the source entry is NoPath (0xFF + 1 = 0x100), else zero.
        int useDestination = -((fromSource + 1) >> 8);
        return (byte)((fromSource & ~useDestination) | (fromDestination & useDestination));
    }
}
