using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Wire;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Wire;

public class ControlAuthTests
{
    public static TheoryData<string> SignedVectors => new(
        WireVectors.ControlVectors.Where(v => v.Auth == ControlAuthType.Sha256).Select(v => v.Name));

    [Fact]
    public void Key_is_the_first_32_characters_of_the_auth_key_as_ascii()
    {
        Assert.Equal(Encoding.ASCII.GetBytes("000102030405060708090A0B0C0D0E0F"), WireVectors.CaptureKey);
        Assert.Equal(Encoding.ASCII.GetBytes("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"), ControlAuth.DeriveKey(ConnectionConfig.DefaultAuthKey));
    }

    [Fact]
    public void Short_keys_are_zero_padded_to_32_bytes()
    {
        // B47 Required: zero padding (an original daemon's template key keeps default-key bytes instead).
        byte[] key = ControlAuth.DeriveKey("secret");
        Assert.Equal(32, key.Length);
        Assert.Equal("secret"u8.ToArray(), key[..6]);
        Assert.True(key.AsSpan(6).IndexOfAnyExcept((byte)0) < 0);
    }

    [Theory]
    [InlineData(ControlAuthType.None, 0, 0)]
    [InlineData(ControlAuthType.Random, 4, 0)]
    [InlineData(ControlAuthType.Sha256, 36, 32)]
    [InlineData((ControlAuthType)3, 0, 0)]
    [InlineData((ControlAuthType)0xFF, 0, 0)]
    public void Auth_and_key_sizes_follow_the_original(ControlAuthType type, int authSize, int keySize)
    {
        Assert.Equal(authSize, ControlAuth.AuthSize(type));
        Assert.Equal(keySize, ControlAuth.KeySize(type));
    }

    [Theory]
    [MemberData(nameof(SignedVectors))]
    public void Every_sha256_vector_verifies_with_the_capture_key(string name)
    {
        byte[] message = SharedFiles.LoadVector(name);
        byte[] copy = (byte[])message.Clone();

        Assert.Equal(ControlAuthStatus.Ok, ControlAuth.Verify(message, ControlAuthType.Sha256, WireVectors.CaptureKey));
        Assert.Equal(copy, message); // the input is not modified
        Assert.Equal(ControlAuthStatus.DigestMismatch, ControlAuth.Verify(message, ControlAuthType.Sha256, ControlAuth.DeriveKey(ConnectionConfig.DefaultAuthKey)));
    }

    [Theory]
    [MemberData(nameof(SignedVectors))]
    public void Flipping_any_single_byte_breaks_verification(string name)
    {
        byte[] message = SharedFiles.LoadVector(name);
        byte[] key = WireVectors.CaptureKey;
        for (int i = 0; i < message.Length; i++)
        {
            foreach (byte bit in new byte[] { 0x01, 0x80 })
            {
                message[i] ^= bit;
                Assert.True(ControlAuthStatus.DigestMismatch == ControlAuth.Verify(message, ControlAuthType.Sha256, key), $"{name}: byte {i} ^ {bit:x2}");
                message[i] ^= bit;
            }
        }

        Assert.Equal(ControlAuthStatus.Ok, ControlAuth.Verify(message, ControlAuthType.Sha256, key));
    }

    [Fact]
    public void Sign_reproduces_the_verified_vector_of_the_spec_with_the_default_key()
    {
        byte[] expected = SpecVector();
        Assert.Equal(80, expected.Length);
        byte[] key = ControlAuth.DeriveKey(ConnectionConfig.DefaultAuthKey);
        Assert.Equal(ControlAuthStatus.Ok, ControlAuth.Verify(expected, ControlAuthType.Sha256, key));

        var header = new ControlHeader
        {
            Command = ControlCommand.PathStatusChange,
            Parameter = 0x80,
            AuthType = ControlAuthType.Sha256,
            Round = 1,
            IpVersion = 4,
            LocalTunnel = Address16.FromIPv4([198, 18, 100, 1]),
            RemoteTunnel = Address16.FromIPv4([198, 18, 100, 2]),
        };
        byte[] message = new byte[80];
        Assert.Equal(ControlEncodeStatus.Ok, ControlCodec.EncodeAnnounce(message, header, 32, out int written));
        Assert.True(ControlAuth.Sign(message.AsSpan(0, written), key));
        Assert.Equal(expected, message);
    }

