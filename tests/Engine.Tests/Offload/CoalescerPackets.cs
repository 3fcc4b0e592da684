using System.Buffers.Binary;
using System.Net;
using MptFast.Engine.Offload;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Offload;

/// <summary>Hand-built TCP/IPv4 and TCP/IPv6 packets with valid checksums, and a reference GSO segmenter that cuts a
/// super-packet back the way the kernel does (to prove a merged packet carries exactly the original segments).</summary>
internal sealed record TcpSpec
{
    public bool V6 { get; init; }
    public IPAddress Source { get; init; } = IPAddress.Parse("198.19.0.2");
    public IPAddress Destination { get; init; } = IPAddress.Parse("198.19.0.1");
    public ushort SourcePort { get; init; } = 5201;
    public ushort DestinationPort { get; init; } = 40000;
    public uint Seq { get; init; } = 1000;
    public uint Ack { get; init; } = 77;
    public byte Flags { get; init; } = TcpSegment.FlagAck;
    public ushort Window { get; init; } = 512;
    public byte[] Options { get; init; } = [];
    public byte Ttl { get; init; } = 64;
    public byte Tos { get; init; }
    public ushort Id { get; init; } = 100;
    public ushort FragmentField { get; init; } = 0x4000; // DF
    public uint FlowLabel { get; init; } = 0x12345;
    public int PayloadLength { get; init; } = 1000;
    public byte PayloadSeed { get; init; }

    public static TcpSpec V6Default() => new()
    {
        V6 = true,
        Source = IPAddress.Parse("fd00:ff::2"),
        Destination = IPAddress.Parse("fd00:ff::1"),
    };
}

internal static class CoalescerPackets
{
    public static byte[] Build(TcpSpec s)
    {
        int ip = s.V6 ? 40 : 20;
        int tcp = 20 + s.Options.Length;
        byte[] p = new byte[ip + tcp + s.PayloadLength];
        if (s.V6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(p, (6u << 28) | ((uint)s.Tos << 20) | s.FlowLabel);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(p.Length - 40));
            p[6] = 6;
            p[7] = s.Ttl;
            s.Source.GetAddressBytes().CopyTo(p, 8);
            s.Destination.GetAddressBytes().CopyTo(p, 24);
        }
        else
        {
            p[0] = 0x45;
            p[1] = s.Tos;
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), s.Id);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), s.FragmentField);
            p[8] = s.Ttl;
            p[9] = 6;
            s.Source.GetAddressBytes().CopyTo(p, 12);
            s.Destination.GetAddressBytes().CopyTo(p, 16);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), InternetChecksum.Compute(p.AsSpan(0, 20)));
        }

        Span<byte> t = p.AsSpan(ip);
        BinaryPrimitives.WriteUInt16BigEndian(t, s.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], s.DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], s.Seq);
        BinaryPrimitives.WriteUInt32BigEndian(t[8..], s.Ack);
        t[12] = (byte)((tcp / 4) << 4);
        t[13] = s.Flags;
        BinaryPrimitives.WriteUInt16BigEndian(t[14..], s.Window);
        s.Options.CopyTo(t[20..]);
        for (int i = 0; i < s.PayloadLength; i++)
        {
            t[tcp + i] = (byte)(s.PayloadSeed + (s.Seq + (uint)i) * 7);
        }

        SetTcpChecksum(p, s.V6);
        return p;
    }

    /// <summary>In-order segments of one stream: <paramref name="count"/> × <paramref name="payload"/> bytes, IPv4 ids counting up.</summary>
    public static byte[][] Stream(TcpSpec first, int count, int payload)
    {
        var result = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            result[i] = Build(first with { Seq = first.Seq + (uint)(i * payload), Id = (ushort)(first.Id + i), PayloadLength = payload });
        }

        return result;
    }

    public static void SetTcpChecksum(byte[] p, bool v6)
    {
        int ip = v6 ? 40 : 20;
        p[ip + 16] = 0;
        p[ip + 17] = 0;
        ushort pseudo = TcpSegment.PseudoHeaderSum(p, v6, p.Length - ip);
        ushort body = (ushort)~InternetChecksum.Compute(p.AsSpan(ip));
        int sum = pseudo + body;
        sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(ip + 16), (ushort)~sum);
    }

    /// <summary>What the kernel makes of a NEEDS_CSUM GSO packet: gso_size segments, sequence numbers and IPv4 ids
    /// counting up, PSH only on the last (as in the original stream), lengths and checksums recomputed.</summary>
    public static List<byte[]> Segment(ReadOnlySpan<byte> virtio, ReadOnlySpan<byte> super)
    {
        bool v6 = virtio[1] == TcpCoalescer.VirtioGsoTcpV6;
        int header = BinaryPrimitives.ReadUInt16LittleEndian(virtio[2..]);
        int mss = BinaryPrimitives.ReadUInt16LittleEndian(virtio[4..]);
        int ip = v6 ? 40 : 20;
        byte lastFlags = super[ip + 13];
        uint seq = BinaryPrimitives.ReadUInt32BigEndian(super[(ip + 4)..]);
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(super[4..]);
        var result = new List<byte[]>();
        for (int at = header, k = 0; at < super.Length; at += mss, k++)
        {
            int length = Math.Min(mss, super.Length - at);
            byte[] p = new byte[header + length];
            super[..header].CopyTo(p);
            super.Slice(at, length).CopyTo(p.AsSpan(header));
            BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(ip + 4), seq + (uint)(k * mss));
            bool last = at + length == super.Length;
            p[ip + 13] = last ? lastFlags : (byte)(lastFlags & ~TcpSegment.FlagPsh);
            if (v6)
            {
                BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(p.Length - 40));
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
                BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(id + k));
                p[10] = 0;
                p[11] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), InternetChecksum.Compute(p.AsSpan(0, 20)));
            }

            SetTcpChecksum(p, v6);
            result.Add(p);
        }

        return result;
    }
}
