using MptFast.Engine.Wire;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Wire;

public class VectorCoverageTests
{
    [Fact]
    public void Every_shared_vector_is_in_exactly_one_wire_test_table()
    {
        string[] tabled = [.. WireVectors.DataVectors, .. WireVectors.KeepaliveVectors, .. WireVectors.ControlVectorNames, .. WireVectors.CliVectors];
        Assert.Equal(tabled.Length, tabled.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(SharedFiles.AllVectorNames().Order(StringComparer.Ordinal), tabled.Order(StringComparer.Ordinal));
        Assert.Equal(31, tabled.Length);
    }

    [Fact]
    public void Decoders_never_throw_on_random_bytes()
    {
        byte[] key = WireVectors.CaptureKey;
        for (int seed = 0; seed < 3000; seed++)
        {
            var random = new Random(seed);
            byte[] bytes = new byte[random.Next(0, 120)];
            random.NextBytes(bytes);
            if (bytes.Length > 0 && random.Next(2) == 0)
            {
                bytes[0] = (byte)(0xA1 + random.Next(5));
            }

            Assert.True(Enum.IsDefined(KeepaliveCodec.DecodeCommand(bytes, out _)), $"seed {seed}");
            Assert.True(Enum.IsDefined(KeepaliveCodec.Decode(bytes, out _)), $"seed {seed}");
            Assert.True(Enum.IsDefined(CliCodec.DecodeRequest(bytes, out _)), $"seed {seed}");
            Assert.True(Enum.IsDefined(CliCodec.DecodeReply(bytes, out _, out _)), $"seed {seed}");
            Assert.True(Enum.IsDefined(ControlAuth.Verify(bytes, (ControlAuthType)random.Next(4), key)), $"seed {seed}");
        }
    }
}
