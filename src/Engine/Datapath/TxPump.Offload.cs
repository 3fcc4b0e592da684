using MptFast.Engine.Buffers;
using MptFast.Engine.Classify;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Mapping;
using MptFast.Engine.Offload;
using MptFast.Engine.Runtime;
using MptFast.Engine.Scheduling;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Datapath;

/// <summary>The segmentation-offload half of the transmit pump (see the remarks on <see cref="TxPump"/>).</summary>
public sealed partial class TxPump
{
    private void DispatchOffloaded(int count)
    {
        for (int i = 0; i < count; i++)
        {
            Span<byte> packet = _in.Data(i);
            VirtioNetHeader header = default;
            int offset = _in.OffsetOf(i);
            if ((_in.FlagsOf(i) & PacketFlags.VirtioHeader) != 0 && offset >= VirtioNetHeader.Size)
            {
                // The device put the virtio_net_hdr right in front of the packet, inside the headroom.
                _ = VirtioNetHeader.TryRead(_in.SlotSpan(i)[(offset - VirtioNetHeader.Size)..offset], out header);
            }

            int ci = _matcher.Match(packet);
            if (ci < 0)
            {
                _dropNoConnection++;
                continue;
            }

            Touch(ci);
            SendTimes?.OnSent(packet, _nowMicros);

            int version = packet[0] >> 4;
            if (version != 4 && version != 6)
            {
                _dropNotIp++;
                continue;
            }

            TcpSegmentPlan plan;
            if (header.IsGso)
            {
                if (TcpSegmenter.TryPlan(packet, header, out plan) != OffloadStatus.Ok)
                {
                    _dropBadOffload++;
                    continue;
                }

                _superPackets++;
            }
            else
            {
                // MPT-SPEC §2.5 unchanged for single packets: only a partial checksum (TUN_F_CSUM) is completed first.
                if (TcpSegmenter.CompleteChecksum(packet, header) != OffloadStatus.Ok)
                {
                    _dropBadOffload++;
                    continue;
                }

                plan = new TcpSegmentPlan(version, 0, packet.Length, packet.Length, 0, 1);
            }

            CountSending(ci, packet.Length);
            ConnectionRuntime c = _connections[ci];
            uint ok = c.OkMask;
            int mapped = PathScheduler.MappedPath(packet, c.PortMap, ok); // MPT-SPEC §6.4: a super-packet is one flow
            if (mapped >= 0)
            {
                EmitSegments(c, ci, mapped, packet, header.IsGso, plan, 0, plan.SegmentCount);
                c.Adaptive.Charge(mapped, packet.Length, _nowMicros);
                continue;
            }

            // Bytes-weighted bursts of at most the chosen path's segment quantum: a super-packet may be spread over
            // several paths, each taking a run of consecutive segments (sequence numbers) sized to its weight.
            int greLength = GreCodec.EncodedHeaderLength(c.SendSequence, c.SendsPathSequence);
            int segmentBytes = plan.HeaderLength + greLength + plan.SegmentPayload;
            PathScheduler scheduler = c.Scheduler;
            for (int k = 0; k < plan.SegmentCount;)
            {
                // The adaptive scheduler's earliest arrival while the paths are measured, else the weighted bursts.
                int path = AdaptivePath(c, ok, segmentBytes);
                if (path < 0)
                {
                    path = scheduler.PeekBurst(ok);
                }

                if (path < 0)
                {
                    c.CountNoPath();
                    break;
                }

                int n = Math.Min(plan.SegmentCount - k, BurstSegments(c, path, segmentBytes, scheduler.BurstSegments(path)));
                int bytes = n * (plan.HeaderLength + greLength);
                bytes += Math.Min(plan.PayloadLength - (k * plan.SegmentPayload), n * plan.SegmentPayload);
                scheduler.ChargeBurst(path, bytes);
                c.Adaptive.Charge(path, bytes, _nowMicros);
                EmitSegments(c, ci, path, packet, header.IsGso, plan, k, n);
                k += n;
                if (n > 1 && c.SendSequence && c.Paths.Length > 1)
                {
                    // A train goes out at once, so the paths' trains leave in sequence-number order. (Flushing each
                    // path's batch at the end would send one path's trains — sequence numbers 0–15, 32–47, 64–79 … —
                    // before the other's, and the receiver would see them a whole batch apart; same syscall count.)
                    FlushTrains(c, path, _out[ci][path], _runs[ci][path]);
                }
            }
        }
    }

