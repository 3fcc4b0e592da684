using MptFast.Engine.Config;
using static MptFast.Engine.Config.IniDocument;

namespace MptFast.Engine.Tests.Config;

/// <summary>
/// Tests for the mutants Stryker.NET left alive in <c>Config/</c> (docs/MUTATION.md): strtol's corners (hex digits
/// A–F, a bare <c>0x</c>, invalid octal digits, saturation), the column an error points at, a continuation at the end
/// of the file, an unclosed quote, the line-length bound, and the connection parser's warnings at their boundaries.
/// </summary>
public class ConfigMutationSurvivorTests
{
    [Theory]
    [InlineData("0x1f", 31, true, false)]
    [InlineData("0XAF", 175, true, false)]
    [InlineData("0xaB", 171, true, false)]
    [InlineData("0xF", 15, true, false)]
    [InlineData("0xA", 10, true, false)]
    [InlineData("-0x10", -16, true, false)]
    [InlineData("+7", 7, true, false)]
    [InlineData("-7", -7, true, false)]
    [InlineData(" 42 ", 42, true, false)]
    [InlineData("0", 0, true, false)]        // a lone 0 is decimal, not octal
    [InlineData("017", 15, true, true)]
    [InlineData("08", 0, false, true)]       // 8 is no octal digit: strtol stops after the 0
    [InlineData("0x", 0, false, true)]       // no hex digit after 0x: the 0 is read (as octal), 'x' is junk
    [InlineData("0xg", 0, false, true)]
    [InlineData("12ab", 12, false, false)]
    [InlineData("+", 0, false, false)]
    [InlineData("", 0, false, false)]
    public void Integers_are_read_as_strtol_reads_them(string text, long expected, bool clean, bool octal)
    {
        Assert.Equal(expected, ParseCInteger(text, out bool isClean, out bool isOctal));
        Assert.Equal(clean, isClean);
        Assert.Equal(octal, isOctal);
    }

    [Fact]
    public void A_huge_value_saturates_instead_of_wrapping()
    {
        Assert.Equal(int.MaxValue * 16L, ParseCInteger("0xFFFFFFFFFFFFFFFFFFFF", out bool clean, out _));
        Assert.True(clean);
        Assert.Equal(int.MaxValue * 16L, ParseCInteger("99999999999999999999", out _, out _));
    }

