using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MptFast.Engine.Datapath;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Offload;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Datapath;

/// <summary>
/// <c>equalize_delay = auto</c>: an acknowledgement is held only when its flow's sender is a socket of this host with a
/// delay-based congestion control — found by sock_diag (<see cref="LinuxSocketCongestion"/>), remembered per flow
/// (<see cref="AckHoldFlows"/>).
/// </summary>
public class SocketCongestionTests
{
    private const byte Ack = 0x10;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sock_diag_names_the_congestion_control_of_a_tcp_socket_of_this_host(bool v6)
    {
        IPAddress loopback = v6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        using var listener = new Socket(loopback.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(loopback, 0));
        listener.Listen();
        using var client = new Socket(loopback.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using Socket server = listener.Accept();
        using LinuxSocketCongestion lookup = LinuxSocketCongestion.Open()!;
        Assert.NotNull(lookup);

        TcpSocketId clientId = Id(client);
        SetCongestion(client, "reno");
        Assert.Equal("reno", lookup.NameOf(clientId));
        Assert.Equal(SocketCongestion.Other, lookup.Lookup(clientId));
        SetCongestion(client, "cubic");
        Assert.Equal("cubic", lookup.NameOf(clientId));

        // The accepted end is found by its own four-tuple, the other way round.
        SetCongestion(server, "reno");
        Assert.Equal("reno", lookup.NameOf(Id(server)));

        // BBR is this kernel's default here; setting it loads the module where it is not loaded yet (root).
        SetCongestion(client, "bbr");
        Assert.Equal("bbr", lookup.NameOf(clientId));
        Assert.Equal(SocketCongestion.DelayBased, lookup.Lookup(clientId));

        TcpSocketId nobody = clientId with { RemotePort = (ushort)(clientId.RemotePort == 1 ? 2 : 1) };
        Assert.Null(lookup.NameOf(nobody));
        Assert.Equal(SocketCongestion.Unknown, lookup.Lookup(nobody));
    }

    [Fact]
    public void The_socket_of_an_acknowledgement_is_its_destination()
    {
        byte[] ack = AckHoldTests.Tcp4(Ack, 0); // remote tunnel:5201 → local tunnel:40000
        Assert.True(TcpSocketId.TryReadReceiver(ack, out TcpSocketId id));
        Assert.Equal(new TcpSocketId(false, Address16.FromIPAddress(PumpTests.LocalTunnel), Address16.FromIPAddress(PumpTests.RemoteTunnel), 40000, 5201), id);
        Assert.False(TcpSocketId.TryReadReceiver(PumpTests.Icmp(PumpTests.RemoteTunnel, PumpTests.LocalTunnel), out _));
        Assert.False(TcpSocketId.TryReadReceiver(ack.AsSpan(0, 39), out _));
    }

    [Fact]
    public void Answers_are_read_by_their_sequence_number_and_anything_malformed_is_no_name()
    {
        Span<byte> name = stackalloc byte[16];
        byte[] answer = Answer(7, Encoding.ASCII.GetBytes("bbr\0"));
        Assert.Equal(3, LinuxSocketCongestion.Answer(answer, 7, name));
        Assert.Equal("bbr", Encoding.ASCII.GetString(name[..3]));
        Assert.Equal(int.MinValue, LinuxSocketCongestion.Answer(answer, 8, name));           // another request's
        Assert.Equal(3, LinuxSocketCongestion.Answer([.. Answer(6, "cubic\0"u8.ToArray()), .. answer], 7, name)); // after a stale one

        byte[] error = new byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(error, 20);
        BinaryPrimitives.WriteUInt16LittleEndian(error.AsSpan(4), 2);                        // NLMSG_ERROR
        BinaryPrimitives.WriteUInt32LittleEndian(error.AsSpan(8), 7);
        BinaryPrimitives.WriteInt32LittleEndian(error.AsSpan(16), -2);                       // ENOENT
        Assert.Equal(-1, LinuxSocketCongestion.Answer(error, 7, name));

        byte[] noAttribute = answer[..(16 + 72)];
        BinaryPrimitives.WriteUInt32LittleEndian(noAttribute, (uint)noAttribute.Length);
        Assert.Equal(-1, LinuxSocketCongestion.Answer(noAttribute, 7, name));

        byte[] longer = (byte[])answer.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(longer, (uint)longer.Length + 1);           // beyond the datagram
        Assert.Equal(-1, LinuxSocketCongestion.Answer(longer, 7, name));

        byte[] badAttribute = (byte[])answer.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(badAttribute.AsSpan(16 + 72), 200);        // attribute beyond the message
        Assert.Equal(-1, LinuxSocketCongestion.Answer(badAttribute, 7, name));

        Assert.Equal(int.MinValue, LinuxSocketCongestion.Answer(answer.AsSpan(0, 15), 7, name)); // no header at all
    }

    [Fact]
    public void A_flow_is_looked_up_once_per_period_and_only_delay_based_senders_are_held()
    {
        var lookup = new FakeCongestion { DelayBasedPort = 40000 };
        var flows = new AckHoldFlows(lookup);
        long now = Stopwatch.GetTimestamp();
        byte[] bbr = Ack4(40000);
        byte[] cubic = Ack4(40001);

        Assert.True(flows.Holds(bbr, now));
        Assert.False(flows.Holds(cubic, now));
        for (int i = 0; i < 100; i++)
        {
            Assert.True(flows.Holds(bbr, now + i));
            Assert.False(flows.Holds(cubic, now + i));
        }

        Assert.Equal(2, lookup.Calls);
        Assert.Equal((2L, 1L, 0L), (flows.Lookups, flows.DelayBased, flows.NotFound));

        // A new flow's first answer lasts 50 ms (an application may set its congestion control after connecting), the
        // next ones twice as long each, up to 10 s.
        long at = now;
        long period = AckHoldFlows.FirstVerdictTicks;
        int calls = lookup.Calls;
        for (int i = 0; i < 12; i++)
        {
            Assert.True(flows.Holds(bbr, at + period - 1));
            Assert.Equal(calls, lookup.Calls);
            at += period;
            Assert.True(flows.Holds(bbr, at));
            Assert.Equal(++calls, lookup.Calls);
            period = Math.Min(period * 2, AckHoldFlows.VerdictTicks);
        }

        Assert.Equal(AckHoldFlows.VerdictTicks, period);

        // Its congestion control changed (a socket option after connecting): the next lookup says so.
        lookup.DelayBasedPort = 0;
        at += period;
        Assert.False(flows.Holds(bbr, at));

        lookup.Missing = true;                                      // a forwarded flow: no socket here
        Assert.False(flows.Holds(Ack4(50000), at));
        Assert.Equal(1, flows.NotFound);
        calls = lookup.Calls;
        Assert.False(flows.Holds(PumpTests.Icmp(PumpTests.RemoteTunnel, PumpTests.LocalTunnel), at)); // not TCP: no lookup
        Assert.Equal(calls, lookup.Calls);
    }

    [Fact]
    public void A_flood_of_new_flows_costs_a_bounded_number_of_lookups()
    {
        var lookup = new FakeCongestion { DelayBasedPort = 1 };
        var flows = new AckHoldFlows(lookup);
        long now = Stopwatch.GetTimestamp();
        for (int port = 1; port <= 1000; port++)
        {
            flows.Holds(Ack4((ushort)port), now); // all at one instant
        }

        Assert.Equal(AckHoldFlows.LookupBurst, lookup.Calls);
        Assert.Equal(1000 - AckHoldFlows.LookupBurst, flows.Deferred);

        // One second later a second's worth more (at most the burst is saved up).
        for (int port = 1001; port <= 5000; port++)
        {
            flows.Holds(Ack4((ushort)port), now + Stopwatch.Frequency);
        }

        Assert.Equal(AckHoldFlows.LookupBurst * 2, lookup.Calls);

        // A flow deferred is looked up once the budget allows: its acknowledgements are held from then on.
        long later = now + (Stopwatch.Frequency * 30);
        Assert.True(flows.Holds(Ack4(1), later));

        // A known flow due for another lookup (its second answer lasted 100 ms) while a flood uses the lookups up keeps
        // its last answer. (The flood's flows are kept out of its table slot, or one of them could take its place.)
        long due = later + (2 * AckHoldFlows.FirstVerdictTicks);
        foreach (int port in Enumerable.Range(5001, 100).Where(p => Slot(p) != Slot(1)))
        {
            flows.Holds(Ack4((ushort)port), due);
        }

        long deferred = flows.Deferred;
        Assert.True(flows.Holds(Ack4(1), due));
        Assert.Equal(deferred + 1, flows.Deferred);

        static int Slot(int port) =>
            (TcpSocketId.TryReadReceiver(Ack4((ushort)port), out TcpSocketId id) ? id.GetHashCode() : 0) & (AckHoldFlows.Capacity - 1);
    }

    [Fact]
    public void Looking_up_and_remembering_flows_allocates_nothing()
    {
        var flows = new AckHoldFlows(new FakeCongestion { DelayBasedPort = 40000 });
        byte[][] acks = [.. Enumerable.Range(0, 64).Select(i => Ack4((ushort)(40000 + i)))];
        long now = Stopwatch.GetTimestamp();
        flows.Holds(acks[0], now);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 1000; round++)
        {
            foreach (byte[] ack in acks)
            {
                flows.Holds(ack, now + (round * Stopwatch.Frequency / 100));
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(flows.Lookups >= 64);
    }

    /// <summary>An IPv4 bare acknowledgement from the remote tunnel address to the local one's <paramref name="port"/>.</summary>
    internal static byte[] Ack4(ushort port)
    {
        byte[] p = AckHoldTests.Tcp4(Ack, 0);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), port);
        return p;
    }

