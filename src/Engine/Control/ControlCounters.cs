using System.Text;
using MptFast.Engine.Control.Protocol;

namespace MptFast.Engine.Control;

/// <summary>
/// Control-plane counters for the status report (MPT-SPEC §9.7: rejected control messages are reported with the reason).
/// </summary>
/// <param name="Answered">Peer requests answered (including resends for retransmissions).</param>
/// <param name="KeepalivesAccepted">Keepalives accepted on the command port (§3.4).</param>
/// <param name="Rejected">Datagrams rejected, per reason (snake_case names, every reason listed).</param>
/// <param name="NotificationsAcknowledged">Path status notifications the peer acknowledged.</param>
/// <param name="NotificationsFailed">Path status notifications that failed (no answer, refused, no path).</param>
/// <param name="HandshakesActive">Handshakes of ours on the wire now.</param>
/// <param name="NotificationRetriesPending">Background retries of failed notifications waiting (B38).</param>
public sealed record ControlCounters(long Answered, long KeepalivesAccepted, IReadOnlyList<KeyValuePair<string, long>> Rejected,
    long NotificationsAcknowledged, long NotificationsFailed, int HandshakesActive, int NotificationRetriesPending)
{
    /// <summary>Sum of <see cref="Rejected"/>.</summary>
    public long RejectedTotal
    {
        get
        {
            long sum = 0;
            foreach (KeyValuePair<string, long> kv in Rejected)
            {
                sum += kv.Value;
            }

            return sum;
        }
    }

    /// <summary>Every rejection reason with its count.</summary>
    public static IReadOnlyList<KeyValuePair<string, long>> Rejections(Func<ResponderRejection, long> count)
    {
        ArgumentNullException.ThrowIfNull(count);
        var list = new List<KeyValuePair<string, long>>();
        foreach (ResponderRejection r in Enum.GetValues<ResponderRejection>())
        {
            if (r != ResponderRejection.None)
            {
                list.Add(new(Name(r), count(r)));
            }
        }

        return list;
    }

    /// <summary>The snake_case name of a rejection reason (status report keys, log lines).</summary>
    public static string Name(ResponderRejection reason)
    {
        string text = reason.ToString();
        var sb = new StringBuilder(text.Length + 4);
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsUpper(text[i]) && i > 0)
            {
                sb.Append('_');
            }

            sb.Append(char.ToLowerInvariant(text[i]));
        }

        return sb.ToString();
    }
}
