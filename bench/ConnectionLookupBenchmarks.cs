using System.Net;
using BenchmarkDotNet.Attributes;
using MptFast.Engine.Classify;

namespace MptFast.Bench;

/// <summary>
/// Connection lookup on the transmit path (<see cref="ConnectionMatcher.Match"/>, MPT-SPEC §2.7) with 1, 100 and 1,000
/// connections of the shape a server with remote creates has (issue 15): tunnel 198.19.0.1 → one client address each.
/// Per packet over 1024 packets to random clients (<c>OperationsPerInvoke</c>). Target: at 1,000 ≤ 1.2 × the cost at 1.
/// </summary>
[MemoryDiagnoser]
public class ConnectionLookupBenchmarks
{
    private const int Packets = 1024;
    private ConnectionMatcher _matcher = null!;
    private byte[][] _packets = [];

    [Params(1, 100, 1000)]
    public int Connections { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        IPAddress local = IPAddress.Parse("198.19.0.1");
        var connections = new ConnectionDescriptor[Connections];
        for (int c = 0; c < Connections; c++)
        {
            connections[c] = new ConnectionDescriptor(4, local, Client(c), []);
        }

        _matcher = new ConnectionMatcher(connections);
        var random = new Random(15);
        _packets = new byte[Packets][];
        for (int i = 0; i < Packets; i++)
        {
            int target = random.Next(Connections);
            byte[] p = BenchPackets.Ipv4Tcp(1400);
            local.TryWriteBytes(p.AsSpan(12, 4), out _);
            Client(target).TryWriteBytes(p.AsSpan(16, 4), out _);
            _packets[i] = p;
            if (_matcher.Match(p) != target)
            {
                throw new InvalidOperationException($"setup: packet {i} does not match connection {target}");
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Packets, Description = "ConnectionMatcher.Match, random client")]
    public int Match()
    {
        int sum = 0;
        foreach (byte[] p in _packets)
        {
            sum += _matcher.Match(p);
        }

        return sum;
    }

    // Client c's tunnel address: 198.19.(1 + c / 250).(1 + c % 250).
    private static IPAddress Client(int c)
    {
        return new IPAddress([198, 19, (byte)(1 + (c / 250)), (byte)(1 + (c % 250))]);
    }
}
