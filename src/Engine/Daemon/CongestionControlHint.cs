using MptFast.Engine.Config;

namespace MptFast.Engine.Daemon;

/// <summary>
/// A start-up hint for hosts whose TCP uses BBR (this kernel's default on some distributions): over paths of unequal
/// delay BBR keeps at most twice its bandwidth × the fastest path's round trip in flight, too little for the slower
/// path, unless the receiver holds packets for it (<c>equalize_delay</c>; README, "Real links"). Logged once, for the
/// multipath connections that hold nothing (<c>equalize_delay = 0</c>).
/// </summary>
internal static class CongestionControlHint
{
    /// <summary>Where the host's default TCP congestion control is.</summary>
    public const string SysctlPath = "/proc/sys/net/ipv4/tcp_congestion_control";

    private const int NamedAtMost = 3;

    /// <summary>The hint for <paramref name="connections"/> under <paramref name="congestionControl"/>, or null.</summary>
    public static string? For(IReadOnlyList<ConnectionConfig> connections, string? congestionControl)
    {
        if (!string.Equals(congestionControl?.Trim(), "bbr", StringComparison.Ordinal))
        {
            return null;
        }

        string[] names = [.. connections.Where(c => c.Paths.Count > 1 && !c.EqualizeDelay && !c.HoldsAcks).Select(c => c.FileName)];
        if (names.Length == 0)
        {
            return null;
        }

        string which = string.Join(", ", names.Take(NamedAtMost)) + (names.Length > NamedAtMost ? $" and {names.Length - NamedAtMost} more" : "");
        return $"this host's TCP congestion control is bbr: where the paths of {which} differ in delay, BBR's window follows the " +
            "fastest path's round trip and leaves the slower path short; equalize_delay = auto (the default: this host's BBR senders), " +
            "acks or 1 in the connection, or CUBIC for the traffic entering the tunnel, fills both (README: Real links)";
    }

    /// <summary>The host's default TCP congestion control, or null where it cannot be read.</summary>
    public static string? Read()
    {
        try
        {
            return File.ReadAllText(SysctlPath).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
