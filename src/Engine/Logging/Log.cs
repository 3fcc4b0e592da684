using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MptFast.Engine.Logging;

public enum LogLevel
{
    Debug = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
}

/// <summary>How lines are written: for people (<see cref="Text"/>) or one JSON object per line (<see cref="Json"/>).</summary>
public enum LogFormat
{
    Text,
    Json,
}

/// <summary>
/// What a line is about, for machines: <see cref="Event"/> names the kind of line (<c>ready</c>, <c>path_status</c>,
/// <c>reload</c>…; <c>log</c> for the rest), the others say which connection and path, why, and the new status. JSON
/// lines carry them as keys; text lines only in the message.
/// </summary>
public readonly record struct LogFields(string Event, string? Connection = null, int? Path = null, string? Reason = null, string? Status = null)
{
    /// <summary>The event of a line written without fields.</summary>
    public static readonly LogFields Plain = new("log");
}

/// <summary>
/// Timestamped, levelled lines on stderr (MPT-SPEC §9.7: the original has no levels and no timestamps).
/// The datapath threads never log per packet: they count, and the control thread reports the counts (see
/// <see cref="RateLimiter"/>), so the steady-state datapath neither allocates nor blocks on stderr. Their one call is
/// <see cref="Downgrade"/>: a kernel refused an offload, which is then off for good — once per socket or device
/// (the capability flag the caller clears guarantees it), so it allocates and waits for stderr once, not per packet.
/// Under systemd (the host sets <see cref="PriorityPrefix"/> when stderr is the journal stream) each line starts with
/// its syslog priority (<c>&lt;3&gt;</c> error … <c>&lt;7&gt;</c> debug, sd-daemon(3)) so journald keeps the levels, and
/// without the timestamp, which the journal records itself.
/// </summary>
public static class Log
{
    private static readonly Lock s_gate = new();
    private static TextWriter s_out = Console.Error;

    public static LogLevel MinLevel { get; set; } = LogLevel.Info;

    /// <summary>Text (the default) or JSON lines.</summary>
    public static LogFormat Format { get; set; } = LogFormat.Text;

    /// <summary>Start each line with its syslog priority for journald, and leave the time to the journal.</summary>
    public static bool PriorityPrefix { get; set; }

    /// <summary>Redirects output (tests, embedding hosts).</summary>
    public static void SetWriter(TextWriter writer) => s_out = writer;

    public static bool IsEnabled(LogLevel level) => level >= MinLevel;

    public static void Debug(string message) => Write(LogLevel.Debug, message);

    public static void Info(string message) => Write(LogLevel.Info, message);

    public static void Warn(string message) => Write(LogLevel.Warning, message);

    public static void Error(string message) => Write(LogLevel.Error, message);

    /// <summary>A datapath thread turned an offload off because the kernel refused it (a warning). Call only once per
    /// socket or device, behind the capability flag that the downgrade clears.</summary>
    public static void Downgrade(string message) => Write(LogLevel.Warning, message, new LogFields("offload_downgrade"));

    public static void Write(LogLevel level, string message) => Write(level, message, LogFields.Plain);

    /// <summary>Writes <paramref name="message"/> with what it is about (<paramref name="fields"/>).</summary>
    public static void Write(LogLevel level, string message, LogFields fields)
    {
        if (level < MinLevel)
        {
            return;
        }

        string line = Line(level, message, fields, DateTime.UtcNow);
        lock (s_gate)
        {
            s_out.WriteLine(line);
            s_out.Flush();
        }
    }

    /// <summary>One line as <see cref="Format"/> and <see cref="PriorityPrefix"/> say, without the newline.</summary>
    public static string Line(LogLevel level, string message, LogFields fields, DateTime utc)
    {
        ArgumentNullException.ThrowIfNull(message);
        string time = utc.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        string prefix = PriorityPrefix ? "<" + Priority(level).ToString(CultureInfo.InvariantCulture) + ">" : "";
        if (Format == LogFormat.Text)
        {
            return prefix + (PriorityPrefix ? "" : time + " ") + Tag(level) + " " + message;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("time", time);
            w.WriteString("level", Name(level));
            w.WriteString("event", fields.Event);
            if (fields.Connection is { } connection)
            {
                w.WriteString("connection", connection);
            }

            if (fields.Path is int path)
            {
                w.WriteNumber("path", path);
            }

            if (fields.Status is { } status)
            {
                w.WriteString("status", status);
            }

            if (fields.Reason is { } reason)
            {
                w.WriteString("reason", reason);
            }

            w.WriteString("message", message);
            w.WriteEndObject();
        }

        return prefix + Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The syslog priority of a level (sd-daemon(3): SD_ERR 3, SD_WARNING 4, SD_INFO 6, SD_DEBUG 7).</summary>
    public static int Priority(LogLevel level) => level switch
    {
        LogLevel.Debug => 7,
        LogLevel.Info => 6,
        LogLevel.Warning => 4,
        _ => 3,
    };

    public static bool TryParseFormat(string text, out LogFormat format)
    {
        switch (text)
        {
            case "text": format = LogFormat.Text; return true;
            case "json": format = LogFormat.Json; return true;
            default: format = LogFormat.Text; return false;
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

    private static string Name(LogLevel level) => level switch
    {
        LogLevel.Debug => "debug",
        LogLevel.Info => "info",
        LogLevel.Warning => "warn",
        _ => "error",
    };

    private static string Tag(LogLevel level) => level switch
    {
        LogLevel.Debug => "debug",
        LogLevel.Info => "info ",
        LogLevel.Warning => "warn ",
        _ => "error",
    };
}
