using System.Text.Json;

namespace MptFast.Perf.LinkEmu;

/// <summary>
/// One direction's counters: plain fields written by its forwarding thread only, read (possibly a little stale) by
/// whoever prints them — the SIGUSR1 handler, the control socket's <c>stats</c>, the exit report.
/// </summary>
internal sealed class Counters
{
    public long Received;
    public long ReceivedBytes;
    public long Forwarded;
    public long ForwardedBytes;
    public long Duplicated;
    public long DropLoss;          // independent random loss
    public long DropBurstLoss;     // Gilbert–Elliott
    public long DropQueueFull;     // tail drop in front of the serializer
    public long DropPoolEmpty;     // no free frame slot (more in flight than --frames)
    public long DropTooBig;        // frame larger than a slot (offloads left on?)
    public long DropSendError;     // the kernel refused the send
    public long ChecksumPartial;   // frames whose checksum was left to an offload (forwarded as they are)
    public long QueueHighWaterBytes;
    public long InFlightHighWater; // frames held (queue + delay line) at most
    public long RingDrops;         // the kernel's count of frames the RX ring had no room for (PACKET_STATISTICS)
    public long ParamChanges;

    public long Dropped => DropLoss + DropBurstLoss + DropQueueFull + DropPoolEmpty + DropTooBig + DropSendError;

    public void Write(Utf8JsonWriter json, string name, LinkParams current)
    {
        json.WriteStartObject(name);
        json.WriteNumber("received", Received);
        json.WriteNumber("received_bytes", ReceivedBytes);
        json.WriteNumber("forwarded", Forwarded);
        json.WriteNumber("forwarded_bytes", ForwardedBytes);
        json.WriteNumber("duplicated", Duplicated);
        json.WriteNumber("dropped", Dropped);
        json.WriteStartObject("drops");
        json.WriteNumber("loss", DropLoss);
        json.WriteNumber("burst_loss", DropBurstLoss);
        json.WriteNumber("queue_full", DropQueueFull);
        json.WriteNumber("pool_empty", DropPoolEmpty);
        json.WriteNumber("too_big", DropTooBig);
        json.WriteNumber("send_error", DropSendError);
        json.WriteNumber("ring_full", RingDrops);
        json.WriteEndObject();
        json.WriteNumber("checksum_partial", ChecksumPartial);
        json.WriteNumber("queue_high_water_bytes", QueueHighWaterBytes);
        json.WriteNumber("queue_limit_bytes", current.RateBitsPerSecond > 0 ? current.QueueLimitBytes : 0);
        json.WriteNumber("in_flight_high_water", InFlightHighWater);
        json.WriteNumber("param_changes", ParamChanges);
        json.WriteString("params", current.ToString());
        json.WriteEndObject();
    }
}
