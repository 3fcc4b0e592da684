using BenchmarkDotNet.Attributes;
using MptFast.Engine.Wire;

namespace MptFast.Bench;

/// <summary>Keepalive encode/decode (MPT-SPEC §3.1): 44-byte datagram.</summary>
[MemoryDiagnoser]
public class KeepaliveBenchmarks
{
    private readonly Address16 _local = Address16.FromIPv4([198, 19, 0, 1]);
    private readonly Address16 _remote = Address16.FromIPv4([198, 19, 0, 2]);
    private readonly byte[] _buffer = new byte[KeepaliveCodec.PacketLength];
    private readonly byte[] _received = new byte[KeepaliveCodec.PacketLength];

    // Few-nanosecond operations: loop so the harness overhead does not swamp them (results are per packet).
    private const int PacketsPerInvoke = 256;

    [GlobalSetup]
    public void Setup()
    {
        if (!KeepaliveCodec.TryWrite(_received, 4, _local, _remote, out _))
        {
            throw new InvalidOperationException("setup: keepalive encoding failed");
        }
    }

    [Benchmark(Description = "Keepalive encode", OperationsPerInvoke = PacketsPerInvoke)]
    public int Encode()
    {
        int sum = 0;
        for (int i = 0; i < PacketsPerInvoke; i++)
        {
            KeepaliveCodec.TryWrite(_buffer, 4, _local, _remote, out int written);
            sum += written;
        }

        return sum;
    }

    [Benchmark(Description = "Keepalive decode", OperationsPerInvoke = PacketsPerInvoke)]
    public int Decode()
    {
        int sum = 0;
        for (int i = 0; i < PacketsPerInvoke; i++)
        {
            KeepaliveCodec.Decode(_received, out KeepaliveMessage message);
            sum += message.IpVersion;
        }

        return sum;
    }
}
