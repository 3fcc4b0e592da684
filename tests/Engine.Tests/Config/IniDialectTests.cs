using MptFast.Engine.Config;

namespace MptFast.Engine.Tests.Config;

/// <summary>The INI quirks of MPT-SPEC §5.2, seen through the connection parser.</summary>
public class IniDialectTests
{
    private static ConfigParseResult<ConnectionConfig> Parse(string text) => ConnectionParser.Parse(text, "t.conf");

    [Fact]
    public void Comments_inline_comments_and_blank_lines_are_ignored()
    {
        string text = ConfigText.Connection(connectionExtra: "  # full-line comment\n; another\n\n   \nname = fancy ; inline # more",
            path0Extra: "weight_out = 5 # five");

        ConnectionConfig c = Parse(text).GetValueOrThrow();

        Assert.Equal("fancy", c.Name);
        Assert.Equal(5, c.Paths[0].WeightOut);
    }

    [Theory]
    [InlineData("name = \"a;b # c\" ; comment", "a;b # c")]
    [InlineData("name = 'x#y' # comment", "x#y")]
    [InlineData("name = \"  padded  \"", "  padded  ")]
    [InlineData("name = \"\"", "")]
    [InlineData("name = ''", "")]
    [InlineData("name =", "")]
    [InlineData("name = ;x", "")]
    [InlineData("name = a \"b\" c", "a \"b\" c")]
    public void Quotes_keep_comment_characters(string line, string expected)
    {
        Assert.Equal(expected, Parse(ConfigText.Connection(connectionExtra: line)).GetValueOrThrow().Name);
    }

    [Fact]
    public void Backslash_continues_a_line_keeping_the_next_lines_leading_blanks()
    {
        ConnectionConfig c = Parse(ConfigText.Connection(connectionExtra: "name = first\\\n  second")).GetValueOrThrow();

        Assert.Equal("first  second", c.Name);
    }

    [Fact]
    public void Continued_line_reports_the_line_it_starts_on()
    {
        ConfigParseResult<ConnectionConfig> result = Parse(ConfigText.Connection(connectionExtra: "reorder_window = 1\\\n2x"));

        // The continuation moves every later line down by one, so auth_type is on line 11 now.
        Assert.Equal(["t.conf:9: reorder_window: '12x' is not a number (junk 'x' after the digits)"], result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Keys_and_sections_are_case_insensitive_values_keep_case()
    {
        string text = ConfigText.Connection(connectionExtra: "NAME = MiXeD", path0Extra: "Weight_OUT = 3")
            .Replace("[path_1]", "[PATH_1]", StringComparison.Ordinal).Replace("[connection]", "[ Connection ]", StringComparison.Ordinal);

        ConnectionConfig c = Parse(text).GetValueOrThrow();

        Assert.Equal("MiXeD", c.Name);
        Assert.Equal(3, c.Paths[0].WeightOut);
        Assert.Equal("veth2", c.Paths[1].InterfaceName);
    }

    [Fact]
    public void Duplicate_key_last_one_wins_and_repeated_section_merges()
    {
        string text = ConfigText.Connection(connectionExtra: "name = one\nname = two", tail: "[path_0]\nweight_out = 9\n");

        ConnectionConfig c = Parse(text).GetValueOrThrow();

        Assert.Equal("two", c.Name);
        Assert.Equal(9, c.Paths[0].WeightOut);
        Assert.Equal("veth1", c.Paths[0].InterfaceName);
    }

    [Theory]
    [InlineData("reorder_window = 0x20", 32)]
    [InlineData("reorder_window = 0X1f", 31)]
    [InlineData("reorder_window = 010", 8)]
    [InlineData("reorder_window = 00", 0)]
    [InlineData("reorder_window = +12", 12)]
    public void Integers_are_read_like_strtol(string line, int expected)
    {
        Assert.Equal(expected, Parse(ConfigText.Connection(connectionExtra: line)).GetValueOrThrow().ReorderWindow);
    }

    [Fact]
    public void Octal_value_is_accepted_with_a_warning()
    {
        ConfigParseResult<ConnectionConfig> result = Parse(ConfigText.Connection(connectionExtra: "reorder_window = 010"));

        Assert.Contains("t.conf:9: reorder_window: leading 0 makes '010' octal: value 8 (as the original, B78)", result.Warnings.Select(w => w.ToString()));
    }

    [Fact]
    public void Empty_value_is_zero_not_the_default_with_a_warning()
    {
        ConfigParseResult<ConnectionConfig> result = Parse(ConfigText.Connection(path0Extra: "weight_in ="));

        Assert.Equal(0, result.GetValueOrThrow().Paths[0].WeightIn);
        Assert.Contains("t.conf:17: weight_in: empty value reads as 0, not the default 1 (as the original, B78)", result.Warnings.Select(w => w.ToString()));
    }

    [Fact]
    public void Empty_remote_port_is_zero_and_therefore_an_error()
    {
        ConfigParseResult<ConnectionConfig> result = Parse(ConfigText.Connection(connectionExtra: "remote_port ="));

        Assert.Equal(["t.conf:9: remote_port: value 0 is out of range 1-65535"], result.Errors.Select(e => e.ToString()));
        Assert.Contains("t.conf:9: remote_port: empty value reads as 0, not the default 65000 (as the original, B78)", result.Warnings.Select(w => w.ToString()));
    }

    [Fact]
    public void Crlf_files_read_like_lf_files()
    {
        string lf = ConfigText.Connection(path0Extra: "tcp_dst = 80 443");
        string crlf = lf.Replace("\n", "\r\n", StringComparison.Ordinal);

        Assert.Equal(Parse(lf).GetValueOrThrow(), Parse(crlf).GetValueOrThrow());
    }

    [Fact]
    public void Line_without_equals_is_a_syntax_error_with_its_line()
    {
        ConfigParseResult<ConnectionConfig> result = Parse(ConfigText.Connection(path1Extra: "just words"));

        Assert.Equal(["t.conf:24: syntax: expected 'key = value', '[section]' or a comment"], result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Unclosed_section_header_is_a_syntax_error()
    {
        Assert.Equal(["t.conf:26: syntax: section header without ']'"], Parse(ConfigText.Connection(tail: "[path_2\n")).Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Keys_before_the_first_section_are_ignored_with_a_warning()
    {
        ConfigParseResult<ConnectionConfig> result = Parse("name = lost\n" + ConfigText.Connection());

        Assert.Equal("t", result.GetValueOrThrow().Name);
        Assert.Contains("t.conf:1: name: key before the first [section] ignored", result.Warnings.Select(w => w.ToString()));
    }

    [Fact]
    public void Overlong_line_is_an_error()
    {
        ConfigParseResult<ConnectionConfig> result = Parse(ConfigText.Connection(connectionExtra: "name = " + new string('x', 1100)));

        Assert.Equal(["t.conf:9: syntax: line longer than 1024 characters"], result.Errors.Select(e => e.ToString()));
    }
}
