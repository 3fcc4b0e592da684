using MptFast.Engine.Buffers;
using MptFast.Engine.Reorder;

namespace MptFast.Engine.Datapath;

/// <summary>The way out: handles queued for the TUN, written by <see cref="TunWriter"/> where the packets lie, then
/// released (PERFORMANCE-NOTES lever 3).</summary>
public sealed partial class RxPump
{
    private void QueueToTun(int handle)
    {
        if (_ackDue is not null && _ackDue[handle] != 0)
        {
            // equalize_delay = acks: an acknowledgement from a faster path waits here, after the reorder buffer, so
            // nothing behind it in sequence waits for it.
            long due = _ackDue[handle];
            _ackDue[handle] = 0;
            if (due > _wakeTicks && _ackLine!.TryAdd(0, handle, due))
            {
                _acksHeld++;
                return;
            }
        }

        _toTun[_toTunCount++] = handle;
        if (_toTunCount == _toTun.Length)
        {
            FlushTun();
        }
    }

    /// <summary>Queues the held acknowledgements due by <paramref name="dueBy"/> for the TUN.</summary>
    private void ReleaseAcks(long dueBy)
    {
        if (_ackLine is null)
        {
            return;
        }

        while (_ackLine.TryTakeDue(dueBy, out _, out int handle))
        {
            QueueToTun(handle); // its due time was cleared when it went into the line
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

        public void Drop(int handle, ReorderDrop reason)
        {
            if (pump._ackDue is { } due)
            {
                due[handle] = 0;
            }

            pump._store.Release(handle);
        }
    }

    /// <summary>The TUN queue's handles as packets for the writer.</summary>
    private readonly struct QueuedPackets(PacketStore store, int[] handles) : IPacketList
    {
        public ReadOnlySpan<byte> Packet(int index) => store.Data(handles[index]);
    }
}
