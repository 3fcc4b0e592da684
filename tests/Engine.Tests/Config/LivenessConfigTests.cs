using MptFast.Engine.Config;

namespace MptFast.Engine.Tests.Config;

/// <summary>
/// MptFast's millisecond liveness keys <c>keepalive_msec</c> and <c>dead_time_msec</c> beside the original's whole-second
/// <c>keepalive_time</c> and <c>dead_time</c> (MPT-SPEC §3.7, §5.5), which keep their meaning for the original: it reads
/// only the keys it knows (§5.2, §5.12), so it ignores these.
/// </summary>
public class LivenessConfigTests
{
    private static ConfigParseResult<ConnectionConfig> Parse(string path0) => ConnectionParser.Parse(ConfigText.Connection(path0Extra: path0), "tunnel.conf");

    private static PathConfig Path0(string path0) => Parse(path0).GetValueOrThrow().Paths[0];

    private static string[] Warnings(string path0) => [.. Parse(path0).Warnings.Select(w => w.ToString())];

    [Theory]
    [InlineData("", 0, 0)]
    [InlineData("keepalive_time = 2", 2000, 6000)]
    [InlineData("keepalive_time = 2\ndead_time = 5", 2000, 5000)]
    [InlineData("keepalive_msec = 100", 100, 300)]
    [InlineData("keepalive_msec = 100\ndead_time_msec = 450", 100, 450)]
    [InlineData("keepalive_msec = 100\ndead_time = 2", 100, 2000)]
    [InlineData("keepalive_time = 1\ndead_time_msec = 2500", 1000, 2500)]
    [InlineData("keepalive_time = 1\nkeepalive_msec = 100", 100, 300)]
    [InlineData("keepalive_msec = 0", 0, 0)]
    [InlineData("keepalive_msec = 100\ndead_time_msec = 0", 100, 0)]
    public void The_intervals_mptfast_uses_follow_the_millisecond_keys_else_the_seconds(string lines, int keepaliveMs, int deadMs)
    {
        PathConfig p = Path0(lines);

        Assert.Equal((keepaliveMs, deadMs), (p.KeepaliveMs, p.DeadMs));
    }

    [Fact]
    public void The_whole_second_keys_keep_the_original_meaning_beside_the_millisecond_ones()
    {
        PathConfig p = Path0("keepalive_time = 1\nkeepalive_msec = 100");

        // What the original reads from this file (and what its status shows, §9.11): 1 s / 3 s.
        Assert.Equal((1, 3), (p.KeepaliveTime, p.DeadTime));
        Assert.Equal((100, 300), (p.KeepaliveMsec, p.DeadTimeMsec));

        PathConfig plain = Path0("keepalive_time = 1");
        Assert.Equal((null, null), (plain.KeepaliveMsec, plain.DeadTimeMsec));
    }

    [Fact]
    public void A_millisecond_key_that_contradicts_its_whole_second_twin_is_a_warning()
    {
        Assert.Equal(
            ["tunnel.conf:18: keepalive_msec: keepalive_msec (100 ms) contradicts keepalive_time = 1: MptFast uses keepalive_msec, the original keepalive_time"],
            Warnings("keepalive_time = 1\nkeepalive_msec = 100"));
        Assert.Equal(
            ["tunnel.conf:17: dead_time_msec: dead_time_msec (2500 ms) contradicts dead_time = 3: MptFast uses dead_time_msec, the original dead_time"],
            Warnings("dead_time_msec = 2500\ndead_time = 3\nkeepalive_time = 1"));

        // The same value in both units, or only one unit given, is no contradiction.
        Assert.Empty(Warnings("keepalive_time = 1\nkeepalive_msec = 1000\ndead_time = 3\ndead_time_msec = 3000"));
        Assert.Empty(Warnings("keepalive_msec = 100\ndead_time_msec = 300"));
        Assert.Empty(Warnings("keepalive_time = 1\ndead_time = 3"));
    }

    [Theory]
    [InlineData("keepalive_msec = 500\ndead_time_msec = 500", "tunnel.conf:18: dead_time_msec: the dead time (500 ms) is not longer than the keepalive interval (500 ms)")]
    [InlineData("keepalive_msec = 500\ndead_time_msec = 200", "tunnel.conf:18: dead_time_msec: the dead time (200 ms) is not longer than the keepalive interval (500 ms)")]
    [InlineData("keepalive_msec = 1500\ndead_time = 1", "tunnel.conf:18: dead_time: the dead time (1000 ms) is not longer than the keepalive interval (1500 ms)")]
    [InlineData("keepalive_time = 2\ndead_time = 2", "tunnel.conf:18: dead_time: the dead time (2000 ms) is not longer than the keepalive interval (2000 ms)")]
    public void A_dead_time_not_longer_than_the_keepalive_interval_is_a_warning(string lines, string warning)
    {
        string[] warnings = Warnings(lines);

        Assert.Single(warnings);
        Assert.StartsWith(warning, warnings[0], StringComparison.Ordinal);
    }

    [Fact]
    public void No_dead_time_or_no_keepalives_is_not_a_contradiction()
    {
        Assert.Empty(Warnings("keepalive_msec = 100\ndead_time_msec = 0"));
        Assert.Empty(Warnings("keepalive_msec = 0\ndead_time_msec = 300"));
        Assert.Empty(Warnings("keepalive_msec = 100\ndead_time_msec = 101"));
    }

    [Theory]
    [InlineData("keepalive_msec = 255001", "tunnel.conf:17: keepalive_msec: value 255001 is out of range 0-255000")]
    [InlineData("dead_time_msec = 65535001", "tunnel.conf:17: dead_time_msec: value 65535001 is out of range 0-65535000")]
    [InlineData("keepalive_msec = -1", "tunnel.conf:17: keepalive_msec: value -1 is out of range 0-255000")]
    public void Out_of_range_values_are_errors_naming_file_line_and_key(string line, string error)
    {
        Assert.Contains(error, Parse(line).Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Full_format_keeps_the_configured_millisecond_keys_and_the_original_format_drops_them()
    {
        ConnectionConfig c = Parse("keepalive_time = 1\nkeepalive_msec = 100").GetValueOrThrow();

        string full = ConfigWriter.WriteConnection(c, ConnectionFormat.Full);
        Assert.Contains("keepalive_msec   = 100\ndead_time_msec   = 300\n", full, StringComparison.Ordinal);
        Assert.Equal(c, ConnectionParser.Parse(full, "tunnel.conf").GetValueOrThrow());

        // A create body and the original's save carry only what the original reads (MPT-SPEC §5.10).
        string original = ConfigWriter.WriteConnection(c, ConnectionFormat.Original);
        Assert.DoesNotContain("_msec", original[original.IndexOf("[path_0]", StringComparison.Ordinal)..], StringComparison.Ordinal);
        Assert.Contains("keepalive_time   = 1\ndead_time        = 3\n", original, StringComparison.Ordinal);
    }
}
