using BenchmarkDotNet.Attributes;
using MptFast.Engine.Reorder;

namespace MptFast.Bench;

/// <summary>The receive reorder buffer's common case (MPT-SPEC §7): packets arrive in order and pass straight through.</summary>
[MemoryDiagnoser]
public class ReorderBenchmarks
{
    private const int PacketsPerInvoke = 1024;
    private ReorderBuffer _buffer = null!;
    private uint _sequence;

    [GlobalSetup]
    public void Setup() => _buffer = new ReorderBuffer(window: 64, holdTicks: 1_000_000);

    [Benchmark(Description = "ReorderBuffer in-order push (W 64)", OperationsPerInvoke = PacketsPerInvoke)]
    public long InOrderPush()
    {
        var sink = new CountingSink();
        ReorderBuffer buffer = _buffer;
        uint sequence = _sequence;
        for (int i = 0; i < PacketsPerInvoke; i++)
        {
            buffer.Push(sequence++, i, 0, ref sink);
        }

        _sequence = sequence;
        return sink.Delivered;
    }

    private struct CountingSink : IReorderSink
    {
        public long Delivered;

        public void Deliver(int handle) => Delivered++;

        public void Drop(int handle, ReorderDrop reason)
        {
        }
    }
}
