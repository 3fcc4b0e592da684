using System.Net;
using BenchmarkDotNet.Attributes;
using MptFast.Engine.Buffers;
using MptFast.Engine.Classify;
using MptFast.Engine.Config;
using MptFast.Engine.Datapath;
using MptFast.Engine.Datapath.Linux;
using MptFast.Engine.Mapping;
using MptFast.Engine.Runtime;
using MptFast.Engine.Wire;

namespace MptFast.Bench;

/// <summary>
/// One transmit round (<see cref="TxPump.RunOnce"/>: read a TUN batch, match, schedule, encapsulate, send) with 1, 100
/// and 1,000 two-path connections of which the round's packets touch one — a server with many clients, each round
/// carrying one client's burst (issue 15: the round must cost what its connections cost, not a pass over all of them).
/// Devices are in-memory doubles (no syscalls), so the figure is the pump's own work. Per round of
/// <see cref="PacketsPerRound"/> packets. Target: at 1,000 connections ≤ 1.2 × the cost at 1.
/// </summary>
[MemoryDiagnoser]
public class TxRoundBenchmarks
{
    private const int PacketsPerRound = 8;
    private const int Rounds = 256;
    private TxPump _pump = null!;
    private BurstTun _tun = null!;
    private byte[][] _packets = [];
    private int[] _order = [];

    [Params(1, 100, 1000)]
    public int Connections { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        IPAddress local = IPAddress.Parse("198.19.0.1");
        var connections = new ConnectionRuntime[Connections];
        _packets = new byte[Connections][];
        for (int c = 0; c < Connections; c++)
        {
            IPAddress remote = Client(c);
            var paths = new List<PathConfig>();
            var runtimes = new PathRuntime[2];
            for (int p = 0; p < 2; p++)
            {
                var pc = new PathConfig
                {
                    InterfaceName = $"veth{p + 1}",
                    PrivateAddress = IPAddress.Parse($"198.18.{p + 1}.1"),
                    PublicAddress = IPAddress.Parse($"198.18.{p + 1}.1"),
                    RemoteAddress = IPAddress.Parse($"198.18.{p + 1}.2"),
                    WeightOut = 1,
                };
                paths.Add(pc);
                runtimes[p] = new PathRuntime(p, pc, pc.PrivateAddress, pc.PublicAddress, pc.RemoteAddress) { Socket = new NullSocket() };
            }

            var config = new ConnectionConfig
            {
                FileName = $"client{c}.conf",
                IpVer = 4,
                IpLocal = local,
                IpRemote = remote,
                LocalPort = 23456,
                RemotePort = 23456,
                Paths = paths.ToEquatableArray(),
            };
            connections[c] = new ConnectionRuntime(c, config, runtimes, PortMapTable.Empty, Address16.FromIPAddress(local), Address16.FromIPAddress(remote));
            byte[] packet = BenchPackets.Ipv4Tcp(1400);
            local.TryWriteBytes(packet.AsSpan(12, 4), out _);
            remote.TryWriteBytes(packet.AsSpan(16, 4), out _);
            _packets[c] = packet;
        }

        _tun = new BurstTun();
        _pump = new TxPump(_tun, connections, ConnectionMatcher.FromConfigs(connections.Select(c => c.Config).ToArray()), 2048);
        var random = new Random(15);
        _order = Enumerable.Range(0, Rounds).Select(_ => random.Next(Connections)).ToArray();
        for (int c = 0; c < Connections; c++)
        {
            _tun.Packet = _packets[c];
            _pump.RunOnce(0);
            if (connections[c].Paths.Sum(p => p.Counters.Tx.Packets) != PacketsPerRound)
            {
                throw new InvalidOperationException($"setup: connection {c} did not send its burst");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pump.Dispose();
        _tun.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Rounds, Description = "TxPump.RunOnce, 8 packets of one connection")]
    public int Round()
    {
        int sum = 0;
        foreach (int c in _order)
        {
            _tun.Packet = _packets[c];
            sum += _pump.RunOnce(0);
        }

        return sum;
    }

    // Client c's tunnel address: 198.19.(1 + c / 250).(1 + c % 250), as ConnectionLookupBenchmarks.
    private static IPAddress Client(int c) => new([198, 19, (byte)(1 + (c / 250)), (byte)(1 + (c % 250))]);

    /// <summary>A TUN that hands out <see cref="PacketsPerRound"/> copies of <see cref="Packet"/> per read.</summary>
    private sealed class BurstTun : ITunDevice
    {
        private readonly WakeEvent _ready = new();

        public BurstTun() => _ready.Signal();

        public byte[] Packet { get; set; } = [];

        public int Fd => _ready.Fd;

        public string Name => "bench0";

        public TunCounters Counters { get; } = new();

        public int ReadBatch(PacketBatch batch, int limit = int.MaxValue)
        {
            int n = Math.Min(Math.Min(PacketsPerRound, limit), batch.EnsureSlots(batch.Capacity));
            for (int i = 0; i < n; i++)
            {
                Packet.CopyTo(batch.SlotSpan(i)[PacketPool.Headroom..]);
                batch.SetPacket(i, PacketPool.Headroom, Packet.Length);
            }

            batch.Count = n;
            return n;
        }

        public int WriteBatch(PacketBatch batch, int start, int count) => count;

        public bool WriteGather(PacketGather packet) => true;

        public void Dispose() => _ready.Dispose();
    }

    /// <summary>A path socket that takes every datagram.</summary>
    private sealed class NullSocket : IPathSocket
    {
        public int Fd => -1;

        public ushort LocalPort => 23456;

        public UdpOffloadCapabilities Capabilities { get; } = new(1, groSupported: false);

        public PathSocketCounters Counters { get; } = new();

        public int ReceiveBatch(PacketBatch batch)
        {
            batch.Count = 0;
            return 0;
        }

        public int SendBatch(PacketBatch batch, int start, int count) => count;

        public int SendGso(PacketBatch batch, int start, int count, int segmentSize) => count;

        public PathSendResult Send(ReadOnlySpan<byte> datagram) => PathSendResult.Sent;

        public void Dispose()
        {
        }
    }
}
