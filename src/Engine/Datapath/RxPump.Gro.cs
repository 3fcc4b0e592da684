using MptFast.Engine.Buffers;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Datapath;

/// <summary>UDP GRO receive (PERFORMANCE-NOTES lever 2): glued messages cut back into single datagrams in place.</summary>
public sealed partial class RxPump
{
    /// <summary>GRO messages split back into datagrams (receive thread).</summary>
    public long GroMessages { get; private set; }

    /// <summary>Datagrams that arrived glued in GRO messages.</summary>
    public long GroDatagrams { get; private set; }

    /// <summary>Times a GRO receive found too few free message slots and the pump made room (receive thread).</summary>
    public long GroSlotShortages { get; private set; }

    /// <summary>
    /// Cuts each received message at its GRO segment size into single datagrams and processes them as if recvmmsg had
    /// returned them one by one (all parts of a message share its source), without copying: every data datagram becomes
    /// a view into the message slot (<see cref="PacketStore.TryView"/>). A message slot that views still use is
    /// detached from the batch (the store returns it after the last view); one nothing was kept from stays.
    /// </summary>
    private void Split(ConnectionRuntime c, PathRuntime p, PacketBatch gro, int count, long now)
    {
        PathCounters counters = p.Counters;
        int capacity = _pool.PacketCapacity;
        for (int i = 0; i < count; i++)
        {
            int segment = gro.SegmentSizeOf(i);
            if ((gro.FlagsOf(i) & (PacketFlags.Truncated | PacketFlags.ControlTruncated)) != 0)
            {
                counters.Rx.DropTruncated++; // B04; a cut control message leaves the segment size unknown
                continue;
            }

            Span<byte> message = gro.Data(i);
            if (segment <= 0 || segment > message.Length)
            {
                segment = message.Length;
            }
            else
            {
                GroMessages++;
                GroDatagrams += (message.Length + segment - 1) / segment;
            }

            // MPT-SPEC §2.6 step 3, once for the message: every part has its source. Still counted per datagram.
            bool known = p.Remote.Matches(gro.SourceAddress(i));
            int slot = gro.SlotOf(i);
            int offset = gro.OffsetOf(i);
            _store.BeginMessage(slot);
            for (int at = 0; at < message.Length; at += segment)
            {
                int length = Math.Min(segment, message.Length - at);
                if (length > capacity)
                {
                    counters.Rx.DropTruncated++; // B04: as without GRO, a datagram too big for a datagram slot
                    continue;
                }

                if (!known)
                {
                    counters.Rx.DropUnknownSource++;
                    continue;
                }

                Span<byte> datagram = message.Slice(at, length);
                if (!Decode(c, p, datagram, now, out Wire.GreFrame frame))
                {
                    continue;
                }

                int handle = View(slot, offset + at + frame.HeaderLength, datagram[frame.HeaderLength..]);
                if (handle < 0)
                {
                    p.Socket!.Counters.Receive.PoolExhausted++;
                    continue;
                }

                Route(c, p, frame, length, handle);
            }

            if (_store.EndMessage(slot))
            {
                gro.Detach(i);
            }
        }
    }

    /// <summary>A view of the payload in its message slot; a copy into a datagram slot when every view handle is taken;
    /// −1 when the datagram pool is exhausted too.</summary>
    private int View(int slot, int offset, ReadOnlySpan<byte> payload)
    {
        if (_store.TryView(slot, offset, payload.Length, out int handle))
        {
            return handle;
        }

        if (!_store.TryCopy(payload, out handle))
        {
            return -1;
        }

        _store.CountCopiedView();
        return handle;
    }

    /// <summary>
    /// The GRO batch could not get a slot for every message: views still pin the others. Write the TUN queue out first
    /// (the views in it are done); if that is not enough, the views the merger and the reorder buffers hold are copied
    /// into datagram slots (<see cref="PacketStore.MigrateViews"/>), which frees their message slots. Whatever is still
    /// missing only shortens this receive (the socket counts a receive with no slot at all).
    /// </summary>
    private void RefillMessageSlots()
    {
        GroSlotShortages++;
        PacketBatch gro = _groRx!;
        FlushTun();
        if (gro.EnsureSlots(gro.Capacity) < gro.Capacity)
        {
            _store.MigrateViews();
            gro.EnsureSlots(gro.Capacity);
        }
    }
}
