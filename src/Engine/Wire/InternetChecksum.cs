using System.Buffers.Binary;

namespace MptFast.Engine.Wire;

/// <summary>The ones' complement sum of RFC 1071, as used by the GRE checksum (RFC 2784).</summary>
public static class InternetChecksum
{
    /// <summary>Ones' complement of the ones' complement sum of <paramref name="data"/> (odd length padded with a zero byte).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => (ushort)~Fold(Sum(data));

    /// <summary>True when a region that contains its own checksum field sums to 0xFFFF.</summary>
    public static bool Verifies(ReadOnlySpan<byte> data) => Fold(Sum(data)) == 0xFFFF;

    private static ulong Sum(ReadOnlySpan<byte> data)
    {
        // 32-bit words into a 64-bit accumulator: no carry is lost for any datagram size.
        ulong sum = 0;
        int i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
        }

        for (; i + 2 <= data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }

        return sum;
    }

    private static ushort Fold(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }
}
