using System.Security.Cryptography;

namespace MptFast.Engine.Wire;

/// <summary>
/// HMAC-SHA-256 (RFC 2104) with a fixed key whose inner and outer pads are hashed once, at construction: a MAC then
/// costs the message's blocks and one block more (three compressions for a probe), where a one-shot HMAC hashes both
/// pads again each time. Immutable after construction: one instance may serve any number of threads.
/// </summary>
public sealed class HmacSha256
{
    /// <summary>Bytes of a full MAC.</summary>
    public const int MacLength = Sha256.DigestLength;

    private readonly uint[] _inner = new uint[Sha256.StateWords];
    private readonly uint[] _outer = new uint[Sha256.StateWords];

    /// <summary>A MAC for <paramref name="key"/> (any length; one longer than a block is hashed first, RFC 2104
    /// §2).</summary>
    public HmacSha256(ReadOnlySpan<byte> key)
    {
        Span<byte> block = stackalloc byte[Sha256.BlockLength];
        block.Clear();
        if (key.Length > Sha256.BlockLength)
        {
            Sha256.Hash(key, block);
        }
        else
        {
            key.CopyTo(block);
        }

        Pad(block, 0x36, _inner);
        Pad(block, 0x36 ^ 0x5c, _outer); // the block holds key ^ ipad now
        CryptographicOperations.ZeroMemory(block);
    }

    /// <summary>HMAC of <paramref name="message"/> into the first <see cref="MacLength"/> bytes of
    /// <paramref name="mac"/>. No allocation.</summary>
    public void Compute(ReadOnlySpan<byte> message, Span<byte> mac)
    {
        if (mac.Length < MacLength)
        {
            throw new ArgumentException($"an HMAC-SHA-256 needs {MacLength} bytes", nameof(mac));
        }

        Span<uint> state = stackalloc uint[Sha256.StateWords];
        Span<byte> inner = stackalloc byte[Sha256.DigestLength];
        _inner.CopyTo(state);
        Sha256.Finish(state, message, Sha256.BlockLength, inner);
        _outer.CopyTo(state);
        Sha256.Finish(state, inner, Sha256.BlockLength, mac);
    }

    private static void Pad(Span<byte> block, byte pad, uint[] state)
    {
        for (int i = 0; i < block.Length; i++)
        {
            block[i] ^= pad;
        }

        Sha256.Initial.CopyTo(state);
        Sha256.Compress(state, block);
    }
}