    [Theory]
    [InlineData("reorder_window = 0x1G", "'0x1G' is not a number (junk 'G' after the digits)")]
    [InlineData("reorder_window = 09", "'09' is not a number (junk '9' after the digits; a leading 0 means octal)")]
    [InlineData("reorder_window = -", "'-' is not a number")]
    [InlineData("reorder_window = x1", "'x1' is not a number")]
    public void A_bad_number_names_its_junk(string line, string message)
    {
        var result = ConnectionParser.Parse(ConfigText.Connection(connectionExtra: line), "t.conf");
        Assert.Contains($"t.conf:9: reorder_window: {message}", result.Errors.Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("key = value", 7)]
    [InlineData("  key =   value", 11)]
    [InlineData("key=\"quoted\"", 6)]   // the first character inside the quotes
    [InlineData("\tkey = 'q'", 9)]
    public void The_value_column_points_at_the_values_first_character(string line, int column)
    {
        IniEntry e = Entry(Parse("[s]\n" + line), "key");
        Assert.Equal(column, e.ValueColumn);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void A_continuation_on_the_last_line_still_counts()
    {
        Assert.Equal("a", Entry(Parse("[s]\nkey = a\\\n"), "key").Value);
        Assert.Equal("a", Entry(Parse("[s]\nkey = a\\"), "key").Value);
    }

    [Fact]
    public void An_unclosed_quote_takes_the_rest_of_the_line()
    {
        Assert.Equal("abc ; def", Entry(Parse("[s]\nkey = \"abc ; def"), "key").Value);
    }

    [Fact]
    public void A_line_of_exactly_the_limit_is_read_and_one_longer_is_an_error()
    {
        string value = new('v', MaxLineLength - "key = ".Length);
        IniDocument doc = Parse("[s]\nkey = " + value + "\nlong = " + value);
        Assert.Equal(value, Entry(doc, "key").Value);
        Assert.True(doc.TryGetSection("s", out IniSection s));
        Assert.False(s.TryGet("long", out _));
        Assert.Equal(3, Assert.Single(doc.Errors).Line);
    }

    [Fact]
    public void A_missing_section_is_not_found()
    {
        IniDocument doc = Parse("[a]\nk = 1");
        Assert.False(doc.TryGetSection("b", out _));
        Assert.True(doc.TryGetSection("A", out _) || doc.TryGetSection("a", out _));
    }

    [Fact]
    public void An_equals_sign_without_a_key_says_so()
    {
        IniDocument doc = Parse("[s]\n= value\njunk");
        Assert.Equal(["'=' without a key", "expected 'key = value', '[section]' or a comment"], doc.Errors.Select(e => e.Message));
    }

    [Theory]
    [InlineData("permission = 0", false)]
    [InlineData("permission = 3", false)]
    [InlineData("permission = 4", true)]
    [InlineData("permission = -1", true)]
    public void Permission_outside_0_to_3_is_warned_about(string line, bool warned)
    {
        var result = ConnectionParser.Parse(ConfigText.Connection(connectionExtra: line), "t.conf");
        Assert.True(result.Succeeded);
        Assert.Equal(warned, result.Warnings.Any(w => w.Key == "permission"));
    }

    [Fact]
    public void An_unknown_key_is_warned_about_with_its_line()
    {
        var result = ConnectionParser.Parse(ConfigText.Connection(connectionExtra: "reoder_window = 5"), "t.conf");
        ConfigWarning w = Assert.Single(result.Warnings, w => w.Key == "reoder_window");
        Assert.Equal(9, w.Line);
        Assert.StartsWith("unknown key ignored", w.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("loss_recovery = 1\nreorder_window = 0", true)]
    [InlineData("loss_recovery = 1\nreorder_window = 64", false)]
    [InlineData("loss_recovery = 0\nreorder_window = 0", false)]
    [InlineData("reorder_window = 0", false)]   // not asked for: no contradiction to point out
    public void Loss_recovery_without_sequence_numbers_is_warned_about_only_when_asked_for(string lines, bool warned)
    {
        var result = ConnectionParser.Parse(ConfigText.Connection(connectionExtra: lines), "t.conf");
        Assert.Equal(warned, result.Warnings.Any(w => w.Key == "loss_recovery"));
    }

    [Theory]
    [InlineData(2, true)]
    [InlineData(1, false)]   // one path: nothing to schedule between, nothing to warn about
    public void Adaptive_scheduling_without_keepalives_is_warned_about_with_several_paths(int pathCount, bool warned)
    {
        string text = ConfigText.Connection(connectionExtra: "scheduler = adaptive", path0Extra: "keepalive_time = 0", path1Extra: "keepalive_time = 0")
            .Replace("path_count = 2", "path_count = " + pathCount, StringComparison.Ordinal);
        if (pathCount == 1)
        {
            text = text[..text.IndexOf("[path_1]", StringComparison.Ordinal)];
        }

        var result = ConnectionParser.Parse(text, "t.conf");
        Assert.Equal(warned, result.Warnings.Any(w => w.Key == "scheduler"));
    }

    [Theory]
    [InlineData(ConnectionConfig.DefaultAuthKey, true)]
    [InlineData("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF", true)]                 // exactly the 32 characters that are used
    [InlineData("A0A1A2A3A4A5A6A7A8A9AAABACADAEA", false)]                 // 31: another key
    [InlineData("B0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF", false)]
    public void The_public_default_key_is_warned_about(string key, bool warned)
    {
        var result = ConnectionParser.Parse(ConfigText.Connection().Replace("auth_key = 00112233445566778899AABBCCDDEEFF", "auth_key = " + key, StringComparison.Ordinal), "t.conf");
        Assert.Equal(warned, result.Warnings.Any(w => w.Key == "auth_key"));
    }

    [Theory]
    [InlineData("interface_name =", "empty interface name")]
    [InlineData("interface_name = .", "'.' is not a valid interface name")]
    [InlineData("interface_name = ..", "'..' is not a valid interface name")]
    [InlineData("interface_name = eth0:1", "'eth0:1' is not a valid interface name")]
    [InlineData("interface_name = abcdefghijklmnop", "interface name 'abcdefghijklmnop' is longer than 15 characters")]
    public void An_interface_name_the_kernel_would_refuse_is_an_error(string line, string message)
    {
        // Interface names reach ip(8) and sysfs paths: ".." or an empty name must never get that far.
        string text = ConfigText.Connection().Replace("interface_name = veth1", line, StringComparison.Ordinal);
        var result = ConnectionParser.Parse(text, "t.conf");
        Assert.Contains($"t.conf:13: interface_name: {message}", result.Errors.Select(e => e.ToString()));
    }

    [Theory]
    [InlineData(127, true)]
    [InlineData(128, false)]
    public void A_connection_name_may_have_127_bytes(int length, bool accepted)
    {
        var result = ConnectionParser.Parse(ConfigText.Connection(connectionExtra: "name = " + new string('n', length)), "t.conf");
        Assert.Equal(accepted, result.Succeeded);
        Assert.Equal(!accepted, result.Errors.Any(e => e.Key == "name" && e.Message == "longer than 127 bytes"));
    }

    /// <summary>The entry <paramref name="key"/> of section [s].</summary>
    private static IniEntry Entry(IniDocument doc, string key)
    {
        Assert.True(doc.TryGetSection("s", out IniSection s));
        Assert.True(s.TryGet(key, out IniEntry e));
        return e;
    }
}
