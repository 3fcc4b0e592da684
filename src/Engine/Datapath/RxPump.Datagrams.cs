using MptFast.Engine.Buffers;
using MptFast.Engine.Offload;
using MptFast.Engine.Reorder;
using MptFast.Engine.Runtime;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Datapath;

/// <summary>
/// What each received datagram becomes (MPT-SPEC §2.6 with the "Required" checks, §3.3): sender check, GRE decode,
/// keepalive bookkeeping or data, then the merger (sequenced, reordering connection) or the TUN queue. A plain receive
/// is processed entry by entry (<see cref="Process"/>); a UDP GRO message is cut back into its datagrams in place first
/// (<see cref="Split"/>, PERFORMANCE-NOTES lever 2).
/// </summary>
public sealed partial class RxPump
{
    private void Process(ConnectionRuntime c, PathRuntime p, int count, long now)
    {
        PathCounters counters = p.Counters;
        for (int i = 0; i < count; i++)
        {
            if ((_rx.FlagsOf(i) & PacketFlags.Truncated) != 0)
            {
                counters.Rx.DropTruncated++;
                continue;
            }

            // MPT-SPEC §2.6 step 3: only the path's configured remote address; the source port is not pinned (NAT).
            if (!p.Remote.Matches(_rx.SourceAddress(i)))
            {
                counters.Rx.DropUnknownSource++;
                continue;
            }

            Span<byte> datagram = _rx.Data(i);
            if (!Decode(c, p, datagram, _rx.SourcePort(i), now, out GreFrame frame))
            {
                continue;
            }

            int offset = _rx.OffsetOf(i) + frame.HeaderLength;
            int handle = _store.Adopt(_rx.Detach(i), offset, frame.PayloadLength);
            Route(c, p, frame, datagram.Length, handle);
        }
    }

    /// <summary>GRE decode (MPT-SPEC §2.6 steps 4–6); keepalives are handled here. True for a data packet.</summary>
    private bool Decode(ConnectionRuntime c, PathRuntime p, ReadOnlySpan<byte> datagram, ushort sourcePort, long now, out GreFrame frame)
    {
        if (GreCodec.Decode(datagram, out frame) != GreStatus.Ok)
        {
            p.Counters.Rx.DropMalformed++;
            return false;
        }

        if (frame.Kind == GrePayloadKind.Command)
        {
            Command(c, p, datagram, sourcePort, now);
            return false;
        }

        return true;
    }

    /// <summary>A data packet now held by <paramref name="handle"/>: counted, then to the reorder buffer (through the
    /// merger) when it carries a sequence number and the connection reorders, else straight to the TUN queue.</summary>
    private void Route(ConnectionRuntime c, PathRuntime p, in GreFrame frame, int datagramLength, int handle)
    {
        PathCounters counters = p.Counters;
        counters.Rx.Packets++;
        counters.Rx.Bytes += datagramLength;
        if (frame.HasKey && c.WantsPathSequence)
        {
            TrackPathSequence(p, frame.Key);
        }

        if (_ackDue is not null && AckHoldTicks(c, p, _store.Data(handle)) is > 0 and long hold)
        {
            _ackDue[handle] = _wakeTicks + hold; // held on its way to the TUN (QueueToTun), after the reorder buffer
        }

        if (c.Reorder is { } reorder && frame.HasSequence)
        {
            // A line that still holds packets takes the path's next ones too (even with no hold left): a path's
            // packets reach the reorder buffer in the order they arrived. Nothing is delayed until the buffer has its
            // first packet (which sets the number it expects: a delayed earlier one would then be late).
            if (_lines[c.Index] is { } lines && ((p.EqualizeTicks > 0 && reorder.IsSynchronised) || !lines[p.Index].IsEmpty))
            {
                Delay(reorder, lines[p.Index], frame.Sequence, handle, _wakeTicks + p.EqualizeTicks);
                return;
            }

            if (_merger.IsFull)
            {
                FlushMerger(c);
            }

            _merger.Add(frame.Sequence, handle);
        }
        else
        {
            QueueToTun(handle);
        }
    }

    /// <summary>
    /// How long the acknowledgement <paramref name="packet"/>, arrived on <paramref name="p"/>, waits (Stopwatch ticks; 0
    /// = not at all). equalize_delay = acks: every bare acknowledgement from a faster path, that path's hold. auto: those
    /// of flows whose sender here is delay-based, each until the round trip the sender measures from the newest segment it
    /// acknowledges is its shortest plus h (<see cref="ConnectionRuntime.AckFloorMicros"/>, <see cref="SendTimes"/>): an
    /// acknowledgement of segments that waited at the peer's reorder buffer for a slower path's, or queued, waits less or
    /// not at all.
    /// </summary>
    private long AckHoldTicks(ConnectionRuntime c, PathRuntime p, ReadOnlySpan<byte> packet)
    {
        if (c.Config.EqualizeAcks)
        {
            return p.EqualizeTicks > 0 && TcpSegment.IsBareAcknowledgement(packet) ? p.EqualizeTicks : 0;
        }

        long floor = c.AckFloorMicros;
        if (floor <= 0 || !c.Config.HoldsDelayBasedAcks || _ackFlows is null || _sendTimes is null
            || !TcpSegment.IsBareAcknowledgement(packet) || !_ackFlows.Holds(packet, _wakeTicks, out TcpSocketId id))
        {
            return 0;
        }

        long now = MonotonicClock.ToMicros(_wakeTicks);
        int flow = _sendTimes.Track(id, now);
        return MonotonicClock.FromMicros(_sendTimes.HoldMicros(flow, packet, now, floor));
    }

