using System.Buffers.Binary;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Offload;

/// <summary>How an IP packet relates to TCP coalescing.</summary>
public enum TcpSegmentKind : byte
{
    /// <summary>Not IPv4/IPv6 TCP in a form we parse (options, fragments, extension headers, bad lengths).</summary>
    NotTcp = 0,

    /// <summary>TCP, but never merged: SYN/FIN/RST/URG/ECE/CWR, no ACK, or no payload. Its flow fields are valid.</summary>
    Barrier = 1,

    /// <summary>A data segment with ACK (and maybe PSH) only: may be merged with its in-order neighbours.</summary>
    Candidate = 2,
}

/// <summary>
/// The fields of one TCP/IP packet that coalescing looks at (wireguard-go <c>tun/tcp_offload_linux.go</c>,
/// <c>packetIsGROCandidate</c>). Offsets are from the start of the IP header.
/// </summary>
/// <param name="Kind">What the packet is.</param>
/// <param name="IsIPv6">IPv6 (fixed 40-byte header, next header TCP) rather than IPv4 (20-byte header, no options).</param>
/// <param name="IpHeaderLength">20 or 40.</param>
/// <param name="TcpHeaderLength">TCP data offset in bytes (20–60).</param>
/// <param name="PayloadLength">TCP payload bytes.</param>
/// <param name="Sequence">TCP sequence number.</param>
/// <param name="Flags">TCP flag byte (byte 13 of the TCP header).</param>
public readonly record struct TcpSegment(TcpSegmentKind Kind, bool IsIPv6, int IpHeaderLength, int TcpHeaderLength,
    int PayloadLength, uint Sequence, byte Flags)
{
    /// <summary>TCP flag bits.</summary>
    public const byte FlagFin = 0x01, FlagSyn = 0x02, FlagRst = 0x04, FlagPsh = 0x08, FlagAck = 0x10, FlagUrg = 0x20;

    /// <summary>IP + TCP header bytes (hdr_len of the virtio header).</summary>
    public int HeaderLength => IpHeaderLength + TcpHeaderLength;

    /// <summary>Whole packet length.</summary>
    public int TotalLength => HeaderLength + PayloadLength;

    /// <summary>Reads the IP and TCP headers of <paramref name="packet"/>. Never throws: anything unexpected is
    /// <see cref="TcpSegmentKind.NotTcp"/>. Checksums are not verified here (see <see cref="ChecksumValid"/>).</summary>
    public static TcpSegment Parse(ReadOnlySpan<byte> packet)
    {
        int ipHeader;
        bool v6;
        if (packet.Length >= 40 && packet[0] == 0x45)
        {
            // IPv4 without options, whole (total length = packet), TCP, not a fragment (MF = 0, offset 0).
            if (BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) != packet.Length || packet[9] != 6
                || (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0)
            {
                return default;
            }

            ipHeader = 20;
            v6 = false;
        }
        else if (packet.Length >= 60 && (packet[0] >> 4) == 6)
        {
            // IPv6 with TCP as the first next header (no extension headers), payload length = rest of the packet.
            if (BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) + 40 != packet.Length || packet[6] != 6)
            {
                return default;
            }

            ipHeader = 40;
            v6 = true;
        }
        else
        {
            return default;
        }

        ReadOnlySpan<byte> tcp = packet[ipHeader..];
        int tcpHeader = (tcp[12] >> 4) * 4;
        if (tcpHeader < 20 || tcpHeader > tcp.Length)
        {
            return default;
        }

        byte flags = tcp[13];
        int payload = tcp.Length - tcpHeader;
        uint seq = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
        TcpSegmentKind kind = payload > 0 && (flags & FlagAck) != 0 && (flags & ~(FlagAck | FlagPsh)) == 0
            ? TcpSegmentKind.Candidate
            : TcpSegmentKind.Barrier;
        return new TcpSegment(kind, v6, ipHeader, tcpHeader, payload, seq, flags);
    }

    /// <summary>True for a TCP segment (in the form <see cref="Parse"/> reads; bytes after the IP packet's own length are
    /// ignored) that carries no payload and only acknowledges: ACK set, with or without SYN (a SYN-ACK, the first round
    /// trip the sender measures), no FIN, RST or URG — what an acknowledgement hold (<c>equalize_delay = acks</c>)
    /// delays. Anything else, or anything malformed, is not one.</summary>
    public static bool IsBareAcknowledgement(ReadOnlySpan<byte> packet)
    {
        int length = packet.Length < 40 ? 0 : (packet[0] >> 4) switch
        {
            4 => BinaryPrimitives.ReadUInt16BigEndian(packet[2..]),
            6 => 40 + BinaryPrimitives.ReadUInt16BigEndian(packet[4..]),
            _ => 0,
        };
        if (length > packet.Length)
        {
            return false;
        }

        TcpSegment s = Parse(packet[..length]);
        return s.Kind != TcpSegmentKind.NotTcp && s.PayloadLength == 0 && (s.Flags & (FlagAck | FlagFin | FlagRst | FlagUrg)) == FlagAck;
    }

    /// <summary>TCP option kind of selective acknowledgement blocks (RFC 2018).</summary>
    public const byte OptionSack = 5;

    /// <summary>TCP option kind of the timestamps (RFC 7323: value, echo).</summary>
    public const byte OptionTimestamps = 8;

    /// <summary>
    /// The end of the newest data the acknowledgement <paramref name="packet"/> (an IPv4 or IPv6 TCP segment) reports
    /// received: its acknowledgement number, or the highest right edge of its SACK blocks beyond it (RFC 2018; a D-SACK
    /// block below it changes nothing). A sender takes its round trip from the newest segment an acknowledgement covers,
    /// selectively or not (Linux: the last (S)ACKed segment's send time) — while a loss is repaired the acknowledgement
    /// number stays at the hole and the SACK blocks name the segments just sent. Options cut short or malformed end the
    /// scan (what was read counts); 0 when <paramref name="packet"/> is not long enough for a TCP header.
    /// </summary>
    public static uint NewestAcknowledged(ReadOnlySpan<byte> packet)
    {
        ScanOptions(packet, out uint newest, out _, out _);
        return newest;
    }

    /// <summary>The timestamps option (RFC 7323) of TCP segment <paramref name="packet"/>: its sender's
    /// <paramref name="value"/> and the <paramref name="echo"/> of the other end's; false without one (or with options
    /// cut short or malformed before it).</summary>
    public static bool TryReadTimestamps(ReadOnlySpan<byte> packet, out uint value, out uint echo) =>
        ScanOptions(packet, out _, out value, out echo);

    /// <summary>One pass over the TCP options of <paramref name="packet"/>: <see cref="NewestAcknowledged"/> and the
    /// timestamps (returns whether there are any).</summary>
    internal static bool ScanOptions(ReadOnlySpan<byte> packet, out uint newest, out uint value, out uint echo)
    {
        newest = value = echo = 0;
        int ip = packet.Length < 1 ? 0 : (packet[0] >> 4) switch
        {
            4 => (packet[0] & 0x0F) * 4,
            6 => 40,
            _ => 0,
        };
        if (ip < 20 || packet.Length < ip + 20)
        {
            return false;
        }

        ReadOnlySpan<byte> tcp = packet[ip..];
        newest = BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]);
        bool timestamps = false;
        int end = Math.Min((tcp[12] >> 4) * 4, tcp.Length);
        int at = 20;
        while (at < end)
        {
            byte kind = tcp[at];
            if (kind == 0)
            {
                break;                                     // end of options
            }

            if (kind == 1)
            {
                at++;                                      // no-operation
                continue;
            }

            int length = at + 1 < end ? tcp[at + 1] : 0;
            if (length < 2 || at + length > end)
            {
                break;
            }

            if (kind == OptionSack)
            {
                for (int block = at + 2; block + 8 <= at + length; block += 8)
                {
                    uint right = BinaryPrimitives.ReadUInt32BigEndian(tcp[(block + 4)..]);
                    if (unchecked((int)(right - newest)) > 0)
                    {
                        newest = right;
                    }
                }
            }
            else if (kind == OptionTimestamps && length == 10)
            {
                value = BinaryPrimitives.ReadUInt32BigEndian(tcp[(at + 2)..]);
                echo = BinaryPrimitives.ReadUInt32BigEndian(tcp[(at + 6)..]);
                timestamps = true;
            }

            at += length;
        }

        return timestamps;
    }

    /// <summary>True when the IPv4 header checksum (if any) and the TCP checksum over the pseudo-header verify. A
    /// merged super-packet is handed to the kernel with a partial checksum, so a corrupt segment must never be merged.</summary>
    public bool ChecksumValid(ReadOnlySpan<byte> packet)
    {
        if (Kind == TcpSegmentKind.NotTcp || packet.Length != TotalLength)
        {
            return false;
        }

        if (!IsIPv6 && !InternetChecksum.Verifies(packet[..20]))
        {
            return false;
        }

        ushort pseudo = PseudoHeaderSum(packet, IsIPv6, TcpHeaderLength + PayloadLength);
        return OnesAdd(pseudo, Fold(packet[IpHeaderLength..])) == 0xFFFF;
    }

    /// <summary>Folded (not complemented) ones' complement sum of the TCP pseudo-header for a TCP length of
    /// <paramref name="tcpLength"/>: the partial checksum a NEEDS_CSUM packet carries in its checksum field.</summary>
    public static ushort PseudoHeaderSum(ReadOnlySpan<byte> packet, bool isIPv6, int tcpLength)
    {
        Span<byte> pseudo = stackalloc byte[40];
        int length;
        if (isIPv6)
        {
            packet.Slice(8, 32).CopyTo(pseudo);
            BinaryPrimitives.WriteInt32BigEndian(pseudo[32..], tcpLength);
            BinaryPrimitives.WriteInt32BigEndian(pseudo[36..], 6);
            length = 40;
        }
        else
        {
            packet.Slice(12, 8).CopyTo(pseudo);
            pseudo[8] = 0;
            pseudo[9] = 6;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)tcpLength);
            length = 12;
        }

        return Fold(pseudo[..length]);
    }

    /// <summary>Folded ones' complement sum (InternetChecksum computes its complement).</summary>
    internal static ushort Fold(ReadOnlySpan<byte> data) => (ushort)~InternetChecksum.Compute(data);

    internal static ushort OnesAdd(ushort a, ushort b)
    {
        int sum = a + b;
        return (ushort)((sum & 0xFFFF) + (sum >> 16));
    }
}