    [Fact]
    public void Sign_of_an_already_signed_message_gives_the_same_digest()
    {
        byte[] message = SharedFiles.LoadVector("ctrl-pathdown-sha256-r3");
        byte[] expected = (byte[])message.Clone();
        Assert.True(ControlAuth.Sign(message, WireVectors.CaptureKey));
        Assert.Equal(expected, message);
    }

    [Fact]
    public void Verify_rejects_short_messages_and_unknown_types_without_throwing()
    {
        byte[] key = WireVectors.CaptureKey;
        Assert.Equal(ControlAuthStatus.Truncated, ControlAuth.Verify(new byte[75], ControlAuthType.Sha256, key));
        Assert.Equal(ControlAuthStatus.Truncated, ControlAuth.Verify(new byte[43], ControlAuthType.Random, key));
        Assert.Equal(ControlAuthStatus.Truncated, ControlAuth.Verify(new byte[39], ControlAuthType.None, key));
        Assert.Equal(ControlAuthStatus.BadAuthType, ControlAuth.Verify(new byte[80], (ControlAuthType)3, key));
        Assert.Equal(ControlAuthStatus.Ok, ControlAuth.Verify(SharedFiles.LoadVector("ctrl-pathup-auth0-r1"), ControlAuthType.None, key));
        Assert.False(ControlAuth.Sign(new byte[75], key));
    }

    [Fact]
    public void Large_messages_hash_through_the_pooled_scratch_buffer()
    {
        byte[] key = WireVectors.CaptureKey;
        for (int seed = 0; seed < 20; seed++)
        {
            var random = new Random(seed);
            byte[] message = new byte[900 + random.Next(4000)];
            random.NextBytes(message);
            Assert.True(ControlAuth.Sign(message, key), $"seed {seed}");
            Assert.True(ControlAuth.Verify(message, ControlAuthType.Sha256, key) == ControlAuthStatus.Ok, $"seed {seed}");
            message[random.Next(40, message.Length)] ^= 0x10;
            Assert.True(ControlAuth.Verify(message, ControlAuthType.Sha256, key) == ControlAuthStatus.DigestMismatch, $"seed {seed}");
        }
    }

    [Fact]
    public void Token_is_stored_little_endian_at_bytes_4_to_7()
    {
        byte[] message = SharedFiles.LoadVector("ctrl-pathup-sha256-r3");
        Assert.Equal(0x03916509u, ControlAuth.ReadToken(message));
        byte[] buffer = new byte[8];
        ControlAuth.WriteToken(buffer, 0x03916509);
        Assert.Equal(new byte[] { 0x09, 0x65, 0x91, 0x03 }, buffer[4..]);
    }

    [Fact]
    public void Crypto_token_source_gives_nonzero_varying_tokens()
    {
        var seen = new HashSet<uint>();
        for (int i = 0; i < 64; i++)
        {
            uint token = CryptoControlTokenSource.Instance.NextToken();
            Assert.NotEqual(0u, token);
            seen.Add(token);
        }

        Assert.True(seen.Count > 60, $"only {seen.Count} distinct tokens out of 64");
    }

    /// <summary>The hex block after "Verified test vector" in MPT-SPEC §4.4 (read from the spec, not copied).</summary>
    private static byte[] SpecVector()
    {
        string[] lines = File.ReadAllLines(Path.Combine(SharedFiles.SharedRoot, "spec", "MPT-SPEC.md"));
        int at = Array.FindIndex(lines, l => l.StartsWith("Verified test vector", StringComparison.Ordinal));
        Assert.True(at >= 0, "spec vector not found");
        int open = Array.FindIndex(lines, at, l => l.StartsWith("```", StringComparison.Ordinal));
        var hex = new StringBuilder();
        for (int i = open + 1; !lines[i].StartsWith("```", StringComparison.Ordinal); i++)
        {
            hex.Append(lines[i].Replace(" ", "", StringComparison.Ordinal));
        }

        return Convert.FromHexString(hex.ToString());
    }
}
