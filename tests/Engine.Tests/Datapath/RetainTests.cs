using System.Buffers.Binary;
using System.Net;
using MptFast.Engine.Classify;
using MptFast.Engine.Datapath;
using MptFast.Engine.Runtime;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Datapath;

/// <summary>
/// Which sent packets the transmit thread keeps for the tunnel's loss recovery before any loss was reported and
/// before the peer's estimates say anything: a transfer's first burst on a fresh tunnel is kept (a loss there, unrepaired,
/// ended the inner TCP's slow start at a small window), pings are not (each kept packet holds a pool slot: issue 15).
/// </summary>
public class RetainTests
{
    private const PeerFeatures MptFastPeer = PeerFeatures.MptFast | PeerFeatures.PathSequence | PeerFeatures.Reorders;

    [Fact]
    public void The_first_burst_of_a_fresh_tunnels_transfer_is_kept_and_a_reported_loss_is_sent_again()
    {
        var (repaired, missed) = ReportFirstPacketLost(Packet(1400), perRead: 10);
        Assert.Equal(1, repaired);
        Assert.Equal(0, missed);
    }

    [Fact]
    public void A_ping_is_not_kept()
    {
        var (repaired, missed) = ReportFirstPacketLost(Packet(84), perRead: 1);
        Assert.Equal(0, repaired);
        Assert.Equal(1, missed);
    }

    [Fact]
    public void Without_an_MptFast_peer_nothing_is_kept_or_sent_again()
    {
        var (repaired, missed) = ReportFirstPacketLost(Packet(1400), perRead: 10, peer: PeerFeatures.None);
        Assert.Equal(0, repaired + missed);
    }

    /// <summary>One round of the pump on a connection whose peer is <paramref name="peer"/>; then the peer reports path
    /// 0's first packet lost and the next round answers. Returns the packets sent again and the reports that found
    /// nothing kept.</summary>
    private static (long Repaired, long Missed) ReportFirstPacketLost(byte[] packet, int perRead, PeerFeatures peer = MptFastPeer)
    {
        var (connection, sockets) = PumpTests.Connection(64, weights: [1, 1]);
        connection.Peer = peer;
        using var tun = new ReplayTun(packet) { PerRead = perRead };
        using var pump = new TxPump(tun, [connection], ConnectionMatcher.FromConfigs([connection.Config]), 2048);

        uint first = connection.Paths[0].Measurement.Counters.Tx.NextPathSequence;
        pump.RunOnce(0);
        Assert.True(sockets[0].Sent > 0);
        Assert.True(pump.LossReports.TryEnqueue(0, new LossRange(0, 1, first)));
        long sentBefore = sockets[0].Sent + sockets[1].Sent;
        tun.PerRead = 0;
        pump.RunOnce(0);

        long repaired = connection.Paths.Sum(p => p.Measurement.Counters.Tx.Retransmitted);
        Assert.Equal(sentBefore + repaired, sockets[0].Sent + sockets[1].Sent);
        return (repaired, connection.Paths[0].Measurement.Counters.Tx.RetransmitMissed);
    }

    /// <summary>An IPv4 UDP packet of <paramref name="length"/> bytes from the local to the remote tunnel address.</summary>
    private static byte[] Packet(int length)
    {
        byte[] p = new byte[length];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)length);
        p[8] = 64;
        p[9] = 17;
        PumpTests.LocalTunnel.GetAddressBytes().CopyTo(p, 12);
        PumpTests.RemoteTunnel.GetAddressBytes().CopyTo(p, 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), InternetChecksum.Compute(p.AsSpan(0, 20)));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), 5001);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), 5201);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), (ushort)(length - 20));
        return p;
    }
}
