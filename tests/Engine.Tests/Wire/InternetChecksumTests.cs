using System.Buffers.Binary;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Wire;

public class InternetChecksumTests
{
    private delegate ushort ChecksumFunction(ReadOnlySpan<byte> data);

    private static readonly (string Name, ChecksumFunction Compute)[] Implementations =
    [
        ("scalar", InternetChecksum.ComputeScalar),
        ("vector128", InternetChecksum.ComputeVector128),
        ("vector256", InternetChecksum.ComputeVector256),
        ("dispatch", InternetChecksum.Compute),
    ];

    [Fact]
    public void Rfc1071_numerical_example_sums_to_ddf2()
    {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 → sum dd f2, checksum 22 0d.
        byte[] data = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7];
        Assert.Equal(0xDDF2u, InternetChecksum.Sum(data, 0));
        AssertAll(data, 0x220D);
    }

    [Fact]
    public void Ipv4_header_example_gets_checksum_b861_and_then_verifies()
    {
        byte[] header = Convert.FromHexString("450000730000400040110000C0A80001C0A800C7");
        AssertAll(header, 0xB861);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), InternetChecksum.Compute(header));
        Assert.True(InternetChecksum.Verifies(header));
        AssertAll(header, 0x0000);
        header[3] ^= 0x01;
        Assert.False(InternetChecksum.Verifies(header));
    }

    [Fact]
    public void Odd_last_byte_is_the_high_order_byte_of_a_zero_padded_word()
    {
        Assert.Equal(0xAB00u, InternetChecksum.Sum([0xAB], 0));
        Assert.Equal(0x1334u, InternetChecksum.Sum([0x12, 0x34, 0x01], 0));
        AssertAll([0xAB], 0x54FF);
        AssertAll([], 0xFFFF);
    }

    [Theory]
    [InlineData(0xFFFF_FFFFu, 0xFFFF)]
    [InlineData(0x0001_FFFEu, 0xFFFF)]
    [InlineData(0x0001_0000u, 0x0001)]
    [InlineData(0x1234u, 0x1234)]
    [InlineData(0u, 0)]
    public void Fold_adds_the_carries_back_in(uint sum, int expected) =>
        Assert.Equal((ushort)expected, InternetChecksum.Fold(sum));

    [Fact]
    public void All_implementations_agree_with_the_reference_on_every_length_up_to_65535()
    {
        const int seed = 1071;
        const int maxLength = 65_535;
        const int maxStart = 64;
        var random = new Random(seed);
        byte[] buffer = new byte[maxLength + maxStart];
        random.NextBytes(buffer);
        var reference = new PrefixSums(buffer);

        for (int length = 0; length <= maxLength; length++)
        {
            int start = random.Next(maxStart); // unaligned starts, both word parities
            ReadOnlySpan<byte> data = buffer.AsSpan(start, length);
            ushort expected = (ushort)~FoldReference(reference.Sum(start, length));
            foreach ((string name, ChecksumFunction compute) in Implementations)
            {
                ushort actual = compute(data);
                if (actual != expected)
                {
                    Assert.Fail($"seed {seed}: {name} at start {start}, length {length}: 0x{actual:X4}, expected 0x{expected:X4}");
                }
            }
        }
    }

    [Fact]
    public void Prefix_sum_reference_matches_the_textbook_loop()
    {
        const int seed = 42;
        var random = new Random(seed);
        byte[] buffer = new byte[4096];
        random.NextBytes(buffer);
        var reference = new PrefixSums(buffer);
        for (int n = 0; n < 2000; n++)
        {
            int start = random.Next(buffer.Length);
            int length = random.Next(buffer.Length - start + 1);
            Assert.True(
                FoldReference(reference.Sum(start, length)) == FoldReference(TextbookSum(buffer.AsSpan(start, length))),
                $"seed {seed}: start {start}, length {length}");
        }
    }

    [Fact]
    public void Long_runs_of_ff_words_do_not_overflow_the_vector_lanes()
    {
        // 3 MiB of 0xFF: every lane saturates fastest; crosses the accumulator flush several times.
        byte[] ones = new byte[3 << 20];
        ones.AsSpan().Fill(0xFF);
        foreach (int length in new[] { 64, 1500, 65_535, 65_536, 1 << 20, (3 << 20) - 1, 3 << 20 })
        {
            ReadOnlySpan<byte> data = ones.AsSpan(0, length);

            // An even run of 0xFFFF words sums to 0xFFFF (checksum 0); an odd run adds a padded 0xFF00.
            ushort expected = (ushort)~FoldReference(TextbookSum(data));
            AssertAll(data, expected);
        }
    }

    [Fact]
    public void Random_buffers_beyond_64_kib_agree_with_the_reference()
    {
        const int seed = 8086;
        var random = new Random(seed);
        byte[] buffer = new byte[(2 << 20) + 64];
        random.NextBytes(buffer);
        for (int n = 0; n < 8; n++)
        {
            int start = random.Next(64);
            int length = random.Next(1 << 20, 2 << 20);
            ReadOnlySpan<byte> data = buffer.AsSpan(start, length);
            ushort expected = (ushort)~FoldReference(TextbookSum(data));
            foreach ((string name, ChecksumFunction compute) in Implementations)
            {
                Assert.True(compute(data) == expected, $"seed {seed}: {name}, start {start}, length {length}");
            }
        }
    }

    [Fact]
    public void Sum_chains_over_an_even_split_with_an_initial_pseudo_header_sum()
    {
        const int seed = 768;
        var random = new Random(seed);
        byte[] buffer = new byte[3000];
        for (int n = 0; n < 500; n++)
        {
            random.NextBytes(buffer);
            int length = random.Next(buffer.Length + 1);
            int split = random.Next(length + 1) & ~1;
            uint initial = (uint)random.NextInt64(0, 1L << 32);
            ReadOnlySpan<byte> whole = buffer.AsSpan(0, length);
            uint chained = InternetChecksum.Sum(whole[split..], InternetChecksum.Sum(whole[..split], initial));
            ulong expected = TextbookSum(whole) + initial;
            Assert.True(chained == FoldReference(expected), $"seed {seed}: length {length}, split {split}, initial {initial}");
            Assert.True(chained <= 0xFFFF, $"seed {seed}: a partial sum is folded to 16 bits");
        }
    }

    [Fact]
    public void Compute_and_verify_allocate_nothing()
    {
        byte[] packet = new byte[1500];
        new Random(5).NextBytes(packet);
        long checksum = RunMany(packet, 10); // warm-up: JIT and tiering
        long before = GC.GetAllocatedBytesForCurrentThread();
        checksum += RunMany(packet, 1000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.NotEqual(0, checksum);
    }

    private static long RunMany(byte[] packet, int iterations)
    {
        long sum = 0;
        for (int i = 0; i < iterations; i++)
        {
            sum += InternetChecksum.Compute(packet) + InternetChecksum.ComputeScalar(packet)
                + InternetChecksum.ComputeVector128(packet) + InternetChecksum.ComputeVector256(packet)
                + (InternetChecksum.Verifies(packet) ? 1 : 0);
        }

        return sum;
    }

    private static void AssertAll(ReadOnlySpan<byte> data, ushort expected)
    {
        foreach ((string name, ChecksumFunction compute) in Implementations)
        {
            ushort actual = compute(data);
            Assert.True(actual == expected, $"{name}, length {data.Length}: 0x{actual:X4}, expected 0x{expected:X4}");
        }
    }

    /// <summary>RFC 1071 §4.1 literally: big-endian words, odd byte padded, into a wide accumulator.</summary>
    private static ulong TextbookSum(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += (uint)((data[i] << 8) | data[i + 1]);
        }

        if (i < data.Length)
        {
            sum += (uint)data[i] << 8;
        }

        return sum;
    }

    private static ushort FoldReference(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }

    /// <summary>
    /// O(1) reference sum of any slice: for each word parity p, Prefix[p][m] = Σ big-endian words starting at
    /// j &lt; m with j ≡ p (mod 2). A slice [s, s+L) sums its words from s in steps of 2; an odd L adds its last
    /// byte as a padded high-order byte.
    /// </summary>
    private sealed class PrefixSums
    {
        private readonly byte[] _data;
        private readonly ulong[][] _prefix = [null!, null!];

        public PrefixSums(byte[] data)
        {
            _data = data;
            for (int parity = 0; parity < 2; parity++)
            {
                ulong[] prefix = new ulong[data.Length + 1];
                for (int j = 0; j < data.Length; j++)
                {
                    uint word = (j & 1) == parity ? (uint)((data[j] << 8) | (j + 1 < data.Length ? data[j + 1] : 0)) : 0;
                    prefix[j + 1] = prefix[j] + word;
                }

                _prefix[parity] = prefix;
            }
        }

        public ulong Sum(int start, int length)
        {
            ulong[] prefix = _prefix[start & 1];
            int wholeWordsEnd = start + (length & ~1);
            ulong sum = prefix[wholeWordsEnd] - prefix[start];
            if ((length & 1) != 0)
            {
                sum += (uint)_data[start + length - 1] << 8;
            }

            return sum;
        }
    }
}
