namespace MptFast.Fuzz;

/// <summary>One fuzz target: runs the code under test on <paramref name="data"/> and checks its invariants, throwing
/// <see cref="FuzzInvariantException"/> when one is broken. Any other exception is a crash of the code under test.</summary>
internal delegate void FuzzTarget(ReadOnlySpan<byte> data);

/// <summary>Every fuzz target by name (issue 14 item 1): one per parser an outsider can reach, plus the reorder buffer the
/// GRE sequence numbers drive. scripts/fuzz.sh and the corpus replay test use these names.</summary>
internal static class FuzzTargets
{
    /// <summary>Name → target, in the order fuzz/README.md lists them.</summary>
    public static readonly IReadOnlyList<(string Name, FuzzTarget Run)> All =
    [
        ("gre", GreTarget.Run),
        ("keepalive", KeepaliveTarget.Run),
        ("control", ControlTarget.Run),
        ("config", ConfigTarget.Run),
        ("cli", CliTarget.Run),
        ("coalesce", CoalesceTarget.Run),
        ("segment", SegmentTarget.Run),
        ("reorder", ReorderTarget.Run),
        ("receive", ReceiveTarget.Run),
    ];

    /// <summary>The target called <paramref name="name"/>, or null.</summary>
    public static FuzzTarget? Find(string name)
    {
        foreach ((string n, FuzzTarget run) in All)
        {
            if (n == name)
            {
                return run;
            }
        }

        return null;
    }
}

/// <summary>An invariant of the code under test does not hold for a fuzz input: a bug (or a wrong invariant).</summary>
internal sealed class FuzzInvariantException(string message) : Exception(message);

/// <summary>Invariant checks shared by the targets.</summary>
internal static class Fuzz
{
    /// <summary>Throws <see cref="FuzzInvariantException"/> with <paramref name="what"/> unless <paramref name="condition"/>.</summary>
    public static void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzInvariantException(what);
        }
    }

    /// <summary>RFC 1071 ones' complement sum folded to 16 bits, written here from the definition (not the engine's
    /// vectorised <c>InternetChecksum</c>), so a checksum bug in the engine cannot hide behind itself.</summary>
    public static ushort OnesSum(ReadOnlySpan<byte> data, uint initial = 0)
    {
        ulong sum = initial;
        for (int i = 0; i < data.Length; i += 2)
        {
            sum += (uint)(data[i] << 8) | (i + 1 < data.Length ? data[i + 1] : 0u);
        }

        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }

    /// <summary>True when the ones' complement sum over <paramref name="data"/> (checksum field included) is 0xFFFF.</summary>
    public static bool ChecksumVerifies(ReadOnlySpan<byte> data, uint initial = 0) => OnesSum(data, initial) == 0xFFFF;

    /// <summary>The TCP pseudo-header sum (unfolded) of an IPv4/IPv6 packet with <paramref name="tcpLength"/> bytes of TCP.</summary>
    public static uint PseudoHeaderSum(ReadOnlySpan<byte> packet, bool ipv6, int tcpLength)
    {
        ReadOnlySpan<byte> addresses = ipv6 ? packet.Slice(8, 32) : packet.Slice(12, 8);
        uint sum = 0;
        for (int i = 0; i < addresses.Length; i += 2)
        {
            sum += (uint)((addresses[i] << 8) | addresses[i + 1]);
        }

        return sum + 6 + (uint)(tcpLength & 0xFFFF) + (uint)(tcpLength >> 16);
    }
}

/// <summary>Reads structured fuzz input byte by byte; past the end every read is 0, so any input is a valid program.</summary>
internal ref struct FuzzReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _at;

    public readonly bool AtEnd => _at >= _data.Length;

    public readonly int Remaining => Math.Max(0, _data.Length - _at);

    public byte Byte() => _at < _data.Length ? _data[_at++] : (byte)0;

    public ushort UInt16() => (ushort)((Byte() << 8) | Byte());

    public uint UInt32() => ((uint)UInt16() << 16) | UInt16();

    /// <summary>The next <paramref name="count"/> bytes (fewer at the end).</summary>
    public ReadOnlySpan<byte> Bytes(int count)
    {
        int n = Math.Min(count, Remaining);
        ReadOnlySpan<byte> s = _data.Slice(_at, n);
        _at += n;
        return s;
    }

    /// <summary>Everything left.</summary>
    public ReadOnlySpan<byte> Rest() => Bytes(Remaining);
}

/// <summary>How often the targets reached their deep checks (the replay test asserts the seeds get there).</summary>
internal static class FuzzReach
{
    public static long GreAccepted;
    public static long KeepalivesAccepted;
    public static long ControlReplies;
    public static long CreatesExecuted;
    public static long ConfigsRoundTripped;
    public static long CliCommandsAccepted;
    public static long SuperPackets;
    public static long SegmentedPackets;
    public static long ReorderHeld;
    public static long ReceivedWritten;
}