    /// <summary>Writes each segment (or the single packet) into its own output slot behind the GRE headroom, adds the
    /// GRE header with the next sequence number and appends it to the path's batch and GSO runs.</summary>
    private void EmitSegments(ConnectionRuntime c, int ci, int path, ReadOnlySpan<byte> packet, bool gso, in TcpSegmentPlan plan,
        int first, int count)
    {
        PacketBatch batch = _out[ci][path];
        GsoRunList runs = _runs[ci][path];
        PathCounters counters = c.Paths[path].Counters;
        int maxSegments = c.Paths[path].Socket!.Capabilities.GsoSegments;
        if (c.SendSequence)
        {
            // With a reorder window the trains are no longer than the path's burst quantum either: a rate-limited
            // hop releases a GSO train as one clump, and a clump must stay well inside the receiver's window.
            maxSegments = Math.Clamp(c.Scheduler.BurstSegments(path), 1, maxSegments);
        }

        int end = first + count;
        for (int k = first; k < end; k++)
        {
            if (batch.Count == batch.Capacity)
            {
                FlushTrains(c, path, batch, runs);
            }

            if (!_pool.TryRent(out int slot))
            {
                _dropBadOffload += end - k;
                return;
            }

            Span<byte> destination = _pool.Slot(slot);
            Span<byte> inner = destination[PacketPool.Headroom..];
            int length;
            if (gso)
            {
                length = TcpSegmenter.WriteSegment(packet, plan, k, inner);
            }
            else if (packet.Length <= inner.Length)
            {
                packet.CopyTo(inner);
                length = packet.Length;
            }
            else
            {
                length = -1;
            }

            // MPT-SPEC §2.3: one counter per connection, advanced for every data packet (here: every segment).
            uint sequence = c.NextSequence;
            int start = 0;
            if (length <= 0 || Encapsulate(c, ci, path, destination, PacketPool.Headroom, length, sequence, batch.Count, out start) != GreEncodeStatus.Ok)
            {
                _pool.Return(slot);
                _dropBadOffload++;
                continue;
            }

            c.NextSequence = sequence + 1;
            int datagram = length + (PacketPool.Headroom - start);
            int entry = batch.Count;
            batch.Attach(entry, slot, start, datagram);
            batch.Count = entry + 1;
            runs.Add(entry, datagram, maxSegments);
            counters.Tx.Packets++;
            counters.Tx.Bytes += datagram;
        }
    }

    /// <summary>Sends the batch as its GSO trains (single entries together through sendmmsg), waiting briefly for
    /// room on a full socket buffer as <see cref="Flush"/> does; returns the slots.</summary>
    private void FlushTrains(ConnectionRuntime c, int path, PacketBatch batch, GsoRunList runs)
    {
        IPathSocket socket = c.Paths[path].Socket!;
        int count = batch.Count;
        int r = 0;
        int stalls = 0;
        while (r < runs.Length && !_stopping)
        {
            int start = runs.StartOf(r);
            int n = runs.CountOf(r);
            int want;
            int sent;
            if (n > 1)
            {
                want = n;
                sent = socket.SendGso(batch, start, n, runs.SegmentOf(r));
                if (sent == want)
                {
                    r++;
                }
                else
                {
                    runs.Consume(r, sent);
                }
            }
            else
            {
                int end = r + 1;
                while (end < runs.Length && runs.CountOf(end) == 1)
                {
                    end++;
                }

                want = end - r;
                sent = socket.SendBatch(batch, start, want);
                r += sent;
            }

            if (sent == 0)
            {
                // Socket buffer full: wait briefly for room (back-pressure into the tunnel's TCP), then give up.
                if (++stalls > MaxSendStalls)
                {
                    break;
                }

                _writable.Update(0, socket.Fd, PollEvents.Writable);
                _writable.Wait(WritableWaitMs);
            }
        }

        if (r < runs.Length)
        {
            c.Paths[path].Counters.Tx.SendErrors += count - runs.StartOf(r);
        }

        ReleaseSent(c.Index, path, batch, count);
        batch.Count = 0;
        runs.Clear();
    }
}
