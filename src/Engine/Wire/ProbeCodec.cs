using System.Buffers.Binary;
using System.Security.Cryptography;

namespace MptFast.Engine.Wire;

/// <summary>What a probe trailer says about its sender and what it asks for.</summary>
[Flags]
public enum ProbeFlags : byte
{
    None = 0,

    /// <summary>The echo fields are valid (the sender had received a probe on this path).</summary>
    Echo = 0x01,

    /// <summary>The sender accepts data with a per-path sequence number in the GRE key field and answers loss
    /// reports (NACK ranges) by retransmitting.</summary>
    PathSequence = 0x02,

    /// <summary>The sender puts received data back in sequence order (its reorder window is on): a path need not queue
    /// to keep arrivals in order.</summary>
    Reorders = 0x04,

    /// <summary>A <see cref="ProbeCodec.MacLength"/>-byte MAC ends the trailer (connections with SHA-256 control
    /// authentication): only an authenticated probe may move a path's port or feed its measurement.</summary>
    Authenticated = 0x08,

    /// <summary>The sender takes give-up notices (<see cref="LossRangeKind.GiveUp"/> ranges): a peer sends them only
    /// to a receiver that set this flag (an older MptFast rejects a probe with a range kind it does not know).</summary>
    GiveUps = 0x10,
}

/// <summary>What a range of a probe trailer says (its second byte).</summary>
public enum LossRangeKind : byte
{
    /// <summary>Per-path sequence numbers the probe's sender found missing on the given path: send them again.</summary>
    Report = 0,

    /// <summary>Connection sequence numbers the probe's sender will not send again (it left their loss to the inner
    /// transport): the receiver's reorder buffer need not wait for them. The path index byte is 0.</summary>
    GiveUp = 1,
}

/// <summary>
/// The measurement trailer of a probe: a keepalive (MPT-SPEC §3.1, 44 bytes) with these bytes appended, sent only by
/// MptFast. The original ignores a keepalive's contents and reads datagrams into 1,600-byte slots (§2.6 step 1, §3.3),
/// so to an original peer a probe is an ordinary keepalive; an MptFast peer learns from it the path's round-trip time,
/// the one-way delays up to a common clock offset, and what the peer received on the path (delivered rate, loss).
/// </summary>
/// <remarks>
/// Layout (big-endian), offsets from the end of the 44-byte keepalive:
/// <code>
///  0  2  magic 0x4D46 ("MF")           8  8  tx time, µs of the sender's monotonic clock
///  2  1  version (1)                   16 8  data packets sent on this path before this probe
///  3  1  flags (ProbeFlags)            24 8  echo: tx time of the last probe received on this path
///  4  1  sender's index of the path    32 8  echo: that probe's "data packets sent" field
///  5  1  loss-report ranges n (≤ 16)   40 8  echo: its arrival time, µs of this sender's clock
///  6  2  reserved (0)                  48 8  echo: data packets received on this path up to that arrival
///                                      56 8  echo: data bytes (UDP payload) received up to that arrival
///  64 8n ranges: u8 path index (the numbering of the probe's receiver), u8 kind (LossRangeKind), u16 count, u32 first
///        number — kind 0, a loss report: per-path sequence numbers missing on that path; kind 1, a give-up notice
///        (only to a peer that set flag GiveUps; path index 0): connection sequence numbers that will not come
///  64+8n 16 with flag Authenticated only: the first 16 bytes of HMAC-SHA-256, keyed with the connection's control key
///        K (MPT-SPEC §4.4), over the keepalive's 40-byte command part and the trailer before the MAC
/// </code>
/// An authenticated probe binds its tunnel pair, path index and send time to the key: a spoofer of the path's source
/// address (MPT-SPEC §2.6 step 3 checks no more) cannot forge one, and the receiver takes only probes whose send time
/// is later than the last one it took, so a replayed probe moves nothing.
/// </remarks>
public readonly record struct ProbeTrailer(
    ProbeFlags Flags,
    byte PathIndex,
    ulong TxMicros,
    ulong TxPackets,
    ulong EchoTxMicros,
    ulong EchoTxPackets,
    ulong EchoArrivalMicros,
    ulong EchoPackets,
    ulong EchoBytes,
    int LossRanges)
{
    public bool HasEcho => (Flags & ProbeFlags.Echo) != 0;
}

/// <summary>A run of per-path sequence numbers the receiver found missing: a request to retransmit them — or, of kind
/// <see cref="LossRangeKind.GiveUp"/>, a run of connection sequence numbers the sender will not send again.</summary>
public readonly record struct LossRange(byte PathIndex, ushort Count, uint First, LossRangeKind Kind = LossRangeKind.Report);

/// <summary>Encodes and decodes <see cref="ProbeTrailer"/> (allocation-free, exception-free on packet data).</summary>
public static class ProbeCodec
{
    public const ushort Magic = 0x4D46;

    public const byte Version = 1;

    /// <summary>Trailer length without loss reports.</summary>
    public const int FixedLength = 64;

    public const int LossRangeLength = 8;

    /// <summary>Most loss-report ranges one probe carries.</summary>
    public const int MaxLossRanges = 16;

    /// <summary>Largest trailer.</summary>
    public const int MaxLength = FixedLength + (MaxLossRanges * LossRangeLength) + MacLength;

    /// <summary>Largest probe datagram (keepalive + largest trailer).</summary>
    public const int MaxPacketLength = KeepaliveCodec.PacketLength + MaxLength;

    /// <summary>Bytes of the MAC an authenticated trailer ends with (a truncated HMAC-SHA-256, as TLS and IPsec
    /// truncate theirs).</summary>
    public const int MacLength = 16;

