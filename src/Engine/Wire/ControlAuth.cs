using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace MptFast.Engine.Wire;

/// <summary>
/// Control-message authentication exactly as the original computes it (MPT-SPEC §4.4, B46 kept for
/// compatibility): token at bytes 4..7, and for type 2 digest = SHA-256(message with bytes 8..39 zeroed ‖ K).
/// </summary>
public static class ControlAuth
{
    /// <summary>Length of the key bytes K for SHA-256.</summary>
    public const int KeyLength = 32;

    /// <summary>Length of the digest at bytes 8..39.</summary>
    public const int DigestLength = 32;

    /// <summary>Offset of the token.</summary>
    public const int TokenOffset = 4;

    /// <summary>Offset of the digest.</summary>
    public const int DigestOffset = 8;

    // Messages up to this size are hashed from a stack scratch buffer; bigger ones (create text) from the pool.
    private const int StackScratchLimit = 1024;

    /// <summary>Auth block length sh (authSize): 0 → 0, 1 → 4, 2 → 36, anything else → 0.</summary>
    public static int AuthSize(ControlAuthType type) => type switch
    {
        ControlAuthType.Random => 4,
        ControlAuthType.Sha256 => 36,
        _ => 0,
    };

    /// <summary>Key bytes used (keySize): 32 for SHA-256, else 0.</summary>
    public static int KeySize(ControlAuthType type) => type == ControlAuthType.Sha256 ? KeyLength : 0;

    /// <summary>
    /// K from an <c>auth_key</c> string (B47 Required): its first 32 bytes as text (not hex-decoded),
    /// zero-padded to 32. Original daemons differ for template keys shorter than 32 characters.
    /// </summary>
    public static void DeriveKey(ReadOnlySpan<char> authKey, Span<byte> key)
    {
        if (key.Length != KeyLength)
        {
            WireThrow.KeyLength(nameof(key));
        }

        key.Clear();
        Span<byte> utf8 = stackalloc byte[KeyLength * 4];
        ReadOnlySpan<char> head = authKey.Length > KeyLength ? authKey[..KeyLength] : authKey;
        int n = Encoding.UTF8.GetBytes(head, utf8);
        utf8[..Math.Min(n, KeyLength)].CopyTo(key);
    }

    /// <summary>K from an <c>auth_key</c> string as a new 32-byte array (connection setup, not the datapath).</summary>
    public static byte[] DeriveKey(string authKey)
    {
        ArgumentNullException.ThrowIfNull(authKey);
        byte[] key = new byte[KeyLength];
        DeriveKey(authKey.AsSpan(), key);
        return key;
    }

    /// <summary>Reads the token (bytes 4..7, host order = little-endian).</summary>
    public static uint ReadToken(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt32LittleEndian(message[TokenOffset..]);

    /// <summary>Writes the token (bytes 4..7, little-endian). The digest, if any, must be recomputed afterwards.</summary>
    public static void WriteToken(Span<byte> message, uint token) => BinaryPrimitives.WriteUInt32LittleEndian(message[TokenOffset..], token);

    /// <summary>
    /// Applies authentication to an encoded message: nothing for types 0 and 1 (the token was written by the
    /// encoder), the SHA-256 digest for type 2. Returns false when the message is too short or the type unknown.
    /// </summary>
    public static bool Apply(Span<byte> message, ControlAuthType type, ReadOnlySpan<byte> key) => type switch
    {
        ControlAuthType.None or ControlAuthType.Random => message.Length >= AuthSize(type) + ControlCodec.FixedHeaderLength,
        ControlAuthType.Sha256 => Sign(message, key),
        _ => false,
    };

    /// <summary>Writes SHA-256(message with bytes 8..39 zeroed ‖ K) to bytes 8..39. False when shorter than 76 bytes.</summary>
    public static bool Sign(Span<byte> message, ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
        {
            WireThrow.KeyLength(nameof(key));
        }

        if (message.Length < AuthSize(ControlAuthType.Sha256) + ControlCodec.FixedHeaderLength)
        {
            return false;
        }

        Span<byte> digest = message.Slice(DigestOffset, DigestLength);
        digest.Clear();
        ComputeDigest(message, key, digest);
        return true;
    }

    /// <summary>
    /// Verifies a received message with the given auth type: types 0 and 1 only check the length (tokens are
    /// checked by the handshake), type 2 recomputes the digest over a copy (the input is not modified) and
    /// compares in constant time.
    /// </summary>
    public static ControlAuthStatus Verify(ReadOnlySpan<byte> message, ControlAuthType type, ReadOnlySpan<byte> key)
    {
        if ((byte)type > (byte)ControlAuthType.Sha256)
        {
            return ControlAuthStatus.BadAuthType;
        }

        if (message.Length < AuthSize(type) + ControlCodec.FixedHeaderLength)
        {
            return ControlAuthStatus.Truncated;
        }

        if (type != ControlAuthType.Sha256)
        {
            return ControlAuthStatus.Ok;
        }

        if (key.Length != KeyLength)
        {
            WireThrow.KeyLength(nameof(key));
        }

        Span<byte> expected = stackalloc byte[DigestLength];
        ComputeDigest(message, key, expected);
        return CryptographicOperations.FixedTimeEquals(expected, message.Slice(DigestOffset, DigestLength))
            ? ControlAuthStatus.Ok
            : ControlAuthStatus.DigestMismatch;
    }

    /// <summary>SHA-256(message' ‖ K) where message' has bytes 8..39 zeroed; hashes a scratch copy.</summary>
    private static void ComputeDigest(ReadOnlySpan<byte> message, ReadOnlySpan<byte> key, Span<byte> digest)
    {
        int total = message.Length + KeyLength;
        byte[]? rented = null;
        Span<byte> scratch = total <= StackScratchLimit
            ? stackalloc byte[StackScratchLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(total));
        try
        {
            scratch = scratch[..total];
            message.CopyTo(scratch);
            scratch.Slice(DigestOffset, DigestLength).Clear();
            key.CopyTo(scratch[message.Length..]);
            SHA256.HashData(scratch, digest);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
            }
        }
    }
}
