using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using MptFast.Engine.Wire;

namespace MptFast.Bench;

/// <summary>
/// The MAC of an authenticated probe (a 40-byte command part and a 64-byte trailer with two loss ranges, 120 bytes
/// signed): the platform's one-shot HMAC-SHA-256 (OpenSSL on Linux), which the datapath used, against
/// <see cref="HmacSha256"/> with the key's pads hashed once. Same message, same key, same run.
/// </summary>
[MemoryDiagnoser]
public class ProbeMacBenchmarks
{
    private readonly byte[] _message = new byte[KeepaliveCodec.CommandLength + ProbeCodec.Length(2)];
    private readonly byte[] _mac = new byte[HmacSha256.MacLength];
    private byte[] _key = [];
    private HmacSha256 _hmac = null!;

    [GlobalSetup]
    public void Setup()
    {
        new Random(7).NextBytes(_message);
        _key = ControlAuth.DeriveKey("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
        _hmac = new HmacSha256(_key);
        _hmac.Compute(_message, _mac);
        if (!HMACSHA256.HashData(_key, _message).AsSpan().SequenceEqual(_mac))
        {
            throw new InvalidOperationException("setup: the two MACs differ");
        }
    }

    [Benchmark(Baseline = true, Description = "HMACSHA256.HashData (platform, one-shot)")]
    public int Platform() => HMACSHA256.HashData(_key, _message, _mac);

    [Benchmark(Description = "HmacSha256.Compute (managed, pads precomputed)")]
    public byte Managed()
    {
        _hmac.Compute(_message, _mac);
        return _mac[0];
    }
}
