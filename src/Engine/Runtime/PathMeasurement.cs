using System.Runtime.InteropServices;
using MptFast.Engine.Measurement;
using MptFast.Engine.Reorder;

namespace MptFast.Engine.Runtime;

/// <summary>What a probe the peer sent on a path said and when it came: echoed in the next probe this end sends on
/// the path (<see cref="ProbeWriter"/>). Times in µs of the respective sender's clock.</summary>
public readonly record struct ProbeEcho(ulong PeerTxMicros, ulong PeerTxPackets, ulong ArrivalMicros, ulong RxPackets, ulong RxBytes)
{
    public bool IsSet => ArrivalMicros != 0;
}

/// <summary>
/// One path's measurement state between MptFast peers (see <see cref="Wire.ProbeCodec"/>): the receive thread owns the
/// estimator and the loss detector and publishes the <see cref="Estimate"/> and the <see cref="Echo"/>; the transmit
/// thread owns the per-path sequence counter; probes are written by the control thread (with the keepalives) and by
/// the receive thread (fast probes, loss reports) from the published state.
/// </summary>
public sealed class PathMeasurement
{
    private int _peerPathIndex = -1;

    /// <summary>Receive thread: the probes' estimator.</summary>
    public PathEstimator Estimator { get; } = new();

    /// <summary>Receive thread: gaps in the per-path sequence numbers of the peer's data.</summary>
    public PathLossDetector Losses { get; } = new();

    /// <summary>The latest estimate (receive thread writes, any thread reads).</summary>
    public SeqLocked<PathEstimate> Estimate { get; } = new();

    /// <summary>The latest probe received (receive thread writes, probe writers read).</summary>
    public SeqLocked<ProbeEcho> Echo { get; } = new();

    /// <summary>The peer's index of this path (from its probes), -1 until one arrived: loss reports name the path so.</summary>
    public int PeerPathIndex
    {
        get => Volatile.Read(ref _peerPathIndex);
        set => Volatile.Write(ref _peerPathIndex, value);
    }

    /// <summary>Receive thread: the latest send time (the peer's clock, µs) of an authenticated probe taken on this
    /// path; an authenticated probe must be later to be taken while the path is up (a replay moves nothing).</summary>
    public ulong ProbeHighWater { get; set; }

    /// <summary>Receive thread: when the next fast probe is due (Stopwatch ticks).</summary>
    public long NextProbeTicks { get; set; }

    /// <summary>When the last fast probe went out (Stopwatch ticks; receive thread).</summary>
    public long LastProbeTicks { get; set; }

    /// <summary>The path's data packets, both directions, when the last fast probe went out (receive thread).</summary>
    public long PacketsAtProbe { get; set; }

    /// <summary>Counters, one section per writer thread.</summary>
    public MeasurementCounters Counters { get; } = new();

    /// <summary>Takes over the state of the same path before a reload (datapath threads stopped).</summary>
    public void ContinueFrom(PathMeasurement previous)
    {
        ArgumentNullException.ThrowIfNull(previous);
        Estimate.Write(previous.Estimate.Read());
        Echo.Write(previous.Echo.Read());
        PeerPathIndex = previous.PeerPathIndex;
        ProbeHighWater = previous.ProbeHighWater;
        Counters.Tx.NextPathSequence = previous.Counters.Tx.NextPathSequence;
    }

    /// <summary>The path's measured figures and its measurement counters, for the status.</summary>
    public CounterSnapshot Snapshot(double schedulerRate)
    {
        PathEstimate e = Estimate.Read();
        MeasurementCounters c = Counters;
        return new CounterSnapshot()
            .Add("rtt_us", e.SmoothedRttMicros)
            .Add("min_rtt_us", e.MinRttMicros)
            .Add("forward_queue_us", e.ForwardQueueMicros)
            .Add("reverse_queue_us", e.ReverseQueueMicros)
            .Add("reverse_jitter_us", e.ReverseJitterMicros)
            .Add("delivered_bytes_per_second", e.DeliveredBytesPerSecond)
            .Add("max_delivered_bytes_per_second", e.MaxDeliveredBytesPerSecond)
            .Add("loss_ppm", e.LossPpm)
            .Add("scheduler_rate_bytes_per_second", (long)schedulerRate)
            .Add("probes_received", ref c.Rx.ProbesReceived)
            .Add("probes_rejected", ref c.Rx.ProbesRejected)
            .Add("probes_sent", ref c.Rx.ProbesSent)
            .Add("loss_reports_sent", ref c.Rx.LossReportsSent)
            .Add("loss_ranges_received", ref c.Rx.LossRangesReceived)
            .Add("path_sequence_missing", ref c.Rx.PathSequenceMissing)
            .Add("path_sequence_reordered", ref c.Rx.PathSequenceReordered)
            .Add("give_ups_sent", ref c.Rx.GiveUpsSent)
            .Add("give_ups_received", ref c.Rx.GiveUpsReceived)
            .Add("retransmitted", ref c.Tx.Retransmitted)
            .Add("retransmit_missed", ref c.Tx.RetransmitMissed)
            .Add("retransmit_skipped_congested", ref c.Tx.RetransmitSkippedCongested);
    }
}

/// <summary>Measurement counters of one path, one section per writer thread (as <see cref="PathCounters"/>).</summary>
[StructLayout(LayoutKind.Explicit)]
public sealed class MeasurementCounters
{
    [FieldOffset(0)]
    public MeasurementRxCounters Rx;

    [FieldOffset(PathCounters.SectionBytes)]
    public MeasurementTxCounters Tx;
}

/// <summary>The receive thread's measurement counters of one path.</summary>
[StructLayout(LayoutKind.Sequential, Size = PathCounters.SectionBytes)]
public struct MeasurementRxCounters
{
    /// <summary>Probes (keepalives with a measurement trailer) received.</summary>
    public long ProbesReceived;

    /// <summary>Probes not taken on a connection with SHA-256 control authentication: no MAC, a wrong one, or a send
    /// time not later than the last one taken (a replay). The keepalive itself still counts (liveness, MPT-SPEC §3.3).</summary>
    public long ProbesRejected;

    /// <summary>Fast probes and loss reports the receive thread sent on the path.</summary>
    public long ProbesSent;

    /// <summary>Probes with loss reports sent (on the path they went out on).</summary>
    public long LossReportsSent;

    /// <summary>Loss-report ranges received about this path's packets.</summary>
    public long LossRangesReceived;

    /// <summary>Per-path sequence numbers found missing in the peer's data on this path.</summary>
    public long PathSequenceMissing;

    /// <summary>Of those, the ones that arrived late after all (reordering on the path).</summary>
    public long PathSequenceReordered;

    /// <summary>Give-up notices (connection sequence numbers this end will not send again) sent on the path.</summary>
    public long GiveUpsSent;

    /// <summary>Give-up notices received in the peer's probes on the path.</summary>
    public long GiveUpsReceived;
}

/// <summary>The transmit thread's measurement state and counters of one path.</summary>
[StructLayout(LayoutKind.Sequential, Size = PathCounters.SectionBytes)]
public struct MeasurementTxCounters
{
    /// <summary>Next per-path sequence number (GRE key) for the path.</summary>
    public uint NextPathSequence;

    /// <summary>Packets sent again on this path because the peer reported them lost (on any path).</summary>
    public long Retransmitted;

    /// <summary>Reported packets no longer kept (too old, or already sent again): left to the inner transport.</summary>
    public long RetransmitMissed;

    /// <summary>Reported packets not sent again because the path was congested (a tail drop the inner TCP must see).</summary>
    public long RetransmitSkippedCongested;
}
