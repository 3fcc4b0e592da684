using System.Globalization;

namespace MptFast.Engine.Logging;

public enum LogLevel
{
    Debug = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
}

/// <summary>
/// Timestamped, levelled lines on stderr (MPT-SPEC §9.7: the original has no levels and no timestamps).
/// The datapath threads never log per packet: they count, and the control thread reports the counts (see
/// <see cref="RateLimiter"/>), so the steady-state datapath neither allocates nor blocks on stderr. Their one call is
/// <see cref="Downgrade"/>: a kernel refused an offload, which is then off for good — once per socket or device
/// (the capability flag the caller clears guarantees it), so it allocates and waits for stderr once, not per packet.
/// </summary>
public static class Log
{
    private static readonly Lock s_gate = new();
    private static TextWriter s_out = Console.Error;

    public static LogLevel MinLevel { get; set; } = LogLevel.Info;

    /// <summary>Redirects output (tests, embedding hosts).</summary>
    public static void SetWriter(TextWriter writer) => s_out = writer;

    public static bool IsEnabled(LogLevel level) => level >= MinLevel;

    public static void Debug(string message) => Write(LogLevel.Debug, message);

    public static void Info(string message) => Write(LogLevel.Info, message);

    public static void Warn(string message) => Write(LogLevel.Warning, message);

    public static void Error(string message) => Write(LogLevel.Error, message);

    /// <summary>A datapath thread turned an offload off because the kernel refused it (a warning). Call only once per
    /// socket or device, behind the capability flag that the downgrade clears.</summary>
    public static void Downgrade(string message) => Write(LogLevel.Warning, message);

    public static void Write(LogLevel level, string message)
    {
        if (level < MinLevel)
        {
            return;
        }

        string line = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) + " " + Tag(level) + " " + message;
        lock (s_gate)
        {
            s_out.WriteLine(line);
            s_out.Flush();
        }
    }

    public static bool TryParseLevel(string text, out LogLevel level)
    {
        switch (text.ToLowerInvariant())
        {
            case "debug": level = LogLevel.Debug; return true;
            case "info": level = LogLevel.Info; return true;
            case "warn" or "warning": level = LogLevel.Warning; return true;
            case "error": level = LogLevel.Error; return true;
            default: level = LogLevel.Info; return false;
        }
    }

    private static string Tag(LogLevel level) => level switch
    {
        LogLevel.Debug => "debug",
        LogLevel.Info => "info ",
        LogLevel.Warning => "warn ",
        _ => "error",
    };
}
