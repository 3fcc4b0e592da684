using System.Buffers.Binary;
using System.Numerics;

namespace MptFast.Engine.Wire;

/// <summary>
/// SHA-256 (FIPS 180-4) in managed code, for <see cref="HmacSha256"/>: the datapath signs and checks a probe every
/// 20 ms per path, and through the platform's crypto library (OpenSSL) each HMAC cost a digest lookup, an allocation
/// and a context — 7 % of the machine's CPU with a hundred clients on one host (issue 15, star profile). Here a hash
/// is the compression function over the caller's spans: no allocation, no native call, no shared state.
/// </summary>
internal static class Sha256
{
    /// <summary>Bytes of a digest.</summary>
    public const int DigestLength = 32;

    /// <summary>Bytes of one message block.</summary>
    public const int BlockLength = 64;

    /// <summary>Words of the chaining state.</summary>
    public const int StateWords = 8;

    /// <summary>The initial hash value H(0) (FIPS 180-4 §5.3.3).</summary>
    public static ReadOnlySpan<uint> Initial =>
    [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ];

    /// <summary>The round constants K (§4.2.2): the first 32 bits of the fractional parts of the cube roots of the
    /// first 64 primes (a test derives them).</summary>
    internal static ReadOnlySpan<uint> K =>
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    /// <summary>SHA-256 of <paramref name="data"/> into the first <see cref="DigestLength"/> bytes of
    /// <paramref name="digest"/>.</summary>
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> digest)
    {
        Span<uint> state = stackalloc uint[StateWords];
        Initial.CopyTo(state);
        Finish(state, data, 0, digest);
    }

    /// <summary>
    /// Hashes <paramref name="data"/> onward from <paramref name="state"/>, which has already taken
    /// <paramref name="prefixBytes"/> bytes (a multiple of <see cref="BlockLength"/>), pads the message and writes the
    /// digest. <paramref name="state"/> is used up.
    /// </summary>
    public static void Finish(Span<uint> state, ReadOnlySpan<byte> data, long prefixBytes, Span<byte> digest)
    {
        if (digest.Length < DigestLength)
        {
            throw new ArgumentException($"a SHA-256 digest needs {DigestLength} bytes", nameof(digest));
        }

        long bits = (prefixBytes + data.Length) * 8;
        int whole = data.Length & ~(BlockLength - 1);
        for (int offset = 0; offset < whole; offset += BlockLength)
        {
            Compress(state, data.Slice(offset, BlockLength));
        }

        // The tail, 0x80, zeros and the message length in bits (big-endian) fill one block, or two when the tail
        // leaves fewer than 9 bytes.
        Span<byte> last = stackalloc byte[2 * BlockLength];
        last.Clear();
        ReadOnlySpan<byte> tail = data[whole..];
        tail.CopyTo(last);
        last[tail.Length] = 0x80;
        int blocks = tail.Length + 9 <= BlockLength ? 1 : 2;
        BinaryPrimitives.WriteInt64BigEndian(last[((blocks * BlockLength) - 8)..], bits);
        Compress(state, last[..BlockLength]);
        if (blocks == 2)
        {
            Compress(state, last[BlockLength..]);
        }

        for (int i = 0; i < StateWords; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(digest[(4 * i)..], state[i]);
        }
    }

    /// <summary>The compression function (§6.2.2) over one <see cref="BlockLength"/>-byte block.</summary>
    public static void Compress(Span<uint> state, ReadOnlySpan<byte> block)
    {
        Span<uint> w = stackalloc uint[64];
        for (int t = 0; t < 16; t++)
        {
            w[t] = BinaryPrimitives.ReadUInt32BigEndian(block[(4 * t)..]);
        }

        for (int t = 16; t < 64; t++)
        {
            uint w15 = w[t - 15];
            uint w2 = w[t - 2];
            uint s0 = BitOperations.RotateRight(w15, 7) ^ BitOperations.RotateRight(w15, 18) ^ (w15 >> 3);
            uint s1 = BitOperations.RotateRight(w2, 17) ^ BitOperations.RotateRight(w2, 19) ^ (w2 >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }

        uint a = state[0], b = state[1], c = state[2], d = state[3];
        uint e = state[4], f = state[5], g = state[6], h = state[7];
        ReadOnlySpan<uint> k = K;
        for (int t = 0; t < 64; t++)
        {
            uint sum1 = BitOperations.RotateRight(e, 6) ^ BitOperations.RotateRight(e, 11)
                ^ BitOperations.RotateRight(e, 25);
            uint choose = (e & f) ^ (~e & g);
            uint t1 = h + sum1 + choose + k[t] + w[t];
            uint sum0 = BitOperations.RotateRight(a, 2) ^ BitOperations.RotateRight(a, 13)
                ^ BitOperations.RotateRight(a, 22);
            uint majority = (a & b) ^ (a & c) ^ (b & c);
            uint t2 = sum0 + majority;
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }

        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
    }
}
