using BenchmarkDotNet.Attributes;
using MptFast.Engine.Wire;

namespace MptFast.Bench;

/// <summary>GRE-in-UDP data path (MPT-SPEC §2.2–§2.6) on a 1400-byte IPv4 inner packet.</summary>
[MemoryDiagnoser]
public class GreCodecBenchmarks
{
    private const int InnerLength = 1400;
    private const int Headroom = GreCodec.MaxEncodedHeaderLength;
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

    [Benchmark(Description = "GRE encapsulate, no sequence")]
    public int EncapsulateWithoutSequence()
    {
        GreCodec.Encapsulate(_buffer, Headroom, InnerLength, false, 0, out int start);
        return start;
    }

    [Benchmark(Description = "GRE encapsulate, with sequence")]
    public int EncapsulateWithSequence()
    {
        GreCodec.Encapsulate(_buffer, Headroom, InnerLength, true, ++_sequence, out int start);
        return start;
    }

    [Benchmark(Description = "GRE decode (S bit, IPv4 data)")]
    public uint Decode()
    {
        GreCodec.Decode(_datagramWithSequence, out GreFrame frame);
        return frame.Sequence;
    }
}
