using System.Globalization;
using System.Text;

namespace MptFast.Engine.Status;

/// <summary>
/// <c>mptfast status --watch</c> (<c>mptfast top</c>): one screen per second, 80 columns, of every connection and path
/// — status, rates each way in Mbit/s and packets/s (taken from two <see cref="StatusSample"/>s), keepalive age,
/// drops per second, the reorder buffer's holds, and RTT and loss where the daemon measures them. A path that is not
/// up says DOWN and why in capitals, and its line is flagged (<see cref="Line.Alert"/>) for the terminal to highlight.
/// </summary>
public static class LiveView
{
    /// <summary>The width the view fits.</summary>
    public const int Width = 80;

    /// <summary>One line of the screen; <see cref="Alert"/> lines are shown highlighted (a path not up).</summary>
    public readonly record struct Line(string Text, bool Alert = false);

    // The columns of a path line: index and interface, status, rates out and in, keepalive age, drops (80 in all).
    private static readonly string Header =
        $"{"PATH",-11} {"STATUS",-14} {"TX Mbit/s",10} {"pkt/s",7} {"RX Mbit/s",10} {"pkt/s",7} {"KA age",7} {"drops/s",7}";

    /// <summary>The screen for <paramref name="current"/>; rates against <paramref name="previous"/> taken
    /// <paramref name="elapsed"/> earlier (null on the first screen: rates show as "-").</summary>
    public static IReadOnlyList<Line> Render(StatusSample? previous, StatusSample current, TimeSpan elapsed, DateTime localTime)
    {
        ArgumentNullException.ThrowIfNull(current);
        double seconds = elapsed.TotalSeconds;
        int paths = current.Connections.Sum(c => c.Paths.Count);
        int up = current.Connections.Sum(c => c.Paths.Count(p => p.Status == 0));
        var lines = new List<Line>
        {
            new(Fit($"mptfast {current.Tunnel}  up {Uptime(current.UptimeSeconds)}  {current.Connections.Count} connection(s)  {up}/{paths} paths up",
                localTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture))),
            new(""),
            new(Header),
        };
        foreach (ConnectionSample c in current.Connections)
        {
            ConnectionSample? before = previous?.Connections.FirstOrDefault(o => o.File == c.File);
            lines.Add(new Line(Clip(c.File + " (" + c.Name + ")" + Reorder(before, c, seconds))));
            foreach (PathSample p in c.Paths)
            {
                PathSample? last = before?.Paths.FirstOrDefault(o => o.Index == p.Index);
                double? Rate(string name) => last is null || seconds <= 0 ? null : (Value(p.Values, name) - Value(last.Values, name)) / seconds;
                double? drops = last is null || seconds <= 0 ? null : (p.Drops - last.Drops) / seconds;
                string text = string.Create(CultureInfo.InvariantCulture,
                    $"{p.Index,2} {Clip(p.Interface, 8),-8} {Status(p),-14} {Mbit(Rate("tx_bytes")),10} {Count(Rate("tx_packets")),7} {Mbit(Rate("rx_bytes")),10} {Count(Rate("rx_packets")),7} {Age(p.KeepaliveAgeMs),7} {Count(drops),7}");
                lines.Add(new Line(text, p.Status != 0));
                if (Measured(p) is { } measured)
                {
                    lines.Add(new Line(measured));
                }
            }
        }

        return lines;
    }

    /// <summary>What a path's status column says: ok, or DOWN and why (MPT-SPEC §8).</summary>
    public static string Status(PathSample p) => p.StatusName switch
    {
        "ok" => "ok",
        "down" => "DOWN dead/peer",
        "interface_down" => "DOWN link",
        "address_down" => "DOWN address",
        "manual_down" => "DOWN manual",
        "disabled" => "DISABLED",
        _ => "DOWN 0x" + p.Status.ToString("x2", CultureInfo.InvariantCulture),
    };

    // ", reorder held 12/s late 0/s hold 1.2 ms" when the connection reorders.
    private static string Reorder(ConnectionSample? before, ConnectionSample c, double seconds)
    {
        if (c.Reorder is not { } now)
        {
            return "";
        }

        var sb = new StringBuilder("  reorder");
        if (before?.Reorder is { } then && seconds > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $" held {Count((Value(now, "held") - Value(then, "held")) / seconds)}/s");
            sb.Append(CultureInfo.InvariantCulture, $" late {Count((Value(now, "dropped_late") - Value(then, "dropped_late")) / seconds)}/s");
        }

        if (c.Values.TryGetValue("reorder_hold_us", out double hold))
        {
            sb.Append(CultureInfo.InvariantCulture, $" hold {hold / 1000:0.0} ms");
        }

        return sb.ToString();
    }

    // "   rtt 12.3 ms  loss 0.10 %" under a path whose peer sends probes (an MptFast peer).
    private static string? Measured(PathSample p)
    {
        if (p.Measurement is not { } m || Value(m, "probes_received") <= 0 || !m.TryGetValue("rtt_us", out double rtt))
        {
            return null;
        }

        string text = string.Create(CultureInfo.InvariantCulture, $"             rtt {rtt / 1000:0.0} ms");
        if (m.TryGetValue("loss_ppm", out double loss))
        {
            text += string.Create(CultureInfo.InvariantCulture, $"  loss {loss / 10000:0.00} %");
        }

        return Clip(text);
    }

    private static double Value(IReadOnlyDictionary<string, double> values, string name) => values.TryGetValue(name, out double v) ? v : 0;

    private static string Mbit(double? bytesPerSecond) =>
        bytesPerSecond is { } b ? (Math.Max(0, b) * 8 / 1e6).ToString("0.00", CultureInfo.InvariantCulture) : "-";

    private static string Count(double? perSecond) => perSecond is { } r ? Math.Max(0, Math.Round(r)).ToString("0", CultureInfo.InvariantCulture) : "-";

    private static string Age(long ms) => ms < 0 ? "never"
        : ms < 10_000 ? (ms / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + "s"
        : (ms / 1000).ToString(CultureInfo.InvariantCulture) + "s";

    private static string Uptime(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Floor(seconds));
        return t.Days > 0 ? string.Create(CultureInfo.InvariantCulture, $"{t.Days}d{t.Hours:00}h{t.Minutes:00}m") : t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture);
    }

    private static string Clip(string text, int width = Width) => text.Length <= width ? text : text[..(width - 1)] + "~";

    // Left text and right text on one line of Width columns.
    private static string Fit(string left, string right) =>
        Clip(left, Width - right.Length - 1).PadRight(Width - right.Length) + right;
}
