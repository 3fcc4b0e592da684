using MptFast.Engine.Config;
using MptFast.Engine.Runtime;
using MptFast.Engine.Status;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Status;

/// <summary>The Prometheus rendering of a <see cref="StatusSnapshot"/> (issue 16): every published counter under its
/// conventional name, gauges as gauges, reasons as labels, base units, families whole.</summary>
public sealed class MetricsRenderTests
{
    private static readonly DateTime Now = new(2026, 12, 5, 12, 0, 0, DateTimeKind.Utc);

    private static Dictionary<string, string> Samples(string text) => PrometheusText.Samples(text);

    [Fact]
    public void Every_published_counter_is_a_metric_with_its_value()
    {
        StatusSnapshot status = StatusRenderTests.Snapshot(out ConnectionRuntime connection);
        Dictionary<string, string> s = Samples(StatusMetrics.Render(status, Now));
        string path = $"connection=\"{connection.Config.FileName}\",path=\"0\"";
        Assert.Equal("12", s[$"mptfast_path_tx_packets_total{{{path}}}"]);
        Assert.Equal("7", s[$"mptfast_path_rx_packets_total{{{path}}}"]);
        Assert.Equal("3", s[$"mptfast_path_keepalives_sent_total{{{path}}}"]);
        Assert.Equal("2", s[$"mptfast_path_dropped_total{{{path},reason=\"malformed\"}}"]);
        Assert.Equal("1", s[$"mptfast_path_dropped_total{{{path},reason=\"send_errors\"}}"]);
        Assert.Equal("8", s[$"mptfast_path_socket_gso_sends_total{{{path}}}"]);
        Assert.Equal("2", s[$"mptfast_path_socket_pool_exhausted_total{{{path}}}"]);
        Assert.Equal("9", s["mptfast_datapath_rx_gro_messages_total{}"]);
        Assert.Equal("4", s["mptfast_datapath_tx_dropped_total{reason=\"no_connection\"}"]);
        Assert.Equal("6", s["mptfast_control_answered_total{}"]);
        Assert.Equal("5", s["mptfast_control_rejected_total{reason=\"truncated\"}"]);
        Assert.Equal("1", s[$"mptfast_path_up{{{path}}}"]);
        Assert.Equal("1", s[$"mptfast_path_status{{{path},status=\"ok\"}}"]);
        Assert.Equal("0", s[$"mptfast_path_status{{{path},status=\"manual_down\"}}"]);
        Assert.Equal(((Now - DateTime.UnixEpoch).TotalSeconds - 3).ToString(System.Globalization.CultureInfo.InvariantCulture), s["mptfast_start_time_seconds{}"]);

        // Every counter of every list is there: as many path samples per list as the owner publishes.
        int traffic = s.Keys.Count(k => k.EndsWith("_total{" + path + "}", StringComparison.Ordinal) && !k.StartsWith("mptfast_path_socket_", StringComparison.Ordinal));
        Assert.Equal(status.Connections[0].Paths[0].Traffic.Count, traffic);
        Assert.Equal(status.Connections[0].Paths[0].Drops.Count, s.Keys.Count(k => k.StartsWith("mptfast_path_dropped_total{" + path + ",", StringComparison.Ordinal)));
    }

    [Fact]
    public void Gauges_stay_gauges_and_values_in_small_units_are_shown_in_base_units()
    {
        // Measured values published with Add (as a count would be) are still levels: their units say so.
        var counters = new CounterSnapshot().Add("rtt_us", 1500).Gauge("loss_ppm", 2500).Gauge("hold_ms", 20)
            .Add("delivered_bytes_per_second", 1_000_000).Add("probes_received", 42).Add("dropped_late", 3).Gauge("queue_packets", 5)
            .Duration("paused_us", 1_500_000);
        var m = new MetricFamilies();
        m.Snapshot(counters, "mptfast_path_", "path=\"0\"", "x");
        var sb = new System.Text.StringBuilder();
        m.WriteTo(sb);
        string text = sb.ToString();
        Dictionary<string, string> s = Samples(text);
        Assert.Equal("0.0015", s["mptfast_path_rtt_seconds{path=\"0\"}"]);
        Assert.Equal("0.0025", s["mptfast_path_loss_ratio{path=\"0\"}"]);
        Assert.Equal("0.02", s["mptfast_path_hold_seconds{path=\"0\"}"]);
        Assert.Equal("1000000", s["mptfast_path_delivered_bytes_per_second{path=\"0\"}"]);
        Assert.Equal("42", s["mptfast_path_probes_received_total{path=\"0\"}"]);
        Assert.Equal("3", s["mptfast_path_dropped_total{path=\"0\",reason=\"late\"}"]);
        Assert.Equal("5", s["mptfast_path_queue_packets{path=\"0\"}"]);
        Assert.Contains("# TYPE mptfast_path_rtt_seconds gauge\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE mptfast_path_delivered_bytes_per_second gauge\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE mptfast_path_probes_received_total counter\n", text, StringComparison.Ordinal);

        // A sum of durations is a counter, in seconds.
        Assert.Equal("1.5", s["mptfast_path_paused_seconds_total{path=\"0\"}"]);
        Assert.Contains("# TYPE mptfast_path_paused_seconds_total counter\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_family_has_one_help_and_one_type_and_its_samples_together()
    {
        string text = StatusMetrics.Render(StatusRenderTests.Snapshot(out _), Now);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                current = line.Split(' ')[2];
                Assert.True(seen.Add(current), $"{current} declared twice");
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                Assert.Equal(current, line.Split(' ')[2]);
                Assert.Contains(line.Split(' ')[3], (string[])["counter", "gauge"]);
                Assert.Equal(line.Split(' ')[3] == "counter", current!.EndsWith("_total", StringComparison.Ordinal));
                continue;
            }

            Assert.Equal(current, PrometheusText.NameOf(line)); // no sample outside its family's block
        }

        Assert.True(seen.Count > 30, $"only {seen.Count} families");
    }

    [Fact]
    public void Label_values_are_escaped()
    {
        Assert.Equal("""connection="a\"b\\c\nd",path="0" """.TrimEnd(), MetricFamilies.Labels("connection", "a\"b\\c\nd", "path", "0"));
    }

    [Fact]
    public void A_status_outside_the_known_ones_joins_the_state_set()
    {
        StatusSnapshot status = StatusRenderTests.Snapshot(out ConnectionRuntime connection);
        connection.Paths[0].Status = (PathStatus)0x90;
        status = status with { Connections = [ConnectionReport.Capture(connection, System.Diagnostics.Stopwatch.GetTimestamp())] };
        Dictionary<string, string> s = Samples(StatusMetrics.Render(status, Now));
        string path = $"connection=\"{connection.Config.FileName}\",path=\"0\"";
        Assert.Equal("1", s[$"mptfast_path_status{{{path},status=\"down_144\"}}"]);
        Assert.Equal("0", s[$"mptfast_path_status{{{path},status=\"ok\"}}"]);
        Assert.Equal("0", s[$"mptfast_path_up{{{path}}}"]);
    }
}
