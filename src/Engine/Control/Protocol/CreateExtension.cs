using System.Globalization;

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
/// </list>
/// </summary>
public static class CreateExtension
{
    private const string Prefix = "; mptfast-create: view-on-exists via_path=";

    /// <summary>The comment line for a request sent over path <paramref name="viaPath"/> (with its newline).</summary>
    public static string Line(int viaPath) => Prefix + viaPath.ToString(CultureInfo.InvariantCulture) + "\n";

    /// <summary>True when <paramref name="text"/> carries the line; <paramref name="viaPath"/> is its path index.</summary>
    public static bool TryRead(string text, out int viaPath)
    {
        ArgumentNullException.ThrowIfNull(text);
        viaPath = -1;
        int at = text.IndexOf(Prefix, StringComparison.Ordinal);
        if (at < 0 || (at > 0 && text[at - 1] != '\n'))
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
