using System.Text.Json;
using MptFast.Engine.Logging;

namespace MptFast.Engine.Tests.Logging;

/// <summary>Log lines for people, for machines (JSON lines) and for journald (syslog priority prefixes), issue 16.
/// The format settings are process-wide: these tests restore them and run in one collection.</summary>
[Collection(nameof(LogFormatTests))]
public sealed class LogFormatTests : IDisposable
{
    private static readonly DateTime Time = new(2026, 12, 5, 10, 11, 12, 345, DateTimeKind.Utc);
    private static readonly LogFields PathDown = new("path_status", "tunnel.conf", 1, "dead_timer", "down");

    public void Dispose()
    {
        Log.Format = LogFormat.Text;
        Log.PriorityPrefix = false;
    }

    [Fact]
    public void Text_lines_carry_time_level_and_message()
    {
        Assert.Equal("2026-12-05T10:11:12.345Z warn  tunnel.conf: path 1 down", Log.Line(LogLevel.Warning, "tunnel.conf: path 1 down", PathDown, Time));
    }

    [Theory]
    [InlineData(LogLevel.Error, "<3>error x")]
    [InlineData(LogLevel.Warning, "<4>warn  x")]
    [InlineData(LogLevel.Info, "<6>info  x")]
    [InlineData(LogLevel.Debug, "<7>debug x")]
    public void Under_the_journal_text_lines_start_with_the_syslog_priority_and_leave_the_time_to_journald(LogLevel level, string line)
    {
        Log.PriorityPrefix = true;
        Assert.Equal(line, Log.Line(level, "x", LogFields.Plain, Time));
    }

    [Fact]
    public void Json_lines_have_time_level_event_connection_path_status_reason_and_message()
    {
        Log.Format = LogFormat.Json;
        string line = Log.Line(LogLevel.Warning, "tunnel.conf: path 1 \"down\"", PathDown, Time);
        Assert.DoesNotContain('\n', line);
        using JsonDocument doc = JsonDocument.Parse(line);
        JsonElement e = doc.RootElement;
        Assert.Equal("2026-12-05T10:11:12.345Z", e.GetProperty("time").GetString());
        Assert.Equal("warn", e.GetProperty("level").GetString());
        Assert.Equal("path_status", e.GetProperty("event").GetString());
        Assert.Equal("tunnel.conf", e.GetProperty("connection").GetString());
        Assert.Equal(1, e.GetProperty("path").GetInt32());
        Assert.Equal("down", e.GetProperty("status").GetString());
        Assert.Equal("dead_timer", e.GetProperty("reason").GetString());
        Assert.Equal("tunnel.conf: path 1 \"down\"", e.GetProperty("message").GetString());
    }

    [Fact]
    public void Json_lines_without_fields_are_log_events_without_connection_and_path_and_keep_the_journal_prefix()
    {
        Log.Format = LogFormat.Json;
        Log.PriorityPrefix = true;
        string line = Log.Line(LogLevel.Error, "cannot start", LogFields.Plain, Time);
        Assert.StartsWith("<3>{", line, StringComparison.Ordinal);
        using JsonDocument doc = JsonDocument.Parse(line[3..]);
        Assert.Equal("log", doc.RootElement.GetProperty("event").GetString());
        Assert.False(doc.RootElement.TryGetProperty("connection", out _));
        Assert.False(doc.RootElement.TryGetProperty("path", out _));
    }
}
