using System.Buffers.Binary;
using System.Net;
using MptFast.Engine.Classify;
using MptFast.Engine.Config;
using MptFast.Engine.Datapath;
using MptFast.Engine.Datapath.Memory;
using MptFast.Engine.Mapping;
using MptFast.Engine.Runtime;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Datapath;

/// <summary>The pump loops driven in-process with device doubles: correctness of the wire output and the
/// zero-allocation steady state (GC.GetAllocatedBytesForCurrentThread on the pumping thread).</summary>
public class PumpTests
{
    internal static readonly IPAddress LocalTunnel = IPAddress.Parse("198.19.0.1");
    internal static readonly IPAddress RemoteTunnel = IPAddress.Parse("198.19.0.2");

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    public void Transmit_steady_state_allocates_nothing_and_spreads_by_weight(int reorderWindow)
    {
        var (connection, sockets) = Connection(reorderWindow, weights: [3, 1]);
        using var tun = new ReplayTun(Icmp(LocalTunnel, RemoteTunnel));
        using var pump = new TxPump(tun, [connection], ConnectionMatcher.FromConfigs([connection.Config]), 2048);

        for (int i = 0; i < 50; i++)
        {
            pump.RunOnce(0);
        }

        int runs = SteadyState.AssertAllocatesNothing(() =>
        {
            for (int i = 0; i < 2000; i++)
            {
                pump.RunOnce(0);
            }
        });

        long total = sockets[0].Sent + sockets[1].Sent;
        Assert.Equal((50 + (2000L * runs)) * 64 * TxPump.MaxBatchesPerWake, total);
        Assert.Equal(0.75, (double)sockets[0].Sent / total, 3);
        Assert.Equal(total, connection.Paths[0].Counters.Tx.Packets + connection.Paths[1].Counters.Tx.Packets);

        // The last datagram: GRE header (S bit and sequence when reordering is on) + the inner packet unchanged.
        ReadOnlySpan<byte> last = sockets[1].LastSent.AsSpan(0, sockets[1].LastSentLength);
        Assert.Equal(GreStatus.Ok, GreCodec.Decode(last, out GreFrame frame));
        Assert.Equal(reorderWindow > 0, frame.HasSequence);
        Assert.Equal(GreCodec.ProtocolIPv4, frame.ProtocolType);
        Assert.Equal(Icmp(LocalTunnel, RemoteTunnel), frame.PayloadOf(last).ToArray());
        Assert.Equal((uint)total, connection.NextSequence);
    }