    /// <summary>Trailer length for <paramref name="lossRanges"/> ranges (without a MAC).</summary>
    public static int Length(int lossRanges) => FixedLength + (lossRanges * LossRangeLength);

    /// <summary>Trailer length for <paramref name="lossRanges"/> ranges, with the MAC when <paramref name="authenticated"/>.</summary>
    public static int Length(int lossRanges, bool authenticated) => Length(lossRanges) + (authenticated ? MacLength : 0);

    /// <summary>Writes the trailer and <paramref name="losses"/> (at most <see cref="MaxLossRanges"/>) into
    /// <paramref name="destination"/>; returns the bytes written, or 0 when it does not fit.</summary>
    public static int Write(Span<byte> destination, in ProbeTrailer probe, ReadOnlySpan<LossRange> losses)
    {
        // The MAC is written afterwards (Authenticate), over the keepalive too; here its room is only checked.
        bool authenticated = (probe.Flags & ProbeFlags.Authenticated) != 0;
        if (losses.Length > MaxLossRanges || destination.Length < Length(losses.Length, authenticated))
        {
            return 0;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, Magic);
        destination[2] = Version;
        destination[3] = (byte)probe.Flags;
        destination[4] = probe.PathIndex;
        destination[5] = (byte)losses.Length;
        destination[6] = 0;
        destination[7] = 0;
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], probe.TxMicros);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], probe.TxPackets);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], probe.EchoTxMicros);
        BinaryPrimitives.WriteUInt64BigEndian(destination[32..], probe.EchoTxPackets);
        BinaryPrimitives.WriteUInt64BigEndian(destination[40..], probe.EchoArrivalMicros);
        BinaryPrimitives.WriteUInt64BigEndian(destination[48..], probe.EchoPackets);
        BinaryPrimitives.WriteUInt64BigEndian(destination[56..], probe.EchoBytes);
        Span<byte> ranges = destination[FixedLength..];
        foreach (LossRange r in losses)
        {
            ranges[0] = r.PathIndex;
            ranges[1] = (byte)r.Kind;
            BinaryPrimitives.WriteUInt16BigEndian(ranges[2..], r.Count);
            BinaryPrimitives.WriteUInt32BigEndian(ranges[4..], r.First);
            ranges = ranges[LossRangeLength..];
        }

        if (authenticated)
        {
            ranges[..MacLength].Clear();
        }

        return Length(losses.Length, authenticated);
    }

    /// <summary>
    /// Writes the MAC at the end of <paramref name="probe"/> — a keepalive's 40-byte command part followed by an
    /// authenticated trailer, MAC included (its bytes are overwritten) — with the HMAC of the 32-byte control key.
    /// </summary>
    public static void Sign(Span<byte> probe, HmacSha256 key)
    {
        Span<byte> mac = stackalloc byte[HmacSha256.MacLength];
        key.Compute(probe[..^MacLength], mac);
        mac[..MacLength].CopyTo(probe[^MacLength..]);
    }

    /// <summary>True when the MAC ending <paramref name="probe"/> (command part + authenticated trailer) is right for
    /// <paramref name="key"/>; compared in constant time.</summary>
    public static bool Verify(ReadOnlySpan<byte> probe, HmacSha256 key)
    {
        if (probe.Length < MacLength)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[HmacSha256.MacLength];
        key.Compute(probe[..^MacLength], mac);
        return CryptographicOperations.FixedTimeEquals(mac[..MacLength], probe[^MacLength..]);
    }

    /// <summary>
    /// Reads a trailer that makes up ALL of <paramref name="trailer"/> (the bytes after a keepalive's 40-byte command
    /// part). False — the keepalive is not a probe — unless magic and version match, the length equals what the range
    /// count (and the Authenticated flag) says, every reserved byte is 0, every range's kind is known and no range is empty. The MAC is not checked
    /// here (<see cref="Verify"/>: the receiver knows the key).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> trailer, out ProbeTrailer probe)
    {
        probe = default;
        if (trailer.Length < FixedLength
            || BinaryPrimitives.ReadUInt16BigEndian(trailer) != Magic
            || trailer[2] != Version
            || trailer[6] != 0 || trailer[7] != 0)
        {
            return false;
        }

        int n = trailer[5];
        if (n > MaxLossRanges || trailer.Length != Length(n, ((ProbeFlags)trailer[3] & ProbeFlags.Authenticated) != 0))
        {
            return false;
        }

        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<byte> r = trailer.Slice(FixedLength + (i * LossRangeLength), LossRangeLength);
            if (r[1] > (byte)LossRangeKind.GiveUp || BinaryPrimitives.ReadUInt16BigEndian(r[2..]) == 0)
            {
                return false;
            }
        }

        probe = new ProbeTrailer(
            (ProbeFlags)trailer[3],
            trailer[4],
            BinaryPrimitives.ReadUInt64BigEndian(trailer[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(trailer[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(trailer[24..]),
            BinaryPrimitives.ReadUInt64BigEndian(trailer[32..]),
            BinaryPrimitives.ReadUInt64BigEndian(trailer[40..]),
            BinaryPrimitives.ReadUInt64BigEndian(trailer[48..]),
            BinaryPrimitives.ReadUInt64BigEndian(trailer[56..]),
            n);
        return true;
    }

    /// <summary>Loss-report range <paramref name="index"/> of a trailer <see cref="TryRead"/> accepted.</summary>
    public static LossRange ReadLossRange(ReadOnlySpan<byte> trailer, int index)
    {
        ReadOnlySpan<byte> r = trailer.Slice(FixedLength + (index * LossRangeLength), LossRangeLength);
        return new LossRange(r[0], BinaryPrimitives.ReadUInt16BigEndian(r[2..]), BinaryPrimitives.ReadUInt32BigEndian(r[4..]), (LossRangeKind)r[1]);
    }
}
