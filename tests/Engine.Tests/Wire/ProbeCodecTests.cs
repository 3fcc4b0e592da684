using System.Security.Cryptography;
using MptFast.Engine.Wire;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Wire;

public class ProbeCodecTests
{
    private static readonly ProbeTrailer Sample = new(ProbeFlags.Echo | ProbeFlags.PathSequence, 3, 0x0102030405060708, 42,
        0x1112131415161718, 41, 0x2122232425262728, 1000, 1_400_000, 0);

    private static readonly LossRange[] Losses = [new(1, 5, 0xFFFFFFFE), new(0, 1, 7)];

    private static readonly LossRange[] WithGiveUp = [.. Losses, new(0, 3, 0x01020304, LossRangeKind.GiveUp)];

    [Fact]
    public void Write_then_read_gives_back_every_field_and_range()
    {
        byte[] buffer = new byte[ProbeCodec.MaxLength];
        int n = ProbeCodec.Write(buffer, Sample, WithGiveUp);

        Assert.Equal(ProbeCodec.Length(3), n);
        Assert.True(ProbeCodec.TryRead(buffer.AsSpan(0, n), out ProbeTrailer read));
        Assert.Equal(Sample with { LossRanges = 3 }, read);
        Assert.Equal(WithGiveUp[0], ProbeCodec.ReadLossRange(buffer, 0));
        Assert.Equal(WithGiveUp[1], ProbeCodec.ReadLossRange(buffer, 1));
        Assert.Equal(WithGiveUp[2], ProbeCodec.ReadLossRange(buffer, 2));
        Assert.Equal(new byte[] { 0, 1, 0, 3, 1, 2, 3, 4 }, buffer[80..88]); // kind 1 in the range's second byte
    }

