using System.Runtime.InteropServices;

namespace MptFast.Engine.Runtime;

/// <summary>
/// Per-path counters, one section per writer thread: <see cref="Tx"/> (transmit thread), <see cref="Rx"/> (receive
/// thread), <see cref="Control"/> (control thread). Plain increments, no locks, no interlocked (STYLE.md "Hot paths");
/// the control plane reads them with <see cref="Volatile.Read(ref long)"/> through <see cref="Traffic"/> and
/// <see cref="Drops"/>. The sections lie <see cref="SectionBytes"/> apart, so the transmit and receive threads, which
/// both count every packet of the path, never write the same cache line (no false sharing), wherever the object starts.
/// </summary>
[StructLayout(LayoutKind.Explicit)]
public sealed class PathCounters
{
    /// <summary>Distance between the sections: a section's fields (≤ 64 bytes) plus a whole cache line.</summary>
    public const int SectionBytes = 128;

    /// <summary>Written by the transmit thread.</summary>
    [FieldOffset(0)]
    public PathTxCounters Tx;

    /// <summary>Written by the receive thread.</summary>
    [FieldOffset(SectionBytes)]
    public PathRxCounters Rx;

    /// <summary>Written by the control thread.</summary>
    [FieldOffset(2 * SectionBytes)]
    public PathControlCounters Control;

    /// <summary>Packets, bytes and keepalives in each direction (the path's status block).</summary>
    public CounterSnapshot Traffic() => new CounterSnapshot()
        .Add("tx_packets", ref Tx.Packets)
        .Add("tx_bytes", ref Tx.Bytes)
        .Add("rx_packets", ref Rx.Packets)
        .Add("rx_bytes", ref Rx.Bytes)
        .Add("keepalives_sent", ref Control.KeepalivesSent)
        .Add("keepalives_received", ref Rx.KeepalivesReceived);

    /// <summary>What the path dropped or failed to send, by reason.</summary>
    public CounterSnapshot Drops() => new CounterSnapshot()
        .Add("unknown_source", ref Rx.DropUnknownSource)
        .Add("malformed", ref Rx.DropMalformed)
        .Add("truncated", ref Rx.DropTruncated)
        .Add("command_on_data_port", ref Rx.DropCommandOnDataPort)
        .Add("keepalive_mismatch", ref Rx.DropKeepaliveMismatch)
        .Add("send_errors", ref Tx.SendErrors)
        .Add("keepalive_send_errors", ref Control.KeepaliveSendErrors);
}

/// <summary>The transmit thread's counters of one path.</summary>
[StructLayout(LayoutKind.Sequential, Size = PathCounters.SectionBytes)]
public struct PathTxCounters
{
    /// <summary>GRE datagrams queued for the path.</summary>
    public long Packets;

    /// <summary>Their bytes (GRE header included).</summary>
    public long Bytes;

    /// <summary>Datagrams given up after the socket refused them or stayed full.</summary>
    public long SendErrors;
}

/// <summary>The receive thread's counters of one path.</summary>
[StructLayout(LayoutKind.Sequential, Size = PathCounters.SectionBytes)]
public struct PathRxCounters
{
    /// <summary>Data packets received.</summary>
    public long Packets;

    /// <summary>Their datagram bytes.</summary>
    public long Bytes;

    /// <summary>Keepalives received on the data port (MPT-SPEC §3.3).</summary>
    public long KeepalivesReceived;

    /// <summary>Datagrams from an address other than the path's remote (MPT-SPEC §2.6 step 3).</summary>
    public long DropUnknownSource;

    /// <summary>Datagrams whose GRE header did not decode (MPT-SPEC §2.6 steps 4–6).</summary>
    public long DropMalformed;

    /// <summary>Datagrams longer than a receive slot (B04).</summary>
    public long DropTruncated;

    /// <summary>Command-protocol packets on the data port that are not keepalives.</summary>
    public long DropCommandOnDataPort;

    /// <summary>Keepalives naming another tunnel pair (B32; still counted as alive).</summary>
    public long DropKeepaliveMismatch;
}

/// <summary>The control thread's counters of one path.</summary>
[StructLayout(LayoutKind.Sequential, Size = PathCounters.SectionBytes)]
public struct PathControlCounters
{
    /// <summary>Keepalives sent (MPT-SPEC §3.2).</summary>
    public long KeepalivesSent;

    /// <summary>Keepalives the socket did not take.</summary>
    public long KeepaliveSendErrors;
}
