using MptFast.Engine.Config;

namespace MptFast.Engine.Tests.Config;

/// <summary>MptFast's own connection keys: scheduler, reorder_window = auto, loss_recovery, probe_interval_msec, equalize_delay, auto_create.</summary>
public class SchedulingConfigTests
{
    private static ConfigParseResult<ConnectionConfig> Parse(string text) => ConnectionParser.Parse(text, "tunnel.conf");

    private static string[] Warnings(string text) => [.. Parse(text).Warnings.Select(w => w.ToString())];

    private static string[] Errors(string text) => [.. Parse(text).Errors.Select(e => e.ToString())];

    [Fact]
    public void Defaults_are_adaptive_with_an_automatic_window_loss_recovery_and_20_ms_probes()
    {
        ConnectionConfig c = Parse(ConfigText.Connection()).GetValueOrThrow();

        Assert.Equal(SchedulerMode.Adaptive, c.Scheduler);
        Assert.True(c.ReorderAuto);
        Assert.Equal(ConnectionConfig.MaxReorderWindow, c.ReorderWindow);
        Assert.True(c.LossRecovery);
        Assert.Equal(20, c.ProbeIntervalMs);
        Assert.False(c.EqualizeDelay);
        Assert.True(c.HoldsDelayBasedAcks); // equalize_delay = auto
        Assert.Empty(Warnings(ConfigText.Connection()));
    }

    [Theory]
    [InlineData(null, "auto")]
    [InlineData("equalize_delay = auto", "auto")]
    [InlineData("equalize_delay = AUTO", "auto")]
    [InlineData("equalize_delay = 0", "0")]
    [InlineData("equalize_delay = 1", "1")]
    [InlineData("equalize_delay = acks", "acks")]
    public void Equalize_delay_auto_is_the_default_and_each_value_is_written_back_as_itself(string? line, string written)
    {
        ConnectionConfig c = Parse(line is null ? ConfigText.Connection() : ConfigText.Connection(line)).GetValueOrThrow();
        Assert.Equal(written == "auto", c.HoldsDelayBasedAcks);
        Assert.Equal(written is "auto" or "acks", c.HoldsAcks);
        string text = ConfigWriter.WriteConnection(c, ConnectionFormat.Full);
        Assert.Contains($"equalize_delay   = {written}\n", text, StringComparison.Ordinal);
        Assert.Equal(c, Parse(text).GetValueOrThrow() with { FileName = c.FileName });
    }

    [Fact]
    public void Equalize_delay_is_read_and_written_back()
    {
        ConnectionConfig c = Parse(ConfigText.Connection("equalize_delay = 1")).GetValueOrThrow();
        Assert.True(c.EqualizeDelay);
        Assert.Contains("equalize_delay   = 1\n", ConfigWriter.WriteConnection(c, ConnectionFormat.Full), StringComparison.Ordinal);
        Assert.True(Parse(ConfigWriter.WriteConnection(c, ConnectionFormat.Full)).GetValueOrThrow().EqualizeDelay);
    }

    [Theory]
    [InlineData("equalize_delay = acks")]
    [InlineData("equalize_delay = ACKS ")]
    public void Equalize_delay_acks_holds_only_acknowledgements_and_is_written_back(string line)
    {
        ConnectionConfig c = Parse(ConfigText.Connection(line)).GetValueOrThrow();
        Assert.True(c.EqualizeAcks);
        Assert.False(c.EqualizeDelay);
        Assert.Contains("equalize_delay   = acks\n", ConfigWriter.WriteConnection(c, ConnectionFormat.Full), StringComparison.Ordinal);
        Assert.True(Parse(ConfigWriter.WriteConnection(c, ConnectionFormat.Full)).GetValueOrThrow().EqualizeAcks);
        Assert.Contains(Warnings(ConfigText.Connection(line)),
            w => w.StartsWith("tunnel.conf:9: equalize_delay: delay equalisation measures the paths with probes", StringComparison.Ordinal));
        Assert.False(Parse(ConfigText.Connection("equalize_delay = 0")).GetValueOrThrow().EqualizeAcks);
    }

    [Fact]
    public void Auto_create_is_off_by_default_read_written_back_only_when_on_and_warned_without_send_permission()
    {
        Assert.False(Parse(ConfigText.Connection()).GetValueOrThrow().AutoCreate);
        Assert.DoesNotContain("auto_create", ConfigWriter.WriteConnection(Parse(ConfigText.Connection()).GetValueOrThrow(), ConnectionFormat.Full), StringComparison.Ordinal);

        ConnectionConfig c = Parse(ConfigText.Connection("auto_create = 1")).GetValueOrThrow();
        Assert.True(c.AutoCreate);
        Assert.Empty(Warnings(ConfigText.Connection("auto_create = 1")));
        Assert.Contains("auto_create      = 1\n", ConfigWriter.WriteConnection(c, ConnectionFormat.Full), StringComparison.Ordinal);
        Assert.DoesNotContain("auto_create", ConfigWriter.WriteConnection(c, ConnectionFormat.Original), StringComparison.Ordinal); // never in a create body
        Assert.True(Parse(ConfigWriter.WriteConnection(c, ConnectionFormat.Full)).GetValueOrThrow().AutoCreate);

        Assert.Contains("tunnel.conf:9: auto_create: permission has no bit 0 (send), so this side may not ask for a create: nothing is created",
            Warnings(ConfigText.Connection("auto_create = 1\npermission = 2")));
        Assert.Contains("tunnel.conf:9: auto_create: value 2 is out of range 0-1", Errors(ConfigText.Connection("auto_create = 2")));
    }