    private static TcpSocketId Id(Socket s)
    {
        var local = (IPEndPoint)s.LocalEndPoint!;
        var remote = (IPEndPoint)s.RemoteEndPoint!;
        return new TcpSocketId(local.AddressFamily == AddressFamily.InterNetworkV6, Address16.FromIPAddress(local.Address),
            Address16.FromIPAddress(remote.Address), (ushort)local.Port, (ushort)remote.Port);
    }

    private static void SetCongestion(Socket s, string name) =>
        s.SetRawSocketOption(6, 13, Encoding.ASCII.GetBytes(name)); // IPPROTO_TCP, TCP_CONGESTION

    /// <summary>A sock_diag answer with one INET_DIAG_CONG attribute.</summary>
    private static byte[] Answer(uint sequence, byte[] congestion)
    {
        int attribute = 4 + congestion.Length;
        int length = 16 + 72 + ((attribute + 3) & ~3);
        byte[] a = new byte[length];
        BinaryPrimitives.WriteUInt32LittleEndian(a, (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(a.AsSpan(4), 20);
        BinaryPrimitives.WriteUInt32LittleEndian(a.AsSpan(8), sequence);
        BinaryPrimitives.WriteUInt16LittleEndian(a.AsSpan(16 + 72), (ushort)attribute);
        BinaryPrimitives.WriteUInt16LittleEndian(a.AsSpan(16 + 72 + 2), 4);
        congestion.CopyTo(a, 16 + 72 + 4);
        return a;
    }

    /// <summary>Answers by the local port: <see cref="DelayBasedPort"/> is BBR, the rest CUBIC (or none at all).</summary>
    internal sealed class FakeCongestion : ISocketCongestion
    {
        public ushort DelayBasedPort { get; set; }

        public bool Missing { get; set; }

        public int Calls { get; private set; }

        public SocketCongestion Lookup(in TcpSocketId socket)
        {
            Calls++;
            return Missing ? SocketCongestion.Unknown : socket.LocalPort == DelayBasedPort ? SocketCongestion.DelayBased : SocketCongestion.Other;
        }
    }
}
