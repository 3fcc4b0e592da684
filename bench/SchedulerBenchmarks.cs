using BenchmarkDotNet.Attributes;
using MptFast.Engine.Classify;
using MptFast.Engine.Mapping;
using MptFast.Engine.Scheduling;
using MptFast.Generated;

namespace MptFast.Bench;

/// <summary>Transmit path choice (MPT-SPEC §6.2, §6.4), per packet over <see cref="BenchFlows.Count"/> packets.</summary>
[MemoryDiagnoser]
public class SchedulerBenchmarks
{
    private const uint BothPathsOk = 0b11;
    private PathScheduler _scheduler = null!;
    private PortMapTable _portMap = null!;
    private FlowKey[] _flows = [];

    [GlobalSetup]
    public void Setup()
    {
        _scheduler = new PathScheduler([3, 2]);
        int connection = BakedPortMaps.TunnelMap.Index;
        _portMap = PortMapTable.FromBaked(BakedPortMaps.Table(connection), BakedPortMaps.PortMapFingerprint(connection));
        _flows = BenchFlows.Create(seed: 64);
    }

    [Benchmark(Description = "PathScheduler.NextWeighted (3:2)", OperationsPerInvoke = BenchFlows.Count)]
    public int NextWeighted()
    {
        PathScheduler scheduler = _scheduler;
        int sum = 0;
        for (int i = 0; i < BenchFlows.Count; i++)
        {
            sum += scheduler.NextWeighted(BothPathsOk);
        }

        return sum;
    }

    [Benchmark(Description = "PathScheduler.Select with port map", OperationsPerInvoke = BenchFlows.Count)]
    public int SelectWithPortMap()
    {
        PathScheduler scheduler = _scheduler;
        PortMapTable portMap = _portMap;
        int sum = 0;
        foreach (ref readonly FlowKey key in _flows.AsSpan())
        {
            sum += scheduler.Select(key, portMap, BothPathsOk);
        }

        return sum;
    }
}