    [Fact]
    public void An_explicit_window_means_what_it_meant_to_the_original()
    {
        ConnectionConfig off = Parse(ConfigText.Connection("reorder_window = 0")).GetValueOrThrow();
        Assert.False(off.ReorderAuto);
        Assert.Equal(0, off.ReorderWindow);

        ConnectionConfig w64 = Parse(ConfigText.Connection("reorder_window = 64")).GetValueOrThrow();
        Assert.False(w64.ReorderAuto);
        Assert.Equal(64, w64.ReorderWindow);

        ConnectionConfig auto = Parse(ConfigText.Connection("reorder_window = AUTO")).GetValueOrThrow();
        Assert.True(auto.ReorderAuto);
    }

    [Fact]
    public void The_weighted_scheduler_keeps_the_original_default_window_of_0()
    {
        ConnectionConfig c = Parse(ConfigText.Connection("scheduler = weighted")).GetValueOrThrow();

        Assert.Equal(SchedulerMode.Weighted, c.Scheduler);
        Assert.False(c.ReorderAuto);
        Assert.Equal(0, c.ReorderWindow);
    }

    [Theory]
    [InlineData("scheduler = fastest", "tunnel.conf:9: scheduler: 'fastest' is not a scheduler (adaptive or weighted)")]
    [InlineData("loss_recovery = 2", "tunnel.conf:9: loss_recovery: value 2 is out of range 0-1")]
    [InlineData("probe_interval_msec = 1001", "tunnel.conf:9: probe_interval_msec: value 1001 is out of range 0-1000")]
    [InlineData("equalize_delay = yes", "tunnel.conf:9: equalize_delay: 'yes' is not auto, 0, 1 or acks")]
    [InlineData("equalize_delay = 2", "tunnel.conf:9: equalize_delay: '2' is not auto, 0, 1 or acks")]
    [InlineData("reorder_window = sometimes", "tunnel.conf:9: reorder_window: 'sometimes' is not a number")]
    public void Bad_values_are_errors_that_name_file_line_and_key(string line, string error)
    {
        Assert.Contains(error, Errors(ConfigText.Connection(line)));
    }

    [Fact]
    public void Contradictions_are_warned_about()
    {
        Assert.Equal(["tunnel.conf:9: loss_recovery: loss recovery needs sequence numbers: reorder_window = 0 turns it off"],
            Warnings(ConfigText.Connection("loss_recovery = 1\nreorder_window = 0").Replace("\n\nauth_type", "\nauth_type", StringComparison.Ordinal)));
        Assert.Equal(["tunnel.conf:9: equalize_delay: delay equalisation needs sequence numbers: reorder_window = 0 turns it off"],
            Warnings(ConfigText.Connection("equalize_delay = 1\nreorder_window = 0").Replace("\n\nauth_type", "\nauth_type", StringComparison.Ordinal)));
        Assert.Contains(Warnings(ConfigText.Connection("equalize_delay = 1")),
            w => w.StartsWith("tunnel.conf:9: equalize_delay: delay equalisation measures the paths with probes", StringComparison.Ordinal));
        Assert.Empty(Warnings(ConfigText.Connection("equalize_delay = 1", path0Extra: "keepalive_time = 1")));
        Assert.Contains(Warnings(ConfigText.Connection("scheduler = adaptive")),
            w => w.StartsWith("tunnel.conf:9: scheduler: the adaptive scheduler measures the paths with probes", StringComparison.Ordinal));
        Assert.Empty(Warnings(ConfigText.Connection("scheduler = adaptive", path0Extra: "keepalive_time = 1")));
        Assert.Empty(Warnings(ConfigText.Connection()));
    }

    [Fact]
    public void Saving_keeps_auto_and_the_new_keys_and_the_original_reads_auto_as_0()
    {
        ConnectionConfig c = Parse(ConfigText.Connection("scheduler = weighted\nreorder_window = auto").Replace("\n\nauth_type", "\nauth_type", StringComparison.Ordinal))
            .GetValueOrThrow() with { LossRecovery = false, ProbeIntervalMs = 50 };

        string full = ConfigWriter.WriteConnection(c, ConnectionFormat.Full);
        Assert.Contains("reorder_window   = auto\n", full, StringComparison.Ordinal);
        ConnectionConfig back = ConnectionParser.Parse(full, "tunnel.conf").GetValueOrThrow();
        Assert.Equal((SchedulerMode.Weighted, true, false, 50), (back.Scheduler, back.ReorderAuto, back.LossRecovery, back.ProbeIntervalMs));

        string original = ConfigWriter.WriteConnection(c, ConnectionFormat.Original);
        Assert.DoesNotContain("scheduler", original, StringComparison.Ordinal);
        Assert.Equal(0, IniDocument.ParseCInteger("auto", out _, out _)); // MPT-SPEC §5.2: no digits → 0
    }
}
