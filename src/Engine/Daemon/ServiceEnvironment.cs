using System.Globalization;

namespace MptFast.Engine.Daemon;

/// <summary>
/// What systemd passes a <c>Type=notify</c> service in its environment (sd_notify(3), sd_watchdog_enabled(3)):
/// <c>NOTIFY_SOCKET</c>, and <c>WATCHDOG_USEC</c> with <c>WATCHDOG_PID</c> when the unit has <c>WatchdogSec=</c>.
/// </summary>
/// <param name="NotifySocket">Where notifications go; null when not run by a service manager.</param>
/// <param name="Watchdog">The watchdog interval meant for this process; null when none.</param>
public readonly record struct ServiceEnvironment(string? NotifySocket, TimeSpan? Watchdog)
{
    /// <summary>The variables' names; the daemon removes them from its environment after reading them, so the programs
    /// it runs (<c>ip</c>, an interface command) do not take them for their own.</summary>
    public static readonly string[] Variables = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"];

    /// <summary>Reads the variables through <paramref name="variable"/> for the process <paramref name="pid"/>. A watchdog
    /// meant for another process (WATCHDOG_PID), a malformed or zero interval, or no NOTIFY_SOCKET mean no watchdog.</summary>
    public static ServiceEnvironment Read(Func<string, string?> variable, int pid)
    {
        ArgumentNullException.ThrowIfNull(variable);
        string? socket = variable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(socket))
        {
            return default;
        }

        TimeSpan? watchdog = null;
        string? pidText = variable("WATCHDOG_PID");
        bool forUs = string.IsNullOrEmpty(pidText)
            || (int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out int watchdogPid) && watchdogPid == pid);
        if (forUs && ulong.TryParse(variable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong usec) && usec > 0)
        {
            watchdog = TimeSpan.FromMicroseconds(usec);
        }

        return new ServiceEnvironment(socket, watchdog);
    }
}
