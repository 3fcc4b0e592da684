using MptFast.Engine.Wire;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Wire;

public class KeepaliveCodecTests
{
    public static TheoryData<string> Vectors => new(WireVectors.KeepaliveVectors);

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Decode_reads_every_annotated_field_of_the_keepalive_vectors(string name)
    {
        byte[] packet = SharedFiles.LoadVector(name);
        TunnelSide sender = WireVectors.Side(WireVectors.KeepaliveSender(name));

        Assert.Equal(KeepaliveCodec.PacketLength, packet.Length);
        Assert.Equal(GreStatus.Ok, GreCodec.Decode(packet, out GreFrame frame));
        Assert.Equal(0, frame.Flags); // MPT-SPEC §3.1: never S, even with reordering on
        Assert.Equal(sender.IpVer == 4 ? GreCodec.ProtocolIPv4 : GreCodec.ProtocolIPv6, frame.ProtocolType);
        Assert.Equal(GrePayloadKind.Command, frame.Kind);
        Assert.Equal(0xA1, frame.FirstPayloadByte);

        Assert.Equal(KeepaliveStatus.Ok, KeepaliveCodec.Decode(packet, out KeepaliveMessage keepalive));
        Assert.Equal(sender.IpVer, keepalive.IpVersion);
        Assert.Equal(sender.IpLocal, keepalive.LocalTunnel);
        Assert.Equal(sender.IpRemote, keepalive.RemoteTunnel);

        // Bytes 4..43 are the §4.2 header with sh = 0 and round 0: status, auth type, auth length, round, reserved all 0.
        Assert.Equal(new byte[] { 0, 0, 0, 0 }, packet[5..9]);
        Assert.Equal(new byte[] { 0, 0 }, packet[10..12]);
        Assert.Equal(ControlStatus.Ok, ControlCodec.Decode(packet.AsSpan(4), out ControlHeader header));
        Assert.Equal(ControlCommand.Keepalive, header.Command);
        Assert.Equal(0, header.Round);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Write_rebuilds_the_keepalive_vectors_from_the_config(string name)
    {
        byte[] expected = SharedFiles.LoadVector(name);
        TunnelSide sender = WireVectors.Side(WireVectors.KeepaliveSender(name));
        byte[] buffer = new byte[64];
        buffer.AsSpan().Fill(0xEE);

        Assert.True(KeepaliveCodec.TryWrite(buffer, sender.IpVer, sender.IpLocal, sender.IpRemote, out int written));

        Assert.Equal(expected, buffer[..written]);
    }

    [Fact]
    public void Keepalive_quirk_reordering_does_not_change_the_keepalive()
    {
        // README "Quirks": keepalives never carry the S bit or a sequence number, even with reorder_window 64.
        Assert.Equal(SharedFiles.LoadVector("keepalive-ipv4-a-to-b"), SharedFiles.LoadVector("keepalive-ipv4-a-to-b-reorder"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Write_refuses_an_ip_version_other_than_4_or_6(byte version) =>
        Assert.False(KeepaliveCodec.TryWrite(new byte[44], version, default, default, out _));

    [Fact]
    public void Write_refuses_a_destination_shorter_than_44_bytes() =>
        Assert.False(KeepaliveCodec.TryWrite(new byte[43], 4, default, default, out _));

    [Fact]
    public void Decode_rejects_a_bad_ip_version_byte()
    {
        byte[] packet = SharedFiles.LoadVector("keepalive-ipv4-a-to-b");
        packet[9] = 5;
        Assert.Equal(KeepaliveStatus.BadIpVersion, KeepaliveCodec.Decode(packet, out _));
    }

    [Fact]
    public void Decode_rejects_other_commands_and_data()
    {
        byte[] packet = SharedFiles.LoadVector("keepalive-ipv4-a-to-b");
        packet[4] = 0xA2;
        Assert.Equal(KeepaliveStatus.NotKeepalive, KeepaliveCodec.Decode(packet, out _));
        Assert.Equal(KeepaliveStatus.NotKeepalive, KeepaliveCodec.Decode(SharedFiles.LoadVector("data-ipv4-icmp-echo-noseq"), out _));
    }

    [Fact]
    public void Decode_rejects_a_keepalive_with_trailing_bytes()
    {
        byte[] packet = [.. SharedFiles.LoadVector("keepalive-ipv4-a-to-b"), 0];
        Assert.Equal(KeepaliveStatus.BadLength, KeepaliveCodec.Decode(packet, out _));
    }

    [Fact]
    public void Decode_rejects_malformed_gre()
    {
        byte[] packet = SharedFiles.LoadVector("keepalive-ipv4-a-to-b");
        packet[1] = 1;
        Assert.Equal(KeepaliveStatus.MalformedGre, KeepaliveCodec.Decode(packet, out _));
    }

    [Fact]
    public void Decode_command_accepts_a_legacy_keepalive_from_the_command_port()
    {
        byte[] command = SharedFiles.LoadVector("keepalive-ipv6-a-to-b")[4..];
        Assert.Equal(KeepaliveStatus.Ok, KeepaliveCodec.DecodeCommand(command, out KeepaliveMessage keepalive));
        Assert.Equal(6, keepalive.IpVersion);
        Assert.Equal(WireVectors.Side("ipv6-a").IpRemote, keepalive.RemoteTunnel);
    }
}
