using BenchmarkDotNet.Attributes;
using MptFast.Engine.Wire;

namespace MptFast.Bench;

/// <summary>Control-message SHA-256 authentication (MPT-SPEC §4.4) on the 80-byte path-up message.</summary>
[MemoryDiagnoser]
public class ControlAuthBenchmarks
{
    // testvectors/ctrl-pathup-sha256-r1.hex: "mpt path up 198.18.2.1 198.18.2.2", round 1, auth type 2.
    private const string PathUpRound1 =
        "a2000224" + "00000000"
        + "f89f4bc5bbbf0fad0800b4ea917e75cce6bd07317d5373d7b24467ad5d014b60"
        + "01040000" + "00000000000000000000ffffc6130001" + "00000000000000000000ffffc6130002" + "20000000";

    // testvectors/README.md: the captures' auth_key (K = its first 32 characters as ASCII).
    private const string AuthKey = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";

    private byte[] _received = [];
    private byte[] _outgoing = [];
    private byte[] _key = [];

    [GlobalSetup]
    public void Setup()
    {
        _received = Convert.FromHexString(PathUpRound1);
        _outgoing = (byte[])_received.Clone();
        _key = ControlAuth.DeriveKey(AuthKey);
        if (ControlAuth.Verify(_received, ControlAuthType.Sha256, _key) != ControlAuthStatus.Ok)
        {
            throw new InvalidOperationException("setup: the test vector does not verify with its key");
        }
    }

    [Benchmark(Description = "Control SHA-256 sign (80 B)")]
    public bool Sign() => ControlAuth.Sign(_outgoing, _key);

    [Benchmark(Description = "Control SHA-256 verify (80 B)")]
    public ControlAuthStatus Verify() => ControlAuth.Verify(_received, ControlAuthType.Sha256, _key);
}
