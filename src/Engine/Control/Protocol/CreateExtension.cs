using System.Globalization;
using MptFast.Engine.Config;

namespace MptFast.Engine.Control.Protocol;

/// <summary>
/// The MptFast-to-MptFast extension of CONNECTION CREATE (issue 15), carried as one comment line at the end of the
/// round-3 text, which every parser — the original's too (MPT-SPEC §5.2) — skips:
/// <c>; mptfast-create: view-on-exists via_path=N</c>.
/// <list type="bullet">
/// <item><c>view-on-exists</c>: a create whose round 4 was lost (§4.7 step 5) is retried; a server that already created
/// the connection for this requester answers the retry with code 0 and the connection's text (the "view") instead of a
/// bare 5, so the client can still merge and bring its side up. An original client never sends the line and still
/// gets 5.</item>
/// <item><c>via_path=N</c>: the request travelled over the requester's path N, from that path's own address; the server
/// takes that path's peer address from the authenticated request's source (NAT) instead of <c>public_ipaddr</c>.</item>
/// <item><c>keepalive_msec=A,B,… dead_time_msec=C,D,…</c> (when the requester's paths use MptFast's millisecond liveness
/// keys, which the original's text has no place for): the created paths keep and expect keepalives at the requester's
/// pace, as the §4.7 table does with <c>keepalive_time</c> and <c>dead_time</c>. A server that does not know them
/// reads the line up to the path number.</item>
/// </list>
/// </summary>
public static class CreateExtension
{
    private const string Prefix = "; mptfast-create: view-on-exists via_path=";

    private const string KeepaliveKey = " keepalive_msec=";
    private const string DeadKey = " dead_time_msec=";

    /// <summary>The comment line for a request sent over path <paramref name="viaPath"/> (with its newline).</summary>
    public static string Line(int viaPath) => Prefix + viaPath.ToString(CultureInfo.InvariantCulture) + "\n";

    /// <summary>The comment line for <paramref name="c"/>'s request over path <paramref name="viaPath"/>: with every
    /// path's millisecond keepalive interval and dead time when any path configures them.</summary>
    public static string Line(int viaPath, ConnectionConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (!c.Paths.Any(p => p.KeepaliveMsec is not null || p.DeadTimeMsec is not null))
        {
            return Line(viaPath);
        }

        return Prefix + viaPath.ToString(CultureInfo.InvariantCulture)
            + KeepaliveKey + string.Join(',', c.Paths.Select(p => p.KeepaliveMs.ToString(CultureInfo.InvariantCulture)))
            + DeadKey + string.Join(',', c.Paths.Select(p => p.DeadMs.ToString(CultureInfo.InvariantCulture))) + "\n";
    }

    /// <summary>The millisecond keepalive intervals and dead times of the line in <paramref name="text"/>, one per path;
    /// false when the line has none, or they do not parse as two lists of <paramref name="paths"/> numbers in the keys'
    /// ranges (keepalive 0–255,000 ms, dead time 0–65,535,000 ms).</summary>
    public static bool TryReadTimings(string text, int paths, out int[] keepaliveMs, out int[] deadMs)
    {
        ArgumentNullException.ThrowIfNull(text);
        keepaliveMs = deadMs = [];
        int at = FindLine(text);
        if (at < 0)
        {
            return false;
        }

        int end = text.IndexOf('\n', at);
        string line = end < 0 ? text[at..] : text[at..end];
        return TryList(line, KeepaliveKey, paths, 255_000, out keepaliveMs) && TryList(line, DeadKey, paths, 65_535_000, out deadMs);
    }

    // Where the extension's line starts (a line of its own), or -1.
    private static int FindLine(string text)
    {
        int at = text.IndexOf(Prefix, StringComparison.Ordinal);
        return at < 0 || (at > 0 && text[at - 1] != '\n') ? -1 : at;
    }

    private static bool TryList(string line, string key, int count, int max, out int[] values)
    {
        values = [];
        int at = line.IndexOf(key, StringComparison.Ordinal);
        if (at < 0)
        {
            return false;
        }

        int start = at + key.Length;
        int stop = line.IndexOf(' ', start);
        string[] parts = (stop < 0 ? line[start..] : line[start..stop]).Split(',');
        if (parts.Length != count)
        {
            return false;
        }

        var parsed = new int[count];
        for (int i = 0; i < count; i++)
        {
            if (parts[i].Length is 0 or > 8 || !int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out parsed[i]) || parsed[i] > max)
            {
                return false;
            }
        }

        values = parsed;
        return true;
    }

    /// <summary>True when <paramref name="text"/> carries the line; <paramref name="viaPath"/> is its path index.</summary>
    public static bool TryRead(string text, out int viaPath)
    {
        ArgumentNullException.ThrowIfNull(text);
        viaPath = -1;
        int at = FindLine(text);
        if (at < 0)
        {
            return false;
        }

        int start = at + Prefix.Length;
        int end = start;
        while (end < text.Length && char.IsAsciiDigit(text[end]) && end - start < 3)
        {
            end++;
        }

        return end > start && int.TryParse(text.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out viaPath);
    }
}
