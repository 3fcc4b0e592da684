using BenchmarkDotNet.Attributes;
using MptFast.Engine.Classify;
using MptFast.Engine.Mapping;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MptFast.Generated;

namespace MptFast.Bench;

/// <summary>
/// Port-map lookup (MPT-SPEC §6.4), per packet over <see cref="BenchFlows.Count"/> random flow keys, for
/// bench/PortMapConfig (side a of the port-mapping example): <see cref="PortMapTable.Lookup(in FlowKey)"/> — the datapath's
/// one lookup — over the table baked at build time and over the same layout built at load, against a naive dictionary
/// and a hand-written switch. Setup checks that all agree on every key.
/// </summary>
[MemoryDiagnoser]
public class PortMapLookupBenchmarks
{
    private const byte NoPath = PortMapRules.NoPath;
    private FlowKey[] _flows = [];
    private PortMapTable _baked = null!;
    private PortMapTable _built = null!;
    private Dictionary<(byte Protocol, ushort Port), byte> _bySource = [];
    private Dictionary<(byte Protocol, ushort Port), byte> _byDestination = [];

    [GlobalSetup]
    public void Setup()
    {
        _flows = BenchFlows.Create(seed: 65);
        int connection = BakedPortMaps.TunnelMap.Index;
        _baked = PortMapTable.FromBaked(BakedPortMaps.Table(connection), BakedPortMaps.PortMapFingerprint(connection));
        var flat = new byte[PortMapRules.KeyCount * PortMapRules.PortsPerKey];
        _baked.CopyTo(flat);
        _built = PortMapTable.FromRules(RulesOf(flat), null);
        (_bySource, _byDestination) = ToDictionaries(flat);

        foreach (FlowKey key in _flows)
        {
            int expected = _baked.Lookup(key);
            if (_built.Lookup(key) != expected
                || DictionaryLookup(key) != expected
                || SwitchLookup(key.Protocol, key.SourcePort, key.DestinationPort) != expected)
            {
                throw new InvalidOperationException($"setup: lookups disagree on {key}");
            }
        }
    }

    [Benchmark(Baseline = true, Description = "Port map: baked (PortMapTable over BakedPortMaps)", OperationsPerInvoke = BenchFlows.Count)]
    public int Baked() => Sum(_baked);

    [Benchmark(Description = "Port map: built at load (PortMapTable.FromRules)", OperationsPerInvoke = BenchFlows.Count)]
    public int BuiltAtLoad() => Sum(_built);

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

    private int Sum(PortMapTable table)
    {
        int sum = 0;
        foreach (ref readonly FlowKey key in _flows.AsSpan())
        {
            sum += table.Lookup(key);
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

    /// <summary>The flat table's entries back as rules, one single-port range each (path, then key order).</summary>
    private static List<PortMapRule> RulesOf(byte[] flat)
    {
        var rules = new List<PortMapRule>();
        for (int path = 0; path < NoPath; path++)
        {
            for (int key = 0; key < PortMapRules.KeyCount; key++)
            {
                var ranges = new List<PortRange>();
                for (int port = 0; port < PortMapRules.PortsPerKey; port++)
                {
                    if (flat[(key * PortMapRules.PortsPerKey) + port] == path)
                    {
                        ranges.Add(new PortRange(port, port));
                    }
                }

                if (ranges.Count > 0)
                {
                    rules.Add(new PortMapRule(path, (PortMapKey)key, ranges));
                }
            }
        }

        return rules;
    }

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
}
