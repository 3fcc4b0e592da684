using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MptFast.Engine.Classify;
using MptFast.Engine.Config;

namespace MptFast.Engine.Mapping;

/// <summary>Where a connection's port-map table came from (the daemon logs it when the connection opens).</summary>
public enum PortMapOrigin
{
    /// <summary>Built when the configuration was loaded.</summary>
    BuiltAtLoad = 0,

    /// <summary>Compiled into the binary at build time (generated <c>BakedPortMaps</c>).</summary>
    Baked = 1,
}

/// <summary>
/// The flow-mapping table of one connection (MPT-SPEC §6.4): port → path index for <c>tcp_src</c>, <c>tcp_dst</c>,
/// <c>udp_src</c>, <c>udp_dst</c>, in the two-level <see cref="PortMapLayout"/> that the build-time generator bakes too.
/// One lookup path for both origins: a table built at load and a baked one differ only in where their array comes
/// from. The lookup is branch-free: the protocol picks the rows by table, the source and destination entries are two
/// independent pairs of loads (the CPU overlaps them), and the source entry wins unless it is <see cref="PortMapRules.NoPath"/>.
/// </summary>
public sealed class PortMapTable
{
    private readonly byte[] _table;

    private PortMapTable(byte[] table, string fingerprint, PortMapOrigin origin)
    {
        _table = table;
        Fingerprint = fingerprint;
        Origin = origin;
        IsEmpty = true;
        for (int entry = 0; entry < PortMapRules.KeyCount * PortMapLayout.PagesPerRow; entry++)
        {
            IsEmpty &= PortMapLayout.PageOffset(table, entry) == PortMapLayout.IndexBytes; // page 0 maps nothing
        }
    }

    /// <summary>True when no port of any key is mapped: the datapath can skip classifying the packet.</summary>
    public bool IsEmpty { get; }

    /// <summary>Baked into the binary or built at load.</summary>
    public PortMapOrigin Origin { get; }

    /// <summary><see cref="PortMapRules.Fingerprint"/> of the rules the table was built from.</summary>
    public string Fingerprint { get; }

    /// <summary>Bytes of the table (first level and distinct pages): all a lookup can touch.</summary>
    public int ByteCount => _table.Length;

    /// <summary>A table that maps nothing.</summary>
    public static PortMapTable Empty { get; } = FromRules([], null);

    /// <summary>Builds the table from rules; conflicts (one port, one key, two paths) are reported, first path kept.</summary>
    public static PortMapTable FromRules(IReadOnlyList<PortMapRule> rules, List<PortMapConflict>? conflicts)
    {
        ArgumentNullException.ThrowIfNull(rules);
        byte[] table = PortMapLayout.Build(PortMapRules.BuildTable(rules, conflicts));
        return new PortMapTable(table, PortMapRules.Fingerprint(rules), PortMapOrigin.BuiltAtLoad);
    }

    /// <summary>Builds the table from the <c>tcp_src</c>/<c>tcp_dst</c>/<c>udp_src</c>/<c>udp_dst</c> keys of the paths (index = path index).</summary>
    public static PortMapTable FromPaths(IReadOnlyList<PathConfig> paths, List<PortMapConflict>? conflicts) =>
        FromRules(RulesOf(paths), conflicts);

    /// <summary>
    /// The table for a connection's paths: <paramref name="baked"/> when its fingerprint equals that of the loaded
    /// paths' rules (the binary was built from this map), otherwise the same layout built now — or, when the paths map
    /// no port, the shared <see cref="Empty"/> table (issue 15: most connections map none, and a server with a hundred
    /// clients would make one for each connection at each rebuild; the table is immutable).
    /// </summary>
    public static PortMapTable ForPaths(IReadOnlyList<PathConfig> paths, PortMapTable? baked)
    {
        List<PortMapRule> rules = RulesOf(paths);
        if (baked is not null && string.Equals(baked.Fingerprint, PortMapRules.Fingerprint(rules), StringComparison.Ordinal))
        {
            return baked;
        }

        return rules.Count == 0 ? Empty : FromRules(rules, conflicts: null);
    }

    /// <summary>
    /// Wraps a baked table without copying it: <paramref name="table"/> is one connection's <see cref="PortMapLayout"/>
    /// array as the generated <c>BakedPortMaps.Table</c> exposes it. The shape is checked, so a lookup cannot leave the
    /// array whatever the bytes say.
    /// </summary>
    public static PortMapTable FromBaked(ReadOnlyMemory<byte> table, string fingerprint)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        if (!MemoryMarshal.TryGetArray(table, out ArraySegment<byte> segment) || segment.Offset != 0 || segment.Count != segment.Array!.Length)
        {
            throw new ArgumentException("a baked port map is a whole array", nameof(table));
        }

        byte[] array = segment.Array;
        int pageBytes = array.Length - PortMapLayout.IndexBytes;
        if (pageBytes < PortMapLayout.PageSize || pageBytes % PortMapLayout.PageSize != 0)
        {
            throw new ArgumentException($"a baked port map has {PortMapLayout.IndexBytes} index bytes and whole pages, not {array.Length} bytes", nameof(table));
        }

        if (array.AsSpan(PortMapLayout.IndexBytes, PortMapLayout.PageSize).IndexOfAnyExcept(PortMapRules.NoPath) >= 0)
        {
            throw new ArgumentException("page 0 of a baked port map must map nothing", nameof(table));
        }

