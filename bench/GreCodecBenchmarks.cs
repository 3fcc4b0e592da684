using BenchmarkDotNet.Attributes;
using MptFast.Engine.Wire;

namespace MptFast.Bench;

/// <summary>GRE-in-UDP data path (MPT-SPEC §2.2–§2.6) on a 1400-byte IPv4 inner packet.</summary>
[MemoryDiagnoser]
public class GreCodecBenchmarks
{
    private const int InnerLength = 1400;
    private const int Headroom = GreCodec.MaxEncodedHeaderLength;

    // Sub-nanosecond operations: loop so the harness overhead does not swamp them (results are per packet).
    private const int PacketsPerInvoke = 256;
    private byte[] _buffer = [];
    private byte[] _datagramWithSequence = [];
    private uint _sequence;

    [GlobalSetup]
    public void Setup()
    {
        _buffer = new byte[Headroom + InnerLength];
        BenchPackets.Ipv4Tcp(InnerLength).CopyTo(_buffer, Headroom);
        _datagramWithSequence = new byte[Headroom + InnerLength];
        BenchPackets.Ipv4Tcp(InnerLength).CopyTo(_datagramWithSequence, Headroom);
        if (GreCodec.Encapsulate(_datagramWithSequence, Headroom, InnerLength, true, 7, out int start) != GreEncodeStatus.Ok || start != 0)
        {
            throw new InvalidOperationException("setup: encapsulation failed");
        }
    }

    [Benchmark(Description = "GRE encapsulate, no sequence", OperationsPerInvoke = PacketsPerInvoke)]
    public int EncapsulateWithoutSequence()
    {
        byte[] buffer = _buffer;
        int sum = 0;
        for (int i = 0; i < PacketsPerInvoke; i++)
        {
            GreCodec.Encapsulate(buffer, Headroom, InnerLength, false, 0, out int start);
            sum += start;
        }

        return sum;
    }

    [Benchmark(Description = "GRE encapsulate, with sequence", OperationsPerInvoke = PacketsPerInvoke)]
    public int EncapsulateWithSequence()
    {
        byte[] buffer = _buffer;
        uint sequence = _sequence;
        int sum = 0;
        for (int i = 0; i < PacketsPerInvoke; i++)
        {
            GreCodec.Encapsulate(buffer, Headroom, InnerLength, true, ++sequence, out int start);
            sum += start;
        }

        _sequence = sequence;
        return sum;
    }

    [Benchmark(Description = "GRE decode (S bit, IPv4 data)", OperationsPerInvoke = PacketsPerInvoke)]
    public uint Decode()
    {
        byte[] datagram = _datagramWithSequence;
        uint sum = 0;
        for (int i = 0; i < PacketsPerInvoke; i++)
        {
            GreCodec.Decode(datagram, out GreFrame frame);
            sum += frame.Sequence;
        }

        return sum;
    }
}
