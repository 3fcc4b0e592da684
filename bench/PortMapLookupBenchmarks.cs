using BenchmarkDotNet.Attributes;
using MptFast.Engine.Classify;
using MptFast.Engine.Mapping;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MptFast.Generated;

namespace MptFast.Bench;

/// <summary>
/// Port-map lookup (MPT-SPEC §6.4), four ways in one run, per packet over <see cref="BenchFlows.Count"/> random flow
/// keys: the build-time generated table, the run-time <see cref="PortMapTable"/>, a naive dictionary and a
/// hand-written switch — all for bench/PortMapConfig (side a of the port-mapping example). Setup checks that the
/// four agree on every key.
/// </summary>
[MemoryDiagnoser]
public class PortMapLookupBenchmarks
{
    private const byte NoPath = PortMapRules.NoPath;
    private FlowKey[] _flows = [];
    private PortMapTable _table = null!;
    private Dictionary<(byte Protocol, ushort Port), byte> _bySource = [];
    private Dictionary<(byte Protocol, ushort Port), byte> _byDestination = [];
    private TwoLevelPortMap _twoLevel = null!;

    [GlobalSetup]
    public void Setup()
    {
        _flows = BenchFlows.Create(seed: 65);
        var table = new byte[BakedPortMaps.TableLength];
        BakedPortMaps.CopyTable(BakedPortMaps.TunnelMap.Index, table);
        _table = PortMapTable.FromTable(table);
        (_bySource, _byDestination) = ToDictionaries(_table.Table);
        _twoLevel = new TwoLevelPortMap(_table.Table);

        foreach (FlowKey key in _flows)
        {
            byte expected = _table.Lookup(key);
            if (BakedPortMaps.TunnelMap.Lookup(key.Protocol, key.SourcePort, key.DestinationPort) != expected
                || DictionaryLookup(key) != expected
                || SwitchLookup(key.Protocol, key.SourcePort, key.DestinationPort) != expected
                || _twoLevel.Lookup(key.Protocol, key.SourcePort, key.DestinationPort) != expected)
            {
                throw new InvalidOperationException($"setup: lookups disagree on {key}");
            }
        }
    }

    [Benchmark(Baseline = true, Description = "Port map: generated (BakedPortMaps)", OperationsPerInvoke = BenchFlows.Count)]
    public int Generated()
    {
        int sum = 0;
        foreach (ref readonly FlowKey key in _flows.AsSpan())
        {
            sum += BakedPortMaps.TunnelMap.Lookup(key.Protocol, key.SourcePort, key.DestinationPort);
        }

        return sum;
    }

    [Benchmark(Description = "Port map: runtime PortMapTable", OperationsPerInvoke = BenchFlows.Count)]
    public int Runtime()
    {
        PortMapTable table = _table;
        int sum = 0;
        foreach (ref readonly FlowKey key in _flows.AsSpan())
        {
            sum += table.Lookup(key);
        }

        return sum;
    }

    [Benchmark(Description = "Port map: Dictionary<(proto,port),byte>", OperationsPerInvoke = BenchFlows.Count)]
    public int Dictionary()
    {
        int sum = 0;
        foreach (ref readonly FlowKey key in _flows.AsSpan())
        {
            sum += DictionaryLookup(key);
        }

        return sum;
    }

    [Benchmark(Description = "Port map: switch", OperationsPerInvoke = BenchFlows.Count)]
    public int Switch()
    {
        int sum = 0;
        foreach (ref readonly FlowKey key in _flows.AsSpan())
        {
            sum += SwitchLookup(key.Protocol, key.SourcePort, key.DestinationPort);
        }

        return sum;
    }

    [Benchmark(Description = "Port map: two-level, cmov (bench prototype)", OperationsPerInvoke = BenchFlows.Count)]
    public int TwoLevelPrototype()
    {
        TwoLevelPortMap map = _twoLevel;
        int sum = 0;
        foreach (ref readonly FlowKey key in _flows.AsSpan())
        {
            sum += map.Lookup(key.Protocol, key.SourcePort, key.DestinationPort);
        }

        return sum;
    }

    private byte DictionaryLookup(in FlowKey key)
    {
        if (!key.HasPorts)
        {
            return NoPath;
        }

        return _bySource.TryGetValue((key.Protocol, key.SourcePort), out byte path)
            || _byDestination.TryGetValue((key.Protocol, key.DestinationPort), out path)
            ? path
            : NoPath;
    }

