using System.Net;
using MptFast.Engine.Buffers;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Interop;
using MptFast.Engine.Runtime;
using static MptFast.Engine.Tests.Linux.SocketTestSupport;

namespace MptFast.Engine.Tests.Linux;

public class UdpPathSocketLoopbackTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void Batch_of_64_datagrams_arrives_intact_with_the_senders_address_and_port(string loopback)
    {
        IPAddress address = IPAddress.Parse(loopback);
        using var receiver = LinuxUdpPathSocket.Open(address, 0, address, 9);
        using var sender = LinuxUdpPathSocket.Open(address, 0, address, receiver.LocalPort);
        Assert.NotEqual(0, receiver.LocalPort);
        using var pool = new PacketPool(200);
        using var outgoing = new PacketBatch(pool);
        using var incoming = new PacketBatch(pool);
        var sizes = new int[64];
        var sizeRandom = new Random(4754);
        outgoing.EnsureSlots(64);
        for (int i = 0; i < 64; i++)
        {
            sizes[i] = i == 0 ? 1 : i == 1 ? pool.PacketCapacity : sizeRandom.Next(1, 1500);
            FillPacket(outgoing, i, sizes[i], seed: i);
        }

        Assert.Equal(64, sender.SendBatch(outgoing, 0, 64));
        Assert.Equal(64, sender.Counters.Send.Datagrams);

        var poll = new PollSet();
        poll.Add(receiver.Fd);
        byte[] expectedSource = (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? address.MapToIPv6() : address).GetAddressBytes();
        int next = 0;
        int received = ReceiveUntil(receiver, incoming, poll, 64, batch =>
        {
            for (int i = 0; i < batch.Count; i++, next++)
            {
                Assert.Equal(PacketFlags.None, batch.FlagsOf(i));
                Assert.Equal(PacketPool.Headroom, batch.OffsetOf(i));
                Assert.Equal(sizes[next], batch.LengthOf(i));
                Assert.True(ExpectedBytes(sizes[next], next).AsSpan().SequenceEqual(batch.Data(i)), $"datagram {next} differs");
                Assert.Equal(expectedSource, batch.SourceAddress(i).ToArray());
                Assert.Equal(sender.LocalPort, batch.SourcePort(i));
            }
        });
        Assert.Equal(64, received);
        Assert.Equal(64, receiver.Counters.Receive.Datagrams);
    }

    // With SO_REUSEADDR Linux counts other SO_REUSEADDR sockets' ports as free, so bind(0) handed out ports already
    // held on the same address (25 in 1,000 binds here) and the two sockets split the datagrams: a loopback test lost
    // all of its to a concurrently running one. An ephemeral path socket goes without it, and gets a port of its own.
    [Fact]
    public void Ephemeral_path_sockets_on_one_address_never_share_a_port()
    {
        var sockets = new List<LinuxUdpPathSocket>();
        try
        {
            for (int i = 0; i < 600; i++)
            {
                sockets.Add(LinuxUdpPathSocket.Open(IPAddress.Loopback, 0, IPAddress.Loopback, 9, bufferBytes: 64 << 10));
            }

            Assert.Equal(sockets.Count, sockets.Select(s => s.LocalPort).Distinct().Count());
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void Datagram_longer_than_the_slot_is_flagged_truncated()
    {
        IPAddress lo = IPAddress.Loopback;
        using var receiver = LinuxUdpPathSocket.Open(lo, 0, lo, 9);
        using var sender = LinuxUdpPathSocket.Open(lo, 0, lo, receiver.LocalPort);
        using var pool = new PacketPool(64, 2048);
        using var incoming = new PacketBatch(pool);
        Assert.Equal(PathSendResult.Sent, sender.Send(new byte[3000]));
        Assert.Equal(PathSendResult.Sent, sender.Send(new byte[100]));
        var poll = new PollSet();
        poll.Add(receiver.Fd);
        var flags = new List<(PacketFlags Flags, int Length)>();
        ReceiveUntil(receiver, incoming, poll, 2, b =>
        {
            for (int i = 0; i < b.Count; i++)
            {
                flags.Add((b.FlagsOf(i), b.LengthOf(i)));
            }
        });
        Assert.Equal([(PacketFlags.Truncated, pool.PacketCapacity), (PacketFlags.None, 100)], flags);
        Assert.Equal(1, receiver.Counters.Receive.Truncated);
    }

    [Fact]
    public void Sending_to_a_closed_port_does_not_throw()
    {
        IPAddress lo = IPAddress.Loopback;
        ushort closedPort;
        using (var probe = LinuxUdpPathSocket.Open(lo, 0, lo, 9))
        {
            closedPort = probe.LocalPort;
        }

        using var sender = LinuxUdpPathSocket.Open(lo, 0, lo, closedPort);
        using var pool = new PacketPool(8);
        using var batch = new PacketBatch(pool, 4);
        batch.EnsureSlots(4);
        for (int i = 0; i < 4; i++)
        {
            FillPacket(batch, i, 100, i);
        }

        for (int round = 0; round < 3; round++)
        {
            Assert.Equal(4, sender.SendBatch(batch, 0, 4));
            PathSendResult single = sender.Send(new byte[10]);
            Assert.True(single is PathSendResult.Sent or PathSendResult.Refused, single.ToString());
        }

        Assert.Equal(12, sender.Counters.Send.Datagrams + sender.Counters.Send.Refused + sender.Counters.Send.Errors);
    }

    [Fact]
    public void Bind_failure_names_the_address_and_errno()
    {
        IPAddress notLocal = IPAddress.Parse("198.18.255.254");
        var ex = Assert.Throws<LinuxErrorException>(() => LinuxUdpPathSocket.Open(notLocal, 0, IPAddress.Loopback, 9));
        Assert.Equal(Errno.EADDRNOTAVAIL, ex.Errno);
        Assert.Contains("198.18.255.254", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mixed_families_are_rejected_at_open()
    {
        Assert.Throws<ArgumentException>(() => LinuxUdpPathSocket.Open(IPAddress.Loopback, 0, IPAddress.IPv6Loopback, 9));
    }

    [Fact]
    public void Receive_on_an_idle_socket_returns_zero()
    {
        using var socket = LinuxUdpPathSocket.Open(IPAddress.Loopback, 0, IPAddress.Loopback, 9);
        using var pool = new PacketPool(64);
        using var batch = new PacketBatch(pool);
        Assert.Equal(0, socket.ReceiveBatch(batch));
        Assert.Equal(0, batch.Count);
        Assert.Equal(0, socket.Counters.Receive.Errors);
    }

    [Fact]
    public void Offload_probe_records_a_consistent_state_and_can_be_downgraded()
    {
        using var socket = LinuxUdpPathSocket.Open(IPAddress.Loopback, 0, IPAddress.Loopback, 9);
        UdpOffloadCapabilities caps = socket.Capabilities;
        Assert.True(caps.GsoSegments is 1 or UdpOffloadCapabilities.MaxSegments);
        bool wasOn = caps.GsoSupported;
        Assert.Equal(wasOn, caps.DisableGso());
        Assert.False(caps.GsoSupported);
        Assert.False(caps.DisableGso());
    }

    [Fact]
    public void Steady_state_send_and_receive_allocates_nothing()
    {
        IPAddress lo = IPAddress.Loopback;
        using var receiver = LinuxUdpPathSocket.Open(lo, 0, lo, 9);
        using var sender = LinuxUdpPathSocket.Open(lo, 0, lo, receiver.LocalPort);
        using var pool = new PacketPool(160);
        using var outgoing = new PacketBatch(pool);
        using var incoming = new PacketBatch(pool);
        outgoing.EnsureSlots(64);
        for (int i = 0; i < 64; i++)
        {
            FillPacket(outgoing, i, 1200, i);
        }

        var poll = new PollSet();
        poll.Add(receiver.Fd);
        RoundTrips(sender, receiver, outgoing, incoming, poll, 5); // warm-up: JIT, tiering, first rents
        Assert.Equal(0, receiver.ReceiveBatch(incoming)); // warm the EAGAIN path and poll's first binding too
        poll.Wait(0);
        // The steady state is a run of 50 round trips (a send that would block or a poll that times out on a loaded
        // machine may allocate once: SteadyState measures up to three runs).
        int received = 0;
        int runs = SteadyState.AssertAllocatesNothing(() => received += RoundTrips(sender, receiver, outgoing, incoming, poll, 50));
        Assert.Equal(runs * 50 * 64, received);
    }

    private static int RoundTrips(IPathSocket sender, IPathSocket receiver, PacketBatch outgoing, PacketBatch incoming,
        PollSet poll, int rounds)
    {
        int total = 0;
        for (int r = 0; r < rounds; r++)
        {
            int sent = 0;
            while (sent < 64)
            {
                sent += sender.SendBatch(outgoing, sent, 64 - sent);
            }

            int got = 0;
            long deadline = Environment.TickCount64 + PatienceMilliseconds;
            while (got < 64 && Environment.TickCount64 < deadline)
            {
                int n = receiver.ReceiveBatch(incoming);
                if (n == 0)
                {
                    poll.Wait(50);
                }

                got += n;
            }

            total += got;
        }

        return total;
    }
}