        foreach (byte path in array.AsSpan(PortMapLayout.IndexBytes))
        {
            if (path >= PortMapRules.MaxPaths && path != PortMapRules.NoPath)
            {
                throw new ArgumentException($"a baked port map entry names path {path}", nameof(table));
            }
        }

        for (int entry = 0; entry < PortMapLayout.IndexLength; entry++)
        {
            // A whole page inside the array; other-protocol rows hold page 0 only, and port 0 (a packet without ports)
            // is never mapped.
            long page = PortMapLayout.PageOffset(array, entry);
            if (page < PortMapLayout.IndexBytes || (page - PortMapLayout.IndexBytes) % PortMapLayout.PageSize != 0 ||
                page + PortMapLayout.PageSize > array.Length ||
                (entry >= PortMapLayout.OtherRow * PortMapLayout.PagesPerRow && page != PortMapLayout.IndexBytes) ||
                (entry % PortMapLayout.PagesPerRow == 0 && array[page] != PortMapRules.NoPath))
            {
                throw new ArgumentException($"baked port-map index entry {entry} is not a valid page for its row", nameof(table));
            }
        }

        return new PortMapTable(array, fingerprint, PortMapOrigin.Baked);
    }

    /// <summary>Expands the table to the flat <see cref="PortMapRules.BuildTable"/> layout (4 × 65 536 bytes).</summary>
    public void CopyTo(Span<byte> flat)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(flat.Length, PortMapRules.KeyCount * PortMapRules.PortsPerKey, nameof(flat));
        for (int entry = 0; entry < PortMapRules.KeyCount * PortMapLayout.PagesPerRow; entry++)
        {
            Page(entry).CopyTo(flat.Slice(entry * PortMapLayout.PageSize, PortMapLayout.PageSize));
        }
    }

    /// <summary>Same mapping as <paramref name="other"/>.</summary>
    public bool ContentEquals(PortMapTable other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int entry = 0; entry < PortMapRules.KeyCount * PortMapLayout.PagesPerRow; entry++)
        {
            if (!Page(entry).SequenceEqual(other.Page(entry)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Path for the flow, or <see cref="PortMapRules.NoPath"/> (a key without ports has ports 0, never mapped).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Lookup(in FlowKey key) =>
        Lookup(ref MemoryMarshal.GetArrayDataReference(_table), key.Protocol, key.SourcePort, key.DestinationPort);

    /// <summary>
    /// Path for (protocol, ports), or <see cref="PortMapRules.NoPath"/>. MPT-SPEC §6.4: TCP checks <c>tcp_src</c>, then
    /// <c>tcp_dst</c>; UDP checks <c>udp_src</c>, then <c>udp_dst</c>; any other protocol is never mapped, nor is port 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Lookup(byte protocol, ushort sourcePort, ushort destinationPort) =>
        Lookup(ref MemoryMarshal.GetArrayDataReference(_table), protocol, sourcePort, destinationPort);

    /// <summary>
    /// The lookup, without a data-dependent branch: a branch on "source mapped?" would mispredict on a mix of flows.
    /// <paramref name="table"/> is the first byte of a checked or built <see cref="PortMapLayout"/> table.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Lookup(ref byte table, byte protocol, ushort sourcePort, ushort destinationPort)
    {
        // Sound: the row starts at most OtherRow * 256 entries in and the port's high byte is below 256, so both
        // first-level reads are inside the IndexBytes; every entry plus its port was checked (FromBaked) or built to
        // land in a page.
        ref byte row = ref Unsafe.Add(ref table, RowOfProtocol[protocol]);
        nuint source = (uint)(ReadEntry(ref row, (nuint)sourcePort >> 8) + sourcePort);
        nuint destination = (uint)(ReadEntry(ref row, PortMapLayout.PagesPerRow + ((nuint)destinationPort >> 8)) + destinationPort);
        int fromSource = (sbyte)Unsafe.Add(ref table, source); // NoPath (0xFF) reads as -1, a path as itself
        int fromDestination = Unsafe.Add(ref table, destination);

        // The source entry unless it is NoPath: unmapped is all ones then, zero otherwise; -1 & d = d.
        int unmapped = fromSource >> 31;
        return fromSource & (fromDestination | ~unmapped);
    }

    /// <summary>Byte offset of a protocol's source row: TCP 0 (tcp_src), UDP 2048 (udp_src), anything else the all-empty
    /// <see cref="PortMapLayout.OtherRow"/> (4096). Static data indexed by a byte: no bounds check.</summary>
    private static ReadOnlySpan<ushort> RowOfProtocol =>
    [
        4096, 4096, 4096, 4096, 4096, 4096, 0, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
        4096, 2048, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
        4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
        4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
        4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
        4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
        4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
        4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
        4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
        4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
        4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
        4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
        4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
        4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
        4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
        4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096,
    ];

    /// <summary>First-level entry <paramref name="entry"/> of the row at <paramref name="row"/> (little-endian, the layout's byte order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadEntry(ref byte row, nuint entry)
    {
        int value = Unsafe.As<byte, int>(ref Unsafe.Add(ref row, entry * 4));
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    private ReadOnlySpan<byte> Page(int entry) => _table.AsSpan(PortMapLayout.PageOffset(_table, entry), PortMapLayout.PageSize);

    private static List<PortMapRule> RulesOf(IReadOnlyList<PathConfig> paths)
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

        return rules;
    }
}
