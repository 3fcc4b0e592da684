using System.Buffers.Binary;
using System.Net;
using System.Text;
using MptFast.Engine.Buffers;
using MptFast.Engine.Config;
using MptFast.Engine.Datapath;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Interop;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Tests.Linux;

/// <summary>TUN round trips inside a throw-away network namespace (root only; see <see cref="RootFactAttribute"/>).</summary>
public class TunDeviceTests
{
    private static readonly IPAddress s_tunAddress = IPAddress.Parse("198.19.77.1");
    private static readonly IPAddress s_peerAddress = IPAddress.Parse("198.19.77.2");

    [RootFact]
    public void Udp_datagram_routed_into_the_tun_is_read_as_an_ipv4_packet()
    {
        using var ns = NetworkNamespace.Create($"mptfast-tun-{Environment.ProcessId}-u");
        var (tun, socket) = ns.Run(() =>
        {
            LinuxTunDevice device = OpenConfigured(ns, vnetHeader: false);
            return (device, LinuxUdpPathSocket.Open(IPAddress.Any, 0, s_peerAddress, 9999));
        });
        using (tun)
        using (socket)
        using (var pool = new PacketPool(128))
        using (var batch = new PacketBatch(pool))
        {
            byte[] payload = Encoding.ASCII.GetBytes("mptfast through the tun");
            Assert.Equal(PathSendResult.Sent, socket.Send(payload));

            byte[]? packet = ReadMatching(tun, batch, p => p.Length >= 28 && p[0] >> 4 == 4 && p[9] == 17
                && BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(22)) == 9999);
            Assert.NotNull(packet);
            int ihl = (packet[0] & 0x0F) * 4;
            Assert.Equal(s_tunAddress, new IPAddress(packet.AsSpan(12, 4)));
            Assert.Equal(s_peerAddress, new IPAddress(packet.AsSpan(16, 4)));
            Assert.Equal(socket.LocalPort, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(ihl)));
            Assert.Equal(payload, packet.AsSpan(ihl + 8).ToArray());
        }
    }

    [RootFact]
    public void Echo_request_written_to_the_tun_is_answered_by_the_kernel()
    {
        using var ns = NetworkNamespace.Create($"mptfast-tun-{Environment.ProcessId}-i");
        using LinuxTunDevice tun = ns.Run(() => OpenConfigured(ns, vnetHeader: false));
        EchoRoundTrip(tun);
        Assert.Equal(1, tun.Counters.Write.Packets);
        Assert.Equal(0, tun.Counters.Write.Errors);
    }

    [RootFact]
    public void Echo_round_trip_works_with_a_virtio_header_in_the_headroom()
    {
        using var ns = NetworkNamespace.Create($"mptfast-tun-{Environment.ProcessId}-v");
        using LinuxTunDevice tun = ns.Run(() => OpenConfigured(ns, vnetHeader: true));
        Assert.True(tun.Capabilities.VnetHeader);
        EchoRoundTrip(tun);
    }

    [RootFact]
    public void Echo_round_trip_works_with_a_gathered_write_and_no_virtio_header()
    {
        using var ns = NetworkNamespace.Create($"mptfast-tun-{Environment.ProcessId}-g");
        using LinuxTunDevice tun = ns.Run(() => OpenConfigured(ns, vnetHeader: false));
        EchoRoundTrip(tun, gather: true);
        Assert.Equal(1, tun.Counters.Write.Packets);
        Assert.Equal(0, tun.Counters.Write.Errors);
    }

    [RootFact]
    public void Echo_round_trip_works_with_a_gathered_write_behind_the_devices_zero_virtio_header()
    {
        using var ns = NetworkNamespace.Create($"mptfast-tun-{Environment.ProcessId}-w");
        using LinuxTunDevice tun = ns.Run(() => OpenConfigured(ns, vnetHeader: true));
        EchoRoundTrip(tun, gather: true);
        Assert.Equal(1, tun.Counters.Write.Packets);
        Assert.Equal(0, tun.Counters.Write.Errors);
    }

    [RootFact]
    public void A_gathered_tcp_super_packet_is_accepted_and_a_wrong_virtio_header_is_refused()
    {
        using var ns = NetworkNamespace.Create($"mptfast-tun-{Environment.ProcessId}-s");
        using LinuxTunDevice tun = ns.Run(() => OpenConfigured(ns, vnetHeader: true));
        using var pool = new PacketPool(8);
        using var batch = new PacketBatch(pool, 4);
        var first = new Offload.TcpSpec { Source = s_peerAddress, Destination = s_tunAddress };
        byte[][] stream = Offload.CoalescerPackets.Stream(first, 4, 1000);
        batch.EnsureSlots(4);
        for (int i = 0; i < 4; i++)
        {
            stream[i].CopyTo(batch.SlotSpan(i)[PacketPool.Headroom..]);
            batch.SetPacket(i, PacketPool.Headroom, stream[i].Length);
        }

        var coalescer = new MptFast.Engine.Offload.TcpCoalescer();
        using var gather = new PacketGather();
        Assert.Equal(1, coalescer.Plan(batch, 4));
        Assert.True(coalescer.GatherSuperPacket(new BatchPackets(batch), 0, gather) > 0);
        Assert.True(tun.WriteGather(gather));
        Assert.Equal(1, tun.Counters.Write.Packets);
        Assert.Equal(0, tun.Counters.Write.Errors);

        gather.Scratch[1] = 0x7F; // an unknown gso_type: the kernel refuses the write (EINVAL)
        Assert.True(tun.WriteGather(gather));
        Assert.Equal(1, tun.Counters.Write.Packets);
        Assert.Equal(1, tun.Counters.Write.Errors);
        Assert.Equal(Errno.EINVAL, tun.Counters.Write.LastError);
    }

    [RootFact]
    public void Malformed_packet_write_is_counted_not_thrown()
    {
        using var ns = NetworkNamespace.Create($"mptfast-tun-{Environment.ProcessId}-m");
        using LinuxTunDevice tun = ns.Run(() => OpenConfigured(ns, vnetHeader: false));
        using var pool = new PacketPool(4);
        using var batch = new PacketBatch(pool, 2);
        batch.EnsureSlots(2);
        batch.SetPacket(0, PacketPool.Headroom, 0); // an empty write
        batch.SetPacket(1, PacketPool.Headroom, 20);
        batch.Data(1).Fill(0xF0); // version 15: not IP
        Assert.Equal(2, tun.WriteBatch(batch, 0, 2));
        Assert.Equal(2, tun.Counters.Write.Packets + tun.Counters.Write.Errors);
        Assert.True(tun.Counters.Write.Errors >= 1, "the non-IP packet must be refused (EINVAL)");
        Assert.Equal(Errno.EINVAL, tun.Counters.Write.LastError);
    }

    [Fact]
    public void Interface_names_are_validated()
    {
        Assert.True(LinuxTunDevice.IsValidInterfaceName("mpt0"));
        Assert.True(LinuxTunDevice.IsValidInterfaceName("abcdefghijklmno"));
        Assert.False(LinuxTunDevice.IsValidInterfaceName("abcdefghijklmnop"));
        Assert.False(LinuxTunDevice.IsValidInterfaceName(""));
        Assert.False(LinuxTunDevice.IsValidInterfaceName("a b"));
        Assert.False(LinuxTunDevice.IsValidInterfaceName("a/b"));
        Assert.Throws<ArgumentException>(() => LinuxTunDevice.Open("this-name-is-too-long"));
    }

    private static LinuxTunDevice OpenConfigured(NetworkNamespace ns, bool vnetHeader)
    {
        LinuxTunDevice tun = LinuxTunDevice.Open("mpttest0", vnetHeader);
        try
        {
            Assert.Equal("mpttest0", tun.Name);
            ns.Links.AddAddress(tun.Name, new IpPrefix(s_tunAddress, 24)).ThrowIfFailed();
            ns.Links.SetMtu(tun.Name, 1440).ThrowIfFailed();
            ns.Links.SetUp(tun.Name).ThrowIfFailed();
            return tun;
        }
        catch
        {
            tun.Dispose();
            throw;
        }
    }

    private static void EchoRoundTrip(LinuxTunDevice tun, bool gather = false)
    {
        using var pool = new PacketPool(128);
        using var batch = new PacketBatch(pool);
        batch.EnsureSlots(1);
        byte[] request = BuildEchoRequest(s_peerAddress, s_tunAddress, id: 0x4d50, sequence: 7);
        batch.SetPacket(0, PacketPool.Headroom, request.Length);
        request.CopyTo(batch.Data(0));
        if (gather)
        {
            using var packet = new PacketGather();
            packet.Add(batch.Data(0)[..10]); // the IP header cut in two ranges, the rest in a third
            packet.Add(batch.Data(0)[10..20]);
            packet.Add(batch.Data(0)[20..]);
            Assert.True(tun.WriteGather(packet));
        }
        else
        {
            Assert.Equal(1, tun.WriteBatch(batch, 0, 1));
        }

        byte[]? reply = ReadMatching(tun, batch, p => p.Length >= 28 && p[0] >> 4 == 4 && p[9] == 1
            && p[(p[0] & 0x0F) * 4] == 0 && BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(((p[0] & 0x0F) * 4) + 4)) == 0x4d50);
        Assert.NotNull(reply);
        int ihl = (reply[0] & 0x0F) * 4;
        Assert.Equal(s_tunAddress, new IPAddress(reply.AsSpan(12, 4)));
        Assert.Equal(s_peerAddress, new IPAddress(reply.AsSpan(16, 4)));
        Assert.Equal(7, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(ihl + 6)));
        Assert.Equal(request.AsSpan(28).ToArray(), reply.AsSpan(ihl + 8).ToArray());
    }

    /// <summary>Reads from the TUN until a packet satisfies <paramref name="match"/> (IPv6 router solicitations and
    /// the like are skipped) or patience runs out.</summary>
    private static byte[]? ReadMatching(ITunDevice tun, PacketBatch batch, Func<byte[], bool> match)
    {
        var poll = new PollSet(1);
        poll.Add(tun.Fd);
        long deadline = Environment.TickCount64 + SocketTestSupport.PatienceMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            poll.Wait(100);
            int n = tun.ReadBatch(batch);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(PacketPool.Headroom, batch.OffsetOf(i));
                byte[] packet = batch.Data(i).ToArray();
                if (match(packet))
                {
                    return packet;
                }
            }
        }

        return null;
    }

    private static byte[] BuildEchoRequest(IPAddress source, IPAddress destination, ushort id, ushort sequence)
    {
        byte[] packet = new byte[20 + 8 + 32];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), 0x1234);
        packet[8] = 64;
        packet[9] = 1; // ICMP
        source.TryWriteBytes(packet.AsSpan(12), out _);
        destination.TryWriteBytes(packet.AsSpan(16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum(packet.AsSpan(0, 20)));
        Span<byte> icmp = packet.AsSpan(20);
        icmp[0] = 8; // echo request
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], sequence);
        for (int i = 8; i < icmp.Length; i++)
        {
            icmp[i] = (byte)i;
        }

        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(icmp));
        return packet;
    }

    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if ((data.Length & 1) != 0)
        {
            sum += (uint)data[^1] << 8;
        }

        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
