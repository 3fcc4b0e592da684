using System.Text;
using MptFast.Engine.Control.Protocol;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Control;

/// <summary>
/// Names of the control plane's counters in the status (MPT-SPEC §9.7: rejected control messages are reported with the
/// reason): every <see cref="ResponderRejection"/> under its snake_case name.
/// </summary>
public static class ControlCounters
{
    /// <summary>Every rejection reason with its count (<see cref="ResponderRejection.None"/> left out).</summary>
    public static CounterSnapshot Rejections(Func<ResponderRejection, long> count)
    {
        ArgumentNullException.ThrowIfNull(count);
        var list = new CounterSnapshot();
        foreach (ResponderRejection r in Enum.GetValues<ResponderRejection>())
        {
            if (r != ResponderRejection.None)
            {
                list.Add(Name(r), count(r));
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
