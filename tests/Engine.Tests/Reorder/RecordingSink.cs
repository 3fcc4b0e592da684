using MptFast.Engine.Reorder;

namespace MptFast.Engine.Tests.Reorder;

/// <summary>Records the buffer's decisions in order (handles are whatever the test pushed).</summary>
internal struct RecordingSink : IReorderSink
{
    public RecordingSink()
    {
    }

    public List<int> Delivered { get; } = [];

    public List<(int Handle, ReorderDrop Reason)> Dropped { get; } = [];

    public readonly void Deliver(int handle) => Delivered.Add(handle);

    public readonly void Drop(int handle, ReorderDrop reason) => Dropped.Add((handle, reason));
}

/// <summary>Allocation-free sink for the allocation tests.</summary>
internal struct CountingSink : IReorderSink
{
    public long Delivered;
    public long Dropped;

    public void Deliver(int handle) => Delivered++;

    public void Drop(int handle, ReorderDrop reason) => Dropped++;
}
