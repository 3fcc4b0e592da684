using System.Buffers.Binary;
using System.Security.Cryptography;

namespace MptFast.Engine.Wire;

/// <summary>Where a responder's round-2 token comes from (MPT-SPEC §4.4); injectable so tests can replay captures.</summary>
public interface IControlTokenSource
{
    /// <summary>The next token to place in bytes 4..7 of a round-2 reply.</summary>
    uint NextToken();
}

/// <summary>Tokens from the OS CSPRNG (B45: the original's <c>srand(time(NULL)); rand()</c> is predictable). Never 0.</summary>
public sealed class CryptoControlTokenSource : IControlTokenSource
{
    /// <summary>Shared instance (stateless, thread-safe).</summary>
    public static CryptoControlTokenSource Instance { get; } = new();

    /// <inheritdoc/>
    public uint NextToken()
    {
        // 0 is what an initiator's round 1 carries; a fresh token should never look like "no token yet".
        Span<byte> bytes = stackalloc byte[4];
        uint token;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            token = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        }
        while (token == 0);

        return token;
    }
}