    [Fact]
    public void Transmit_sends_every_batched_packet_of_the_connections_a_round_touched_and_allocates_nothing()
    {
        // Three connections; the TUN carries packets for the first and the third only, interleaved. A round visits the
        // connections it touched (issue 15): both must have everything sent, the untouched one nothing.
        var built = Enumerable.Range(0, 3)
            .Select(i => Connection(0, weights: [1, 1], index: i, remoteTunnel: IPAddress.Parse($"198.19.0.{10 + i}")))
            .ToArray();
        ConnectionRuntime[] connections = built.Select(b => b.Connection).ToArray();
        using var tun = new ReplayTun(Icmp(LocalTunnel, IPAddress.Parse("198.19.0.10")), Icmp(LocalTunnel, IPAddress.Parse("198.19.0.12")))
        {
            PerRead = 7,
        };
        using var pump = new TxPump(tun, connections, ConnectionMatcher.FromConfigs(connections.Select(c => c.Config).ToArray()), 2048);

        for (int i = 0; i < 20; i++)
        {
            pump.RunOnce(0);
        }

        int runs = SteadyState.AssertAllocatesNothing(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                pump.RunOnce(0);
            }
        });

        long Sent(int c) => built[c].Sockets.Sum(s => s.Sent);
        long read = (20 + (200L * runs)) * 7; // PerRead < the batch size: one read per wake
        Assert.Equal((read + 1) / 2, Sent(0));
        Assert.Equal(0, Sent(1));
        Assert.Equal(read / 2, Sent(2));
        Assert.Equal(0, pump.DropNoConnection);
    }

    [Fact]
    public void A_slow_sender_costs_no_empty_tun_read_per_wake_up_and_a_burst_brings_draining_back()
    {
        // Issue 15: at a few packets per wake-up the drain's last read, which finds the TUN empty, was a system call
        // per wake-up. MemoryTunDevice counts those reads.
        var (connection, sockets) = Connection(0, weights: [1, 1]);
        using var tun = new MemoryTunDevice();
        using var pump = new TxPump(tun, [connection], ConnectionMatcher.FromConfigs([connection.Config]), 2048);
        byte[] packet = Icmp(LocalTunnel, RemoteTunnel);

        for (int i = 0; i < 81; i++)
        {
            tun.Inject(packet);
            Assert.Equal(1, pump.RunOnce(0));
        }

        Assert.Equal(81, sockets[0].Sent + sockets[1].Sent);
        Assert.Equal(1 + (80 / TxPump.DrainEveryWakes), tun.EmptyReads); // the first wake-up and every 8th drain

        // 20 packets queued at once while single reads are on: one per wake-up until the next draining one takes the
        // rest, and from then on a wake-up takes everything queued.
        for (int i = 0; i < 20; i++)
        {
            tun.Inject(packet);
        }

        int wakes = 0;
        int read = 0;
        while (tun.PendingReads > 0 && wakes < 100)
        {
            read += pump.RunOnce(0);
            wakes++;
        }

        Assert.Equal(20, read);
        Assert.Equal(TxPump.DrainEveryWakes, wakes);
        for (int i = 0; i < 3; i++)
        {
            tun.Inject(packet);
        }

        Assert.Equal(3, pump.RunOnce(0));
        Assert.Equal(104, sockets[0].Sent + sockets[1].Sent);
    }

    [Fact]
    public void Transmit_drops_and_counts_when_no_path_is_ok_and_packets_of_no_connection()
    {
        var (connection, sockets) = Connection(0, weights: [1, 1]);
        connection.Paths[0].Status = PathStatus.Down;
        connection.Paths[1].Status = PathStatus.ManualDown;
        connection.RecomputeOkMask();
        using var tun = new ReplayTun(Icmp(LocalTunnel, RemoteTunnel)) { PerRead = 10 };
        using var pump = new TxPump(tun, [connection], ConnectionMatcher.FromConfigs([connection.Config]), 2048);
        pump.RunOnce(0);
        Assert.Equal(10, connection.DropNoPath);
        Assert.Equal(0, sockets[0].Sent + sockets[1].Sent);

        using var stranger = new ReplayTun(Icmp(IPAddress.Parse("10.9.9.9"), RemoteTunnel)) { PerRead = 5 };
        using var pump2 = new TxPump(stranger, [connection], ConnectionMatcher.FromConfigs([connection.Config]), 2048);
        pump2.RunOnce(0);
        Assert.Equal(5, pump2.DropNoConnection);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    public void Receive_steady_state_allocates_nothing_and_delivers_every_packet(int reorderWindow)
    {
        var (connection, sockets) = Connection(reorderWindow, weights: [1, 1]);
        byte[] inner = Icmp(RemoteTunnel, LocalTunnel);

        // Path 0 carries the even sequence numbers, path 1 the odd ones: in order overall, as a sender alternating paths.
        const int per = 64;
        sockets[0].Feed(Datagrams(inner, reorderWindow > 0, first: 0, step: 2, count: per * 4));
        sockets[1].Feed(Datagrams(inner, reorderWindow > 0, first: 1, step: 2, count: per * 4));
        using var tun = new ReplayTun(inner);
        using var pump = new RxPump(tun, [connection], 2048);

        (long allocated, int runs) = AllocatedInSteadyState(pump);
        Assert.True(0 == allocated, $"allocated in steady state (re-polls closed {pump.RepollsClosed}, timed out {pump.RepollsTimedOut}, catch-up reads {pump.CatchUpReads})");
        long received = connection.Paths[0].Counters.Rx.Packets + connection.Paths[1].Counters.Rx.Packets;
        Assert.Equal((1 + (1000L * runs)) * 2 * per * ReceiveRounds.MaxBatchesPerSocket, received);
        long held = connection.Reorder?.Held ?? 0;
        Assert.Equal(received - held, tun.Written);
        Assert.Equal(0, connection.Paths[0].Counters.Rx.DropMalformed + connection.Paths[0].Counters.Rx.DropUnknownSource);
    }

    [Fact]
    public void Receive_counts_unknown_senders_and_malformed_gre_and_refreshes_liveness_on_keepalives()
    {
        var (connection, sockets) = Connection(0, weights: [1, 1]);
        using var tun = new ReplayTun(Icmp(RemoteTunnel, LocalTunnel));
        using var stranger = new ReplaySocket(IPAddress.Parse("198.18.1.3")) { PerReceive = 3 };
        byte[] good = Datagrams(Icmp(RemoteTunnel, LocalTunnel), false, 0, 1, 1)[0];
        stranger.Feed([good]);
        connection.Paths[0].Socket = stranger;
        using (var pump = new RxPump(tun, [connection], 2048))
        {
            pump.RunOnce(0);
        }

        Assert.Equal(3, connection.Paths[0].Counters.Rx.DropUnknownSource);

        byte[] keepalive = new byte[KeepaliveCodec.PacketLength];
        KeepaliveCodec.TryWrite(keepalive, 4, Address16.FromIPAddress(RemoteTunnel), Address16.FromIPAddress(LocalTunnel), out _);
        byte[] badVersion = (byte[])good.Clone();
        badVersion[1] = 0x01;
        sockets[1].PerReceive = 2;
        sockets[1].Feed([keepalive, badVersion]);
        connection.Paths[1].LastKeepaliveTicks = 0;
        using (var pump = new RxPump(tun, [connection], 2048))
        {
            pump.RunOnce(0);
        }

        Assert.Equal(1, connection.Paths[1].Counters.Rx.KeepalivesReceived);
        Assert.Equal(1, connection.Paths[1].Counters.Rx.DropMalformed);
        Assert.Equal(0, connection.Paths[1].Counters.Rx.DropKeepaliveMismatch);
        Assert.True(connection.Paths[1].LastKeepaliveTicks > 0);
    }

    [Theory]
    [InlineData("198.19.0.9", "198.19.0.1")]    // another sender's tunnel address
    [InlineData("198.19.0.2", "198.19.0.9")]    // meant for another receiver
    [InlineData("198.19.0.1", "198.19.0.2")]    // our own pair, not swapped: a reflected keepalive
    public void A_keepalive_naming_another_tunnel_pair_is_counted_as_a_drop_B32_yet_proves_the_path_alive(string sender, string receiver)
    {
        var (connection, sockets) = Connection(0, weights: [1, 1]);
        using var tun = new ReplayTun(Icmp(RemoteTunnel, LocalTunnel));
        byte[] mismatched = new byte[KeepaliveCodec.PacketLength];
        KeepaliveCodec.TryWrite(mismatched, 4, Address16.FromIPAddress(IPAddress.Parse(sender)), Address16.FromIPAddress(IPAddress.Parse(receiver)), out _);
        byte[] good = new byte[KeepaliveCodec.PacketLength];
        KeepaliveCodec.TryWrite(good, 4, Address16.FromIPAddress(RemoteTunnel), Address16.FromIPAddress(LocalTunnel), out _);
        sockets[0].PerReceive = 3;
        sockets[0].Feed([mismatched, good, mismatched]);
        connection.Paths[0].LastKeepaliveTicks = 0;
        using (var pump = new RxPump(tun, [connection], 2048))
        {
            pump.RunOnce(0);
        }

        // MPT-SPEC §3.3 reads nothing but the command byte; B32: MptFast checks the pair. The datagram came from the
        // path's remote address (§2.6 step 3), so it still counts as a keepalive (liveness), and the mismatch is a drop
        // reason in the status (and in the control thread's periodic drop report).
        PathCounters counters = connection.Paths[0].Counters;
        Assert.Equal(2, counters.Rx.DropKeepaliveMismatch);
        Assert.Equal(3, counters.Rx.KeepalivesReceived);
        Assert.True(connection.Paths[0].LastKeepaliveTicks > 0);
        Assert.Equal(0, counters.Rx.DropMalformed + counters.Rx.DropCommandOnDataPort);
        Assert.Equal(2, counters.Drops()["keepalive_mismatch"]);
        Assert.Equal(0, tun.Written);
    }

    /// <summary>Bytes the receive pump allocates on this thread over 1,000 rounds after a first one (which may warm up),
    /// measured as <see cref="SteadyState.Allocations"/> does: a run of 1,000 rounds up to three times, until one allocates
    /// nothing (a rare branch first taken on a loaded machine — seen once in 60,000 rounds under load, 7,752 bytes — may
    /// allocate once; an allocation in every run still fails). Returns the last run's bytes and how many runs there were.</summary>
    internal static (long Bytes, int Runs) AllocatedInSteadyState(RxPump pump)
    {
        pump.RunOnce(0);
        long[] runs = SteadyState.Allocations(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                pump.RunOnce(0);
            }
        });
        return (runs[^1], runs.Length);
    }

    /// <summary>A connection over replay sockets; <paramref name="gso"/> gives the sockets UDP GSO (64 segments) and
    /// <paramref name="customize"/> may change each path's config (the port map is then built from the paths).</summary>
    internal static (ConnectionRuntime Connection, ReplaySocket[] Sockets) Connection(int reorderWindow, int[] weights,
        bool gso = false, Func<PathConfig, int, PathConfig>? customize = null, int index = 0, IPAddress? remoteTunnel = null,
        bool equalizeDelay = false, bool equalizeAcks = false)
    {
        remoteTunnel ??= RemoteTunnel;
        var paths = new List<PathConfig>();
        var runtimes = new PathRuntime[weights.Length];
        var sockets = new ReplaySocket[weights.Length];
        for (int i = 0; i < weights.Length; i++)
        {
            var remote = IPAddress.Parse($"198.18.{i + 1}.2");
            var pc = new PathConfig
            {
                InterfaceName = $"veth{i + 1}",
                PrivateAddress = IPAddress.Parse($"198.18.{i + 1}.1"),
                PublicAddress = IPAddress.Parse($"198.18.{i + 1}.1"),
                RemoteAddress = remote,
                WeightOut = weights[i],
            };
            pc = customize?.Invoke(pc, i) ?? pc;
            paths.Add(pc);
            sockets[i] = new ReplaySocket(remote) { Capabilities = new UdpOffloadCapabilities(gso ? 64 : 1, groSupported: false) };
            runtimes[i] = new PathRuntime(i, pc, pc.PrivateAddress, pc.PublicAddress, remote) { Socket = sockets[i] };
        }

        var config = new ConnectionConfig
        {
            FileName = "test.conf",
            IpVer = 4,
            IpLocal = LocalTunnel,
            IpRemote = remoteTunnel,
            LocalPort = 23456,
            RemotePort = 23456,
            ReorderWindow = reorderWindow,
            EqualizeDelay = equalizeDelay,
            EqualizeAcks = equalizeAcks,
            Paths = paths.ToEquatableArray(),
        };
        PortMapTable portMap = customize is null ? PortMapTable.Empty : PortMapTable.FromPaths(paths, null);
        var c = new ConnectionRuntime(index, config, runtimes, portMap, Address16.FromIPAddress(LocalTunnel), Address16.FromIPAddress(remoteTunnel));
        return (c, sockets);
    }

    internal static byte[][] Datagrams(byte[] inner, bool withSequence, uint first, uint step, int count)
    {
        var result = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            byte[] d = new byte[inner.Length + 8];
            int header = GreCodec.WriteHeader(d, GreCodec.ProtocolIPv4, withSequence, first + ((uint)i * step));
            inner.CopyTo(d, header);
            result[i] = d[..(header + inner.Length)];
        }

        return result;
    }

    /// <summary>A valid 44-byte IPv4 ICMP echo request.</summary>
    internal static byte[] Icmp(IPAddress source, IPAddress destination)
    {
        byte[] p = new byte[44];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 44);
        p[8] = 64;
        p[9] = 1;
        source.GetAddressBytes().CopyTo(p, 12);
        destination.GetAddressBytes().CopyTo(p, 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), InternetChecksum.Compute(p.AsSpan(0, 20)));
        p[20] = 8;
        "MPT test vector!"u8.CopyTo(p.AsSpan(28));
        return p;
    }
}
