using System.Diagnostics;
using System.Net;
using MptFast.Engine.Buffers;
using MptFast.Engine.Config;
using MptFast.Engine.Datapath;
using MptFast.Engine.Mapping;
using MptFast.Engine.Offload;
using MptFast.Engine.Runtime;
using MptFast.Engine.Tests.Offload;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Datapath;

/// <summary>The receive pump's offloads with allocation-free doubles: GRO messages split into datagrams, TCP segments
/// merged into GSO super-packets toward the TUN, the EINVAL downgrade, and the adaptive reorder hold wiring.</summary>
public class RxOffloadTests
{
    private static readonly IPAddress LocalTunnel = IPAddress.Parse("198.19.0.1");
    private static readonly IPAddress RemoteTunnel = IPAddress.Parse("198.19.0.2");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gro_messages_are_split_into_datagrams_in_the_steady_state_without_allocating(bool coalesce)
    {
        var (connection, sockets) = Connection(0, gro: true, paths: 1);
        byte[] inner = PumpTests.Icmp(RemoteTunnel, LocalTunnel);
        byte[] shortInner = inner[..40];
        shortInner[3] = 40; // IPv4 total length (the checksum does not matter to the pump)
        byte[][] datagrams = [.. Enumerable.Range(0, 9).Select(i => Gre(inner, false, 0)), Gre(shortInner, false, 0)];
        byte[] glued = [.. datagrams.SelectMany(d => d)];
        sockets[0].Script((glued, datagrams[0].Length), (datagrams[0], 0));
        sockets[0].Loop = true;
        using var tun = new RecordingTun();
        using var pump = new RxPump(tun, [connection], 2048, new RxOffload(UdpGro: true, TcpCoalescing: coalesce));

        pump.RunOnce(0);
        int runs = SteadyState.AssertAllocatesNothing(() =>
        {
            for (int i = 0; i < 300; i++)
            {
                pump.RunOnce(0);
            }
        });

        long messages = (1 + (300L * runs)) * RxPump.GroBatchMessages * ReceiveRounds.MaxBatchesPerSocket;
        Assert.Equal(messages / 2 * 11, connection.Paths[0].Counters.Rx.Packets);
        Assert.Equal(messages / 2, pump.GroMessages);
        Assert.Equal(messages / 2 * 10, pump.GroDatagrams);
        Assert.Equal(messages / 2 * 11, tun.Plain);
        Assert.Equal(0, tun.Super);
        Assert.Equal(44, tun.LastLength); // ICMP is never merged: the last write is the script's single datagram
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 0)]
    [InlineData(false, 64)]
    [InlineData(true, 64)]
    public void In_order_tcp_segments_reach_the_tun_as_one_super_packet_that_segments_back_exactly(bool v6, int reorderWindow)
    {
        var (connection, sockets) = Connection(reorderWindow, gro: true, paths: 2);
        TcpSpec first = v6 ? TcpSpec.V6Default() : new TcpSpec();
        byte[][] stream = CoalescerPackets.Stream(first, 40, 1200);
        ushort protocol = v6 ? GreCodec.ProtocolIPv6 : GreCodec.ProtocolIPv4;

        // Path 0 carries the even segments glued in one GRO message, path 1 the odd ones as single datagrams: the
        // reorder buffer (when on) puts them back in order before the TUN batch is planned.
        byte[] evens = [.. Enumerable.Range(0, 20).SelectMany(i => Gre(stream[2 * i], reorderWindow > 0, (uint)(2 * i), protocol))];
        sockets[0].Script((evens, stream[0].Length + (reorderWindow > 0 ? 8 : 4)));
        sockets[1].Script([.. Enumerable.Range(0, 20).Select(i => (Gre(stream[(2 * i) + 1], reorderWindow > 0, (uint)((2 * i) + 1), protocol), 0))]);
        if (connection.Reorder is { } reorder)
        {
            reorder.Adaptive = null; // no timing in tests: a slow test thread must not expire the held evens
            reorder.HoldTicks = 60 * Stopwatch.Frequency;
        }

        using var tun = new RecordingTun { Keep = true };
        using var pump = new RxPump(tun, [connection], 2048, new RxOffload(UdpGro: true, TcpCoalescing: true));
        pump.RunOnce(0);

        if (reorderWindow == 0)
        {
            // Without sequence numbers the pump writes in arrival order: the evens merge only if adjacent.
            Assert.Equal(40, connection.Paths[0].Counters.Rx.Packets + connection.Paths[1].Counters.Rx.Packets);
            Assert.Equal(40, Segments(tun).Count);
            return;
        }

        Assert.Equal(1, pump.SuperPackets);
        Assert.Equal(40, pump.CoalescedSegments);
        Assert.Single(tun.Writes);
        List<byte[]> segments = Segments(tun);
        Assert.Equal(stream.Length, segments.Count);
        for (int i = 0; i < stream.Length; i++)
        {
            Assert.Equal(stream[i], segments[i]);
        }
    }

    [Fact]
    public void Tcp_coalescing_allocates_nothing_in_the_steady_state()
    {
        var (connection, sockets) = Connection(0, gro: false, paths: 1);
        byte[][] stream = CoalescerPackets.Stream(new TcpSpec(), 32, 1300);
        sockets[0].Script([.. stream.Select(s => (Gre(s, false, 0), 0))]);
        sockets[0].Loop = true;
        using var tun = new RecordingTun();
        using var pump = new RxPump(tun, [connection], 2048, new RxOffload(UdpGro: false, TcpCoalescing: true));
        pump.RunOnce(0);
        int runs = SteadyState.AssertAllocatesNothing(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                pump.RunOnce(0);
            }
        });

        // Every 64-entry TUN batch holds the stream twice: segments 0–31 merge, then 0–31 again (a sequence jump back).
        Assert.Equal((1 + (200L * runs)) * ReceiveRounds.MaxBatchesPerSocket * 2, pump.SuperPackets);
        Assert.Equal(pump.SuperPackets, tun.Super);
        Assert.Equal(0, tun.Plain);
        Assert.Equal(40 + (32 * 1300), tun.LastLength);
    }

    [Fact]
    public void A_kernel_refusing_super_packets_turns_coalescing_off_and_the_packets_still_arrive()
    {
        var (connection, sockets) = Connection(0, gro: false, paths: 1);
        byte[][] stream = CoalescerPackets.Stream(new TcpSpec(), 10, 1000);
        sockets[0].Script([.. stream.Select(s => (Gre(s, false, 0), 0))]);
        using var tun = new RecordingTun { RefuseSuper = true, Keep = true };
        using var pump = new RxPump(tun, [connection], 2048, new RxOffload(UdpGro: false, TcpCoalescing: true));
        pump.RunOnce(0);
        Assert.Equal(1, tun.Counters.Write.Errors);
        Assert.Equal(0, pump.SuperPackets);
        Assert.Equal(10, tun.Plain);
        Assert.Equal(stream, tun.Writes.Select(w => w.Packet));

        sockets[0].Script([.. stream.Select(s => (Gre(s, false, 0), 0))]);
        pump.RunOnce(0);
        Assert.Equal(1, tun.Counters.Write.Errors); // not tried again
        Assert.Equal(20, tun.Plain);
    }

    [Fact]
    public void Without_offload_every_packet_is_written_plain_and_gro_sockets_are_received_as_before()
    {
        var (connection, sockets) = Connection(0, gro: true, paths: 1);
        byte[][] stream = CoalescerPackets.Stream(new TcpSpec(), 10, 1000);
        sockets[0].Script([.. stream.Select(s => (Gre(s, false, 0), 0))]);
        using var tun = new RecordingTun { Keep = true };
        using var pump = new RxPump(tun, [connection], 2048, RxOffload.None);
        pump.RunOnce(0);
        Assert.Equal(0, tun.Super);
        Assert.Equal(stream, tun.Writes.Select(w => w.Packet));
        Assert.All(tun.Writes, w => Assert.Null(w.Header));
        Assert.Equal(0, pump.GroMessages);
    }

    [Fact]
    public void Gro_parts_are_checked_one_by_one_oversized_truncated_and_foreign_messages_are_dropped_and_counted()
    {
        var (connection, sockets) = Connection(0, gro: true, paths: 1);
        byte[] small = Gre(PumpTests.Icmp(RemoteTunnel, LocalTunnel), false, 0);
        byte[] big = new byte[3000];
        GreCodec.WriteHeader(big, GreCodec.ProtocolIPv4, false, 0);
        byte[] badVersion = (byte[])small.Clone();
        badVersion[1] = 0x01;
        sockets[0].Script(([.. small, .. badVersion, .. small], small.Length), (big, 0), (new byte[70000], 1000));
        using var tun = new RecordingTun();
        using var pump = new RxPump(tun, [connection], 2048, new RxOffload(UdpGro: true, TcpCoalescing: true));
        pump.RunOnce(0);
        PathCounters c = connection.Paths[0].Counters;
        Assert.Equal(2, c.Rx.Packets); // the good parts of the first message
        Assert.Equal(1, c.Rx.DropMalformed);
        Assert.Equal(2, c.Rx.DropTruncated); // the 3000-byte datagram (slot 2048) and the cut 70000-byte message
        Assert.Equal(2, tun.Plain);

        using var stranger = new ScriptedSocket(IPAddress.Parse("198.18.9.9"), gro: true);
        stranger.Script(([.. small, .. small, .. small], small.Length));
        connection.Paths[0].Socket = stranger;
        using var pump2 = new RxPump(tun, [connection], 2048, new RxOffload(UdpGro: true, TcpCoalescing: true));
        pump2.RunOnce(0);
        Assert.Equal(3, c.Rx.DropUnknownSource);
    }

    [Fact]
    public void The_reorder_hold_adapts_between_a_1_ms_floor_and_max_buffdelay()
    {
        var (connection, _) = Connection(64, gro: false, paths: 1);
        Assert.NotNull(connection.Reorder);
        Assert.NotNull(connection.Reorder!.Adaptive);
        long ms = Stopwatch.Frequency / 1000;
        Assert.Equal(100 * ms, connection.Reorder.HoldTicks); // max_buffdelay until a reorder delay is measured
        Assert.Equal(ConnectionRuntime.HoldFloorMs * ms, connection.Reorder.Adaptive!.FloorTicks);

        var sink = new Reorder.RecordingSink();
        long now = 1_000_000;
        for (uint s = 0; s < 200; s += 2)
        {
            connection.Reorder.Push(s + 1, 1, now, ref sink); // the slow path's packet arrives 2 ms late
            connection.Reorder.Push(s, 0, now + (2 * ms), ref sink);
            now += 3 * ms;
        }

        Assert.InRange(connection.Reorder.HoldTicks, 2 * ms, 5 * ms);
    }

    internal static List<byte[]> Segments(RecordingTun tun)
    {
        var all = new List<byte[]>();
        foreach ((byte[]? header, byte[] packet) in tun.Writes)
        {
            if (header is null)
            {
                all.Add(packet);
            }
            else
            {
                all.AddRange(CoalescerPackets.Segment(header, packet));
            }
        }

        return all;
    }

    internal static byte[] Gre(byte[] inner, bool withSequence, uint sequence, ushort protocol = GreCodec.ProtocolIPv4)
    {
        byte[] d = new byte[inner.Length + 8];
        int header = GreCodec.WriteHeader(d, protocol, withSequence, sequence);
        inner.CopyTo(d, header);
        return d[..(header + inner.Length)];
    }

    internal static (ConnectionRuntime Connection, ScriptedSocket[] Sockets) Connection(int reorderWindow, bool gro, int paths)
    {
        var configs = new List<PathConfig>();
        var runtimes = new PathRuntime[paths];
        var sockets = new ScriptedSocket[paths];
        for (int i = 0; i < paths; i++)
        {
            var remote = IPAddress.Parse($"198.18.{i + 1}.2");
            var pc = new PathConfig
            {
                InterfaceName = $"veth{i + 1}",
                PrivateAddress = IPAddress.Parse($"198.18.{i + 1}.1"),
                PublicAddress = IPAddress.Parse($"198.18.{i + 1}.1"),
                RemoteAddress = remote,
                WeightOut = 1,
            };
            configs.Add(pc);
            sockets[i] = new ScriptedSocket(remote, gro);
            runtimes[i] = new PathRuntime(i, pc, pc.PrivateAddress, pc.PublicAddress, remote) { Socket = sockets[i] };
        }

        var config = new ConnectionConfig
        {
            FileName = "test.conf",
            IpVer = 4,
            IpLocal = LocalTunnel,
            IpRemote = RemoteTunnel,
            LocalPort = 23456,
            RemotePort = 23456,
            ReorderWindow = reorderWindow,
            MaxBuffDelayMs = 100,
            Paths = configs.ToEquatableArray(),
        };
        var c = new ConnectionRuntime(0, config, runtimes, PortMapTable.Empty, Address16.FromIPAddress(LocalTunnel), Address16.FromIPAddress(RemoteTunnel));
        return (c, sockets);
    }
}
