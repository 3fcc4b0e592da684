using BenchmarkDotNet.Attributes;
using MptFast.Engine.Wire;

namespace MptFast.Bench;

/// <summary>RFC 1071 ones' complement checksum: scalar vs Vector128 vs Vector256 (and the dispatching public API).</summary>
[MemoryDiagnoser]
public class ChecksumBenchmarks
{
    private byte[] _data = [];

    [Params(64, 1500, 65535)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // One byte in front: an odd start, as a GRE payload behind a 4-byte header in a packet buffer can be.
        _data = new byte[Length + 1];
        new Random(1071).NextBytes(_data);
    }

    [Benchmark(Baseline = true, Description = "Checksum scalar")]
    public ushort Scalar() => InternetChecksum.ComputeScalar(_data.AsSpan(1));

    [Benchmark(Description = "Checksum Vector128")]
    public ushort Vector128() => InternetChecksum.ComputeVector128(_data.AsSpan(1));

    [Benchmark(Description = "Checksum Vector256")]
    public ushort Vector256() => InternetChecksum.ComputeVector256(_data.AsSpan(1));

    [Benchmark(Description = "Checksum Compute (dispatch)")]
    public ushort Dispatch() => InternetChecksum.Compute(_data.AsSpan(1));
}
