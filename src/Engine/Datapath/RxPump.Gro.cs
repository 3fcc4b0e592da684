using MptFast.Engine.Buffers;

namespace MptFast.Engine.Datapath;

/// <summary>UDP GRO receive (PERFORMANCE-NOTES lever 2): glued messages cut back into single datagrams.</summary>
public sealed partial class RxPump
{
    /// <summary>GRO messages split back into datagrams (receive thread).</summary>
    public long GroMessages { get; private set; }

    /// <summary>Datagrams that arrived glued in GRO messages.</summary>
    public long GroDatagrams { get; private set; }

    /// <summary>Cuts each received message at its GRO segment size into single datagrams in <see cref="_rx"/> and
    /// processes them as if recvmmsg had returned them one by one (all parts of a message share its source).</summary>
    private void Split(ConnectionRuntime c, PathRuntime p, PacketBatch gro, int count, long now)
    {
        PathCounters counters = p.Counters;
        int capacity = _pool.PacketCapacity;
        int filled = 0;
        int ready = _rx.EnsureSlots(_rx.Capacity);
        for (int i = 0; i < count; i++)
        {
            int segment = gro.SegmentSizeOf(i);
            if ((gro.FlagsOf(i) & (PacketFlags.Truncated | PacketFlags.ControlTruncated)) != 0)
            {
                counters.DropTruncated++; // B04; a cut control message leaves the segment size unknown
                continue;
            }

            ReadOnlySpan<byte> message = gro.Data(i);
            if (segment <= 0 || segment > message.Length)
            {
                segment = message.Length;
            }
            else
            {
                GroMessages++;
                GroDatagrams += (message.Length + segment - 1) / segment;
            }

            ReadOnlySpan<byte> source = gro.SourceAddress(i);
            ushort port = gro.SourcePort(i);
            for (int at = 0; at < message.Length; at += segment)
            {
                if (filled == ready)
                {
                    if (filled > 0)
                    {
                        Process(c, p, filled, now);
                    }

                    filled = 0;
                    ready = _rx.EnsureSlots(_rx.Capacity);
                    if (ready == 0)
                    {
                        p.Socket!.Counters.PoolExhausted++;
                        return;
                    }
                }

                int length = Math.Min(segment, message.Length - at);
                if (length > capacity)
                {
                    _rx.SetPacket(filled, PacketPool.Headroom, 0, PacketFlags.Truncated); // B04: too big for a slot
                }
                else
                {
                    message.Slice(at, length).CopyTo(_rx.SlotSpan(filled)[PacketPool.Headroom..]);
                    _rx.SetPacket(filled, PacketPool.Headroom, length);
                }

                _rx.SetSource(filled, source, port);
                filled++;
            }
        }

        if (filled > 0)
        {
            Process(c, p, filled, now);
        }
    }
}