    /// <summary>What a programmer would write by hand for bench/PortMapConfig: source ports first, as the original.</summary>
    private static byte SwitchLookup(byte protocol, ushort sourcePort, ushort destinationPort) => protocol switch
    {
        FlowKey.Tcp => sourcePort switch
        {
            5001 => 1,
            _ => destinationPort switch
            {
                80 or 443 or 8080 => 0,
                22 => 1,
                _ => NoPath,
            },
        },
        FlowKey.Udp => sourcePort switch
        {
            5001 => 1,
            _ => destinationPort switch
            {
                53 => 0,
                123 => 1,
                _ => NoPath,
            },
        },
        _ => NoPath,
    };

    private static (Dictionary<(byte, ushort), byte> BySource, Dictionary<(byte, ushort), byte> ByDestination) ToDictionaries(ReadOnlySpan<byte> table)
    {
        var bySource = new Dictionary<(byte, ushort), byte>();
        var byDestination = new Dictionary<(byte, ushort), byte>();
        for (int key = 0; key < PortMapRules.KeyCount; key++)
        {
            byte protocol = key is (int)PortMapKey.TcpSrc or (int)PortMapKey.TcpDst ? FlowKey.Tcp : FlowKey.Udp;
            Dictionary<(byte, ushort), byte> target = key is (int)PortMapKey.TcpSrc or (int)PortMapKey.UdpSrc ? bySource : byDestination;
            ReadOnlySpan<byte> region = table.Slice(key * PortMapRules.PortsPerKey, PortMapRules.PortsPerKey);
            for (int port = 0; port < region.Length; port++)
            {
                if (region[port] != NoPath)
                {
                    target[(protocol, (ushort)port)] = region[port];
                }
            }
        }

        return (bySource, byDestination);
    }

    /// <summary>
    /// A prototype of a leaner generated lookup, to see what this machine allows: the protocol picks a key pair
    /// by table (TCP 0/1, UDP 2/3, anything else 4/5 = all-NoPath pages) instead of mask arithmetic, and the
    /// source-before-destination choice is a conditional move. Same two-level page layout as the generator.
    /// </summary>
    private sealed class TwoLevelPortMap
    {
        private const int PageSize = 256;
        private const int PagesPerKey = PortMapRules.PortsPerKey / PageSize;
        private readonly byte[] _keyOfProtocol = new byte[256];
        private readonly int[] _pageIndex = new int[6 * PagesPerKey];
        private readonly byte[] _pages;

        public TwoLevelPortMap(ReadOnlySpan<byte> table)
        {
            _keyOfProtocol.AsSpan().Fill(4);
            _keyOfProtocol[FlowKey.Tcp] = 0;
            _keyOfProtocol[FlowKey.Udp] = 2;
            var pages = new List<byte[]> { Enumerable.Repeat(NoPath, PageSize).ToArray() };
            for (int page = 0; page < PortMapRules.KeyCount * PagesPerKey; page++)
            {
                byte[] content = table.Slice(page * PageSize, PageSize).ToArray();
                int found = pages.FindIndex(p => p.AsSpan().SequenceEqual(content));
                if (found < 0)
                {
                    found = pages.Count;
                    pages.Add(content);
                }

                _pageIndex[page] = found * PageSize; // keys 4 and 5 stay 0: the all-NoPath page
            }

            _pages = pages.SelectMany(p => p).ToArray();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public byte Lookup(byte protocol, ushort sourcePort, ushort destinationPort)
        {
            int key = _keyOfProtocol[protocol];
            ref int index = ref MemoryMarshal.GetArrayDataReference(_pageIndex);
            ref byte pages = ref MemoryMarshal.GetArrayDataReference(_pages);

            // Sound: key <= 4, so (key + 1) * 256 + 255 < 6 * 256 entries; every stored offset + 255 is inside _pages.
            int sourcePage = Unsafe.Add(ref index, (key << 8) | (sourcePort >> 8));
            int destinationPage = Unsafe.Add(ref index, ((key + 1) << 8) | (destinationPort >> 8));
            byte fromSource = Unsafe.Add(ref pages, sourcePage + (sourcePort & 0xFF));
            byte fromDestination = Unsafe.Add(ref pages, destinationPage + (destinationPort & 0xFF));
            return fromSource != NoPath ? fromSource : fromDestination;
        }
    }
}
