using MptFast.Engine.Wire;

namespace MptFast.Engine.Control.Protocol;

/// <summary>
/// Issue 14 item 6: handshake requests (rounds 1 and 3) per source address, a token bucket each — so a flood from one
/// address (or a spoofer of it) costs no digest work and no session beyond the bucket. Generous enough for what a
/// client legitimately sends: a create with all its resends (2 × 6), its path announcements, and many clients behind
/// one NAT address starting at once (<see cref="Burst"/>). The table is bounded (<see cref="MaxSources"/>): when full,
/// sources whose bucket refilled are forgotten first, and a new source finds no room only while every tracked source
/// is still busy. Pure (times in ms passed in); control thread.
/// </summary>
public sealed class HandshakeRateLimiter
{
    /// <summary>Requests one source may send at once.</summary>
    public const int Burst = 400;

    /// <summary>Requests per second a source regains.</summary>
    public const int PerSecond = 200;

    /// <summary>Sources tracked at most.</summary>
    public const int MaxSources = 4096;

    private readonly Dictionary<Address16, Bucket> _buckets = [];

    /// <summary>Sources tracked.</summary>
    public int Count => _buckets.Count;

    /// <summary>Takes one request of <paramref name="source"/> at <paramref name="now"/> (ms); false = over its rate.</summary>
    public bool TryTake(Address16 source, long now)
    {
        if (!_buckets.TryGetValue(source, out Bucket b))
        {
            if (_buckets.Count >= MaxSources && !ForgetIdle(now))
            {
                return false;
            }

            b = new Bucket(Burst, now);
        }

        double tokens = Math.Min(Burst, b.Tokens + ((now - b.At) * PerSecond / 1000.0));
        if (tokens < 1)
        {
            _buckets[source] = new Bucket(tokens, now);
            return false;
        }

        _buckets[source] = new Bucket(tokens - 1, now);
        return true;
    }

    // Drops the sources whose bucket is full again (they sent nothing lately); true when room was made.
    private bool ForgetIdle(long now)
    {
        foreach (KeyValuePair<Address16, Bucket> kv in _buckets)
        {
            if (kv.Value.Tokens + ((now - kv.Value.At) * PerSecond / 1000.0) >= Burst)
            {
                _buckets.Remove(kv.Key);
            }
        }

        return _buckets.Count < MaxSources;
    }

    private readonly record struct Bucket(double Tokens, long At);
}
