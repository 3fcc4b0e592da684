using MptFast.Engine.Buffers;
using MptFast.Engine.Reorder;

namespace MptFast.Engine.Datapath;

/// <summary>The way out: handles queued for the TUN, written by <see cref="TunWriter"/> where the packets lie, then
/// released (PERFORMANCE-NOTES lever 3).</summary>
public sealed partial class RxPump
{
    private void QueueToTun(int handle)
    {
        _toTun[_toTunCount++] = handle;
        if (_toTunCount == _toTun.Length)
        {
            FlushTun();
        }
    }

    private void FlushTun()
    {
        int count = _toTunCount;
        if (count == 0)
        {
            return;
        }

        _writer.Write(new QueuedPackets(_store, _toTun), count);
        for (int k = 0; k < count; k++)
        {
            _store.Release(_toTun[k]);
        }

        _toTunCount = 0;
    }

    /// <summary>Reorder output: deliver to the TUN queue, or give the packet up.</summary>
    private readonly struct TunSink(RxPump pump) : IReorderSink
    {
        public void Deliver(int handle) => pump.QueueToTun(handle);

        public void Drop(int handle, ReorderDrop reason) => pump._store.Release(handle);
    }

    /// <summary>The TUN queue's handles as packets for the writer.</summary>
    private readonly struct QueuedPackets(PacketStore store, int[] handles) : IPacketList
    {
        public ReadOnlySpan<byte> Packet(int index) => store.Data(handles[index]);
    }
}
