using System.Text.Json.Nodes;
using MptFast.Engine.Config;
using MptFast.Engine.Runtime;
using MptFast.Engine.Status;

namespace MptFast.Engine.Tests.Status;

/// <summary>The live view (status --watch) from two readings of status --json: rates, DOWN lines, 80 columns.</summary>
public sealed class LiveViewTests
{
    private static readonly DateTime Noon = new(2026, 12, 5, 12, 0, 0, DateTimeKind.Local);

    [Fact]
    public void Rates_come_from_two_readings_and_every_line_fits_80_columns()
    {
        StatusSnapshot first = StatusRenderTests.Snapshot(out ConnectionRuntime connection);
        StatusSample before = StatusSample.Parse(StatusJson.Render(first));
        PathRuntime p = connection.Paths[0];
        p.Counters.Tx.Bytes += 2_500_000; // 20 Mbit in 2 s
        p.Counters.Tx.Packets += 2000;
        p.Counters.Rx.Packets += 10;
        p.Counters.Rx.DropMalformed += 4;
        StatusSample after = StatusSample.Parse(StatusJson.Render(first with { Connections = [ConnectionReport.Capture(connection, System.Diagnostics.Stopwatch.GetTimestamp())] }));

        IReadOnlyList<LiveView.Line> lines = LiveView.Render(before, after, TimeSpan.FromSeconds(2), Noon);
        Assert.All(lines, l => Assert.True(l.Text.Length <= LiveView.Width, $"{l.Text.Length} columns: {l.Text}"));
        Assert.EndsWith("12:00:00", lines[0].Text, StringComparison.Ordinal);
        Assert.Contains("2/2 paths up", lines[0].Text, StringComparison.Ordinal);
        string[] path0 = lines.Single(l => l.Text.StartsWith(" 0 ", StringComparison.Ordinal)).Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["0", p.Config.InterfaceName, "ok", "10.00", "1000", "0.00", "5", "never", "2"], path0);
        Assert.Contains(lines, l => l.Text.StartsWith(connection.Config.FileName + " (" + connection.Config.Name + ")", StringComparison.Ordinal));
    }

    [Fact]
    public void A_path_that_goes_down_says_so_and_is_flagged_and_the_first_screen_has_no_rates()
    {
        StatusSnapshot status = StatusRenderTests.Snapshot(out ConnectionRuntime connection);
        connection.Paths[1].Status = PathStatus.ManualDown;
        StatusSample sample = StatusSample.Parse(StatusJson.Render(status with { Connections = [ConnectionReport.Capture(connection, System.Diagnostics.Stopwatch.GetTimestamp())] }));

        IReadOnlyList<LiveView.Line> lines = LiveView.Render(null, sample, TimeSpan.Zero, Noon);
        LiveView.Line down = lines.Single(l => l.Text.StartsWith(" 1 ", StringComparison.Ordinal));
        Assert.True(down.Alert);
        Assert.Contains("DOWN manual", down.Text, StringComparison.Ordinal);
        Assert.False(lines.Single(l => l.Text.StartsWith(" 0 ", StringComparison.Ordinal)).Alert);
        Assert.Contains("1/2 paths up", lines[0].Text, StringComparison.Ordinal);
        Assert.Equal(["-", "-", "-", "-"], down.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries)[4..8]);
    }

    [Fact]
    public void Measured_paths_show_rtt_and_loss_under_their_line()
    {
        // Every path's measurement replaced by a measured one (the snapshot's paths have not seen a probe).
        JsonNode root = JsonNode.Parse(StatusJson.Render(StatusRenderTests.Snapshot(out _)))!;
        foreach (JsonNode? c in root["connections"]!.AsArray())
        {
            foreach (JsonNode? p in c!["paths"]!.AsArray())
            {
                p!.AsObject()["measurement"] = new JsonObject { ["rtt_us"] = 12345, ["loss_ppm"] = 1000, ["probes_received"] = 9 };
            }
        }

        IReadOnlyList<LiveView.Line> lines = LiveView.Render(null, StatusSample.Parse(root.ToJsonString()), TimeSpan.Zero, Noon);
        Assert.Contains(lines, l => l.Text.Trim() == "rtt 12.3 ms  loss 0.10 %");
    }
}