    [Fact]
    public void Layout_is_big_endian_at_the_documented_offsets()
    {
        byte[] buffer = new byte[ProbeCodec.MaxLength];
        int n = ProbeCodec.Write(buffer, Sample, Losses.AsSpan(0, 1));

        Assert.Equal(new byte[] { 0x4D, 0x46, 1, 0x03, 3, 1, 0, 0 }, buffer[..8]);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, buffer[8..16]);
        Assert.Equal(42, buffer[23]);
        Assert.Equal(new byte[] { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 }, buffer[24..32]);
        Assert.Equal(new byte[] { 1, 0, 0, 5, 0xFF, 0xFF, 0xFF, 0xFE }, buffer[64..72]);
        Assert.Equal(72, n);
    }

    [Theory]
    [InlineData(0, 0x00)] // magic
    [InlineData(2, 2)] // version
    [InlineData(6, 1)] // reserved
    [InlineData(7, 1)] // reserved
    [InlineData(65, 2)] // a range's kind: 0 (report) and 1 (give-up) only
    [InlineData(66, 0)] // a range's count high byte → count 0 (with the low byte cleared below)
    public void Read_rejects_a_trailer_with_a_wrong_fixed_field(int offset, byte value)
    {
        byte[] buffer = new byte[ProbeCodec.Length(1)];
        ProbeCodec.Write(buffer, Sample, [new LossRange(0, 1, 9)]);
        buffer[offset] = value;
        if (offset == 66)
        {
            buffer[67] = 0;
        }

        Assert.False(ProbeCodec.TryRead(buffer, out _));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(8)]
    public void Read_rejects_a_length_the_range_count_does_not_explain(int delta)
    {
        byte[] buffer = new byte[ProbeCodec.MaxLength + 16];
        int n = ProbeCodec.Write(buffer, Sample, Losses);

        Assert.False(ProbeCodec.TryRead(buffer.AsSpan(0, n + delta), out _));
    }

    [Fact]
    public void Write_refuses_more_ranges_than_a_probe_carries_or_a_short_buffer()
    {
        Assert.Equal(0, ProbeCodec.Write(new byte[ProbeCodec.MaxLength * 2], Sample, new LossRange[ProbeCodec.MaxLossRanges + 1]));
        Assert.Equal(0, ProbeCodec.Write(new byte[ProbeCodec.FixedLength - 1], Sample, []));
    }

    [Fact]
    public void An_authenticated_probe_verifies_with_its_key_only_and_any_changed_byte_breaks_it()
    {
        byte[] key = ControlAuth.DeriveKey("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
        TunnelSide sender = WireVectors.Side(WireVectors.KeepaliveSender("keepalive-ipv4-a-to-b"));
        byte[] buffer = new byte[ProbeCodec.MaxPacketLength];
        ProbeTrailer probe = Sample with { Flags = Sample.Flags | ProbeFlags.Authenticated };

        Assert.True(KeepaliveCodec.TryWriteProbe(buffer, sender.IpVer, sender.IpLocal, sender.IpRemote, probe, Losses, new HmacSha256(key), out int written));

        Assert.Equal(KeepaliveCodec.PacketLength + ProbeCodec.Length(2) + ProbeCodec.MacLength, written);
        Assert.Equal(KeepaliveStatus.Ok, KeepaliveCodec.Decode(buffer.AsSpan(0, written), out KeepaliveMessage message));
        Assert.Equal(probe with { LossRanges = 2 }, message.Probe);
        // The MAC covers the 40-byte command part (tunnel pair) and the trailer, not the GRE header.
        ReadOnlySpan<byte> signed = buffer.AsSpan(KeepaliveCodec.PacketLength - KeepaliveCodec.CommandLength, written - GreCodec.BaseHeaderLength);
        Assert.True(ProbeCodec.Verify(signed, new HmacSha256(key)));
        // The wire format: the first 16 bytes of HMAC-SHA-256 with the control key, as the platform computes it (what
        // every earlier MptFast sends and checks).
        Assert.Equal(HMACSHA256.HashData(key, signed[..^ProbeCodec.MacLength])[..ProbeCodec.MacLength], signed[^ProbeCodec.MacLength..].ToArray());
        byte[] otherKey = (byte[])key.Clone();
        otherKey[31] ^= 1;
        Assert.False(ProbeCodec.Verify(signed, new HmacSha256(otherKey)));
        for (int i = 0; i < signed.Length; i++)
        {
            byte[] changed = signed.ToArray();
            changed[i] ^= 0x20;
            Assert.False(ProbeCodec.Verify(changed, new HmacSha256(key)), $"a flipped byte {i} still verified");
        }
    }

    [Fact]
    public void A_probe_with_the_authenticated_flag_needs_a_key_and_one_without_it_takes_none()
    {
        var key = new HmacSha256(new byte[ControlAuth.KeyLength]);
        byte[] buffer = new byte[ProbeCodec.MaxPacketLength];
        var pair = new Address16();
        Assert.False(KeepaliveCodec.TryWriteProbe(buffer, 4, pair, pair, Sample with { Flags = ProbeFlags.Authenticated }, [], null, out _));
        Assert.False(KeepaliveCodec.TryWriteProbe(buffer, 4, pair, pair, Sample, [], key, out _));
        // Without the MAC's 16 bytes the length no longer fits the flag: not a probe.
        Assert.True(KeepaliveCodec.TryWriteProbe(buffer, 4, pair, pair, Sample with { Flags = ProbeFlags.Authenticated }, [], key, out int n));
        Assert.Equal(KeepaliveStatus.BadLength, KeepaliveCodec.Decode(buffer.AsSpan(0, n - ProbeCodec.MacLength), out _));
    }

    [Fact]
    public void A_probe_starts_with_the_exact_keepalive_an_original_peer_expects()
    {
        // MPT-SPEC §3.1/§3.3: the original reads the first 44 bytes' command byte only; the trailer rides behind them.
        byte[] keepalive = SharedFiles.LoadVector("keepalive-ipv4-a-to-b");
        TunnelSide sender = WireVectors.Side(WireVectors.KeepaliveSender("keepalive-ipv4-a-to-b"));
        byte[] buffer = new byte[ProbeCodec.MaxPacketLength];

        Assert.True(KeepaliveCodec.TryWriteProbe(buffer, sender.IpVer, sender.IpLocal, sender.IpRemote, Sample, Losses, null, out int written));

        Assert.Equal(KeepaliveCodec.PacketLength + ProbeCodec.Length(2), written);
        Assert.Equal(keepalive, buffer[..KeepaliveCodec.PacketLength]);
        Assert.Equal(KeepaliveStatus.Ok, KeepaliveCodec.Decode(buffer.AsSpan(0, written), out KeepaliveMessage message));
        Assert.Equal(sender.IpLocal, message.LocalTunnel);
        Assert.Equal(Sample with { LossRanges = 2 }, message.Probe);
    }

    [Fact]
    public void A_plain_keepalive_has_no_probe_and_a_bad_trailer_is_a_bad_length()
    {
        byte[] keepalive = SharedFiles.LoadVector("keepalive-ipv4-a-to-b");
        Assert.Equal(KeepaliveStatus.Ok, KeepaliveCodec.Decode(keepalive, out KeepaliveMessage plain));
        Assert.Null(plain.Probe);

        byte[] longer = [.. keepalive, .. new byte[ProbeCodec.FixedLength]]; // right length, no magic
        Assert.Equal(KeepaliveStatus.BadLength, KeepaliveCodec.Decode(longer, out _));
    }
}
