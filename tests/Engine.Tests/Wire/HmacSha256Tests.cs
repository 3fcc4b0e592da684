using System.Security.Cryptography;
using MptFast.Engine.Wire;

namespace MptFast.Engine.Tests.Wire;

public class HmacSha256Tests
{
    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData(
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    public void Sha256_gives_the_fips_180_examples(string message, string digest)
    {
        byte[] actual = new byte[Sha256.DigestLength];
        Sha256.Hash(System.Text.Encoding.ASCII.GetBytes(message), actual);
        Assert.Equal(digest, Convert.ToHexStringLower(actual));
    }

    [Fact]
    public void The_round_constants_are_the_cube_roots_of_the_first_64_primes()
    {
        int found = 0;
        for (int n = 2; found < 64; n++)
        {
            bool prime = true;
            for (int d = 2; d * d <= n; d++)
            {
                prime &= n % d != 0;
            }

            if (!prime)
            {
                continue;
            }

            double root = Math.Cbrt(n);
            uint expected = (uint)((root - Math.Floor(root)) * 4294967296.0);
            Assert.Equal(expected, Sha256.K[found]);
            found++;
        }
    }

    // RFC 4231 §4.2–4.7 (cases 1–4 and 6; case 5 is a truncated MAC).
    [Theory]
    [InlineData("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")]
    [InlineData("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe")]
    [InlineData("0102030405060708090a0b0c0d0e0f10111213141516171819",
        "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65"
        + "204b6579202d2048617368204b6579204669727374",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")]
    public void Hmac_gives_the_rfc_4231_results(string key, string data, string mac)
    {
        byte[] actual = new byte[HmacSha256.MacLength];
        new HmacSha256(Convert.FromHexString(key)).Compute(Convert.FromHexString(data), actual);
        Assert.Equal(mac, Convert.ToHexStringLower(actual));
    }

    [Fact]
    public void Hmac_agrees_with_the_platform_at_every_length_around_the_block_boundaries()
    {
        // Every message length from 0 to 300 bytes (tails of 0–63 bytes, one and two padding blocks) and key lengths
        // below, at and above a block, with seeded random contents.
        var random = new Random(4231);
        foreach (int keyLength in new[] { 0, 1, 32, 63, 64, 65, 200 })
        {
            byte[] key = new byte[keyLength];
            random.NextBytes(key);
            var mac = new HmacSha256(key);
            for (int length = 0; length <= 300; length++)
            {
                byte[] message = new byte[length];
                random.NextBytes(message);
                byte[] actual = new byte[HmacSha256.MacLength];
                mac.Compute(message, actual);
                Assert.Equal(HMACSHA256.HashData(key, message), actual);

                byte[] digest = new byte[Sha256.DigestLength];
                Sha256.Hash(message, digest);
                Assert.Equal(SHA256.HashData(message), digest);
            }
        }
    }

    [Fact]
    public void Computing_a_mac_allocates_nothing_and_leaves_the_key_state_unchanged()
    {
        var mac = new HmacSha256(ControlAuth.DeriveKey("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"));
        byte[] message = new byte[120];
        byte[] first = new byte[HmacSha256.MacLength];
        byte[] again = new byte[HmacSha256.MacLength];
        mac.Compute(message, first); // warm-up: JIT, tiering, statics

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            mac.Compute(message, again);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(first, again);
    }

    [Fact]
    public void A_destination_shorter_than_the_mac_is_refused()
    {
        var mac = new HmacSha256([1, 2, 3]);
        Assert.Throws<ArgumentException>(() => mac.Compute([], new byte[HmacSha256.MacLength - 1]));
    }
}
