using MptFast.Engine.Wire;

namespace MptFast.Engine.Runtime;

/// <summary>
/// Writes the probe a path sends now (MPT-SPEC §3.1 keepalive + <see cref="ProbeCodec"/> trailer): this end's clock and
/// data counter, the echo of the last probe received on the path, what this end can do, and optional loss reports.
/// Used by the control thread (keepalives) and the receive thread (fast probes, loss reports); reads only published
/// state. No allocation.
/// </summary>
public static class ProbeWriter
{
    /// <summary>Writes the probe into <paramref name="destination"/> (≥ <see cref="ProbeCodec.MaxPacketLength"/> bytes);
    /// returns its length, 0 when it cannot be written.</summary>
    public static int Write(ConnectionRuntime c, PathRuntime p, long nowMicros, ReadOnlySpan<LossRange> losses, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(p);
        ProbeEcho echo = p.Measurement.Echo.Read();
        ProbeFlags flags = (echo.IsSet ? ProbeFlags.Echo : ProbeFlags.None)
            | (c.WantsPathSequence ? ProbeFlags.PathSequence : ProbeFlags.None)
            | (c.Reorder is not null ? ProbeFlags.Reorders | ProbeFlags.GiveUps : ProbeFlags.None)
            | (c.ProbeKey is not null ? ProbeFlags.Authenticated : ProbeFlags.None);
        var probe = new ProbeTrailer(flags, (byte)p.Index, (ulong)nowMicros, (ulong)Volatile.Read(ref p.Counters.Tx.Packets),
            echo.PeerTxMicros, echo.PeerTxPackets, echo.ArrivalMicros, echo.RxPackets, echo.RxBytes, 0);
        return KeepaliveCodec.TryWriteProbe(destination, c.IpVersion, c.LocalTunnel, c.RemoteTunnel, probe, losses, c.ProbeKey, out int written)
            ? written
            : 0;
    }
}