    /// <summary>Puts a faster path's packet in its delay line (equalize_delay) until <paramref name="dueTicks"/>; a full
    /// line passes its oldest on first.</summary>
    private void Delay(ReorderBuffer reorder, DelayLine line, uint seq, int handle, long dueTicks)
    {
        if (line.IsFull && line.TryTake(out uint oldSeq, out int oldHandle))
        {
            _equalizeOverflows++;
            var sink = new TunSink(this);
            reorder.Push(oldSeq, oldHandle, _wakeTicks, ref sink);
        }

        line.TryAdd(seq, handle, dueTicks);
        _equalized++;
    }

    /// <summary>Passes every delayed packet due by <paramref name="dueBy"/> on to the reorder buffer at
    /// <paramref name="nowTicks"/>, path by path (the buffer puts them in order).</summary>
    private void ReleaseDelayed(ReorderBuffer reorder, DelayLine[] lines, long dueBy, long nowTicks)
    {
        var sink = new TunSink(this);
        foreach (DelayLine line in lines)
        {
            while (line.TryTakeDue(dueBy, out uint seq, out int handle))
            {
                reorder.Push(seq, handle, nowTicks, ref sink);
            }
        }
    }

    private void Command(ConnectionRuntime c, PathRuntime p, ReadOnlySpan<byte> datagram, ushort sourcePort, long now)
    {
        PathCounters counters = p.Counters;
        if (KeepaliveCodec.Decode(datagram, out KeepaliveMessage keepalive) != KeepaliveStatus.Ok)
        {
            counters.Rx.DropCommandOnDataPort++;
            return;
        }

        // B32: the keepalive names the sender's tunnel pair; it must be our pair swapped. The path is authenticated by
        // its source address already, so a mismatch is counted (and reported) but still proves the path alive.
        if (keepalive.LocalTunnel != c.RemoteTunnel || keepalive.RemoteTunnel != c.LocalTunnel)
        {
            counters.Rx.DropKeepaliveMismatch++;
        }

        counters.Rx.KeepalivesReceived++;
        p.LastKeepaliveTicks = now;
        if (keepalive.Probe is { } probe)
        {
            int trailer = ProbeCodec.Length(probe.LossRanges, (probe.Flags & ProbeFlags.Authenticated) != 0);
            if (c.ProbeKey is { } key)
            {
                if (!Authentic(p, probe, datagram[^(KeepaliveCodec.CommandLength + trailer)..], key))
                {
                    p.Measurement.Counters.Rx.ProbesRejected++;
                    return;
                }

                FollowPort(p, sourcePort);
            }

            TakeProbe(c, p, probe, datagram[^trailer..], now);
        }
    }

    /// <summary>
    /// On a connection with SHA-256 control authentication a probe is taken only with a valid MAC and, while the path
    /// is up, a send time later than the last one taken: a spoofer of the path's address (§2.6 step 3 checks no more)
    /// can neither forge nor replay one. A path that is down takes the next authentic probe whatever its time (the peer
    /// may have restarted with a smaller clock).
    /// </summary>
    private static bool Authentic(PathRuntime p, in ProbeTrailer probe, ReadOnlySpan<byte> signed, HmacSha256 key)
    {
        PathMeasurement m = p.Measurement;
        if ((probe.Flags & ProbeFlags.Authenticated) == 0
            || (probe.TxMicros <= m.ProbeHighWater && p.Status == Config.PathStatus.Ok)
            || !ProbeCodec.Verify(signed, key))
        {
            return false;
        }

        m.ProbeHighWater = probe.TxMicros;
        return true;
    }

    /// <summary>
    /// Issue 15: a peer behind NAT sends from its data socket's mapped port, which only its datagrams show. Only an
    /// authentic probe moves the path there (<see cref="Authentic"/>): data and plain keepalives carry no proof, and
    /// following them let any datagram with the peer's source address take the path's traffic away.
    /// </summary>
    private static void FollowPort(PathRuntime p, ushort port)
    {
        if (port != p.Endpoint.Port)
        {
            PathMoves.FollowPort(p, port);
        }
    }

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
            if (message.IsEmpty)
            {
                counters.Rx.DropMalformed++; // an empty datagram: no GRE header (the loop below would count nothing)
                continue;
            }

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
            ushort port = gro.SourcePort(i);

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
                if (!Decode(c, p, datagram, port, now, out GreFrame frame))
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
