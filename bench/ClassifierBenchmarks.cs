using BenchmarkDotNet.Attributes;
using MptFast.Engine.Classify;

namespace MptFast.Bench;

/// <summary>Inner header walk for flow mapping (MPT-SPEC §6.4, B07).</summary>
[MemoryDiagnoser]
public class ClassifierBenchmarks
{
    private byte[] _ipv4Tcp = [];
    private byte[] _ipv6Extensions = [];

    [GlobalSetup]
    public void Setup()
    {
        _ipv4Tcp = BenchPackets.Ipv4Tcp(1400);
        _ipv6Extensions = BenchPackets.Ipv6TcpWithExtensions(1400);
        if (PacketClassifier.Classify(_ipv4Tcp).DestinationPort != 443 || PacketClassifier.Classify(_ipv6Extensions).DestinationPort != 22)
        {
            throw new InvalidOperationException("setup: the packets do not classify as built");
        }
    }

    [Benchmark(Description = "Classify IPv4 TCP")]
    public ushort Ipv4Tcp() => PacketClassifier.Classify(_ipv4Tcp).DestinationPort;

    [Benchmark(Description = "Classify IPv6 + 3 ext headers, TCP")]
    public ushort Ipv6WithExtensionHeaders() => PacketClassifier.Classify(_ipv6Extensions).DestinationPort;
}
