using System.Globalization;
using System.Text.Json;
using MptFast.Integration.Tests.Support;
using MptFast.Tests.Common;

namespace MptFast.Integration.Tests;

/// <summary>
/// Prometheus metrics of a live daemon (issue 16): served at /metrics where interface.conf's metrics_listen says (and
/// where run --metrics says instead), printed once by `mptfast metrics`; both pass `promtool check metrics`, and every
/// counter of `status --json` is a metric with the same value.
/// </summary>
public class MetricsTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(30);

    [Fact]
    public void Metrics_pass_promtool_and_equal_status_json_and_run_metrics_overrides_the_config()
    {
        var spec = new TunnelSpec([new PathSpec(1), new PathSpec(2)]) { ReorderWindow = 16 };
        using var t = new TunnelFixture(spec, (dir, _) => File.AppendAllText(Path.Combine(dir, "interface.conf"), "\n[general]\nmetrics_listen = [::1]:9478\n"));
        t.Ping('a', v6: false);
        t.Ping('a', v6: true);
        t.Transfer(2_000_000);
        Assert.Equal(0, t.A.Cli("path", "down", "198.18.2.1", "198.18.2.2").ExitCode);

        (int code, string contentType, string served) = Get(t, "http://[::1]:9478/metrics");
        Assert.Equal(200, code);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", contentType);
        Promtool(served);
        ProcResult once = Proc.Run(Short, "ip", "netns", "exec", t.Testbed.A, TestEnvironment.MptfastBinary, "metrics", "-c", t.A.ConfDir);
        Assert.True(once.ExitCode == 0, once.All);
        Promtool(once.Stdout);
        Assert.Equal(Samples(served).Keys.Order(), Samples(once.Stdout).Keys.Order()); // the same series either way

        AssertEqualToStatusJson(t);

        Assert.Equal(404, Get(t, "http://[::1]:9478/").Code);
        Assert.Equal(405, Get(t, "http://[::1]:9478/metrics", "POST").Code);
        (int headCode, _, string headBody) = Get(t, "http://[::1]:9478/metrics", "HEAD");
        Assert.Equal((200, ""), (headCode, headBody));

        // --metrics wins over metrics_listen; a bare port is loopback.
        t.A.Stop();
        using DaemonProcess a = DaemonProcess.Start(t.Testbed.A, t.A.ConfDir, "--metrics", "9477");
        Assert.Equal(200, Get(t, "http://127.0.0.1:9477/metrics").Code);
        ProcResult refused = t.Testbed.Exec('a', Short, Proc.Python, Script, "http://[::1]:9478/metrics");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Connection refused", refused.All, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_refuses_a_metrics_address_that_is_not_one()
    {
        ProcResult r = Proc.Run(Short, TestEnvironment.MptfastBinary, "run", "--metrics", "localhost:9477");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--metrics 'localhost:9477': 'localhost' is not an IP address", r.Stderr, StringComparison.Ordinal);
    }

    private static string Script => Path.Combine(TestEnvironment.ScriptsDir, "http_get.py");

    private static (int Code, string ContentType, string Body) Get(TunnelFixture t, string url, string method = "GET")
    {
        string output = t.Testbed.ExecCheck('a', Short, Proc.Python, Script, "--method", method, url);
        string[] parts = output.Split('\n', 4);
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), parts[1], parts[3]);
    }

    private static void Promtool(string text)
    {
        Assert.Contains("mptfast_path_tx_bytes_total{", text, StringComparison.Ordinal); // promtool passes an empty text too
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "metrics.prom");
        File.WriteAllText(file, text);
        ProcResult r = Proc.Run(Short, "sh", "-c", "promtool check metrics < \"$0\"", file);
        Assert.True(r.ExitCode == 0 && r.All.Trim().Length == 0, $"promtool check metrics exited {r.ExitCode}: {r.All}");
    }

    private static Dictionary<string, double> Samples(string text) =>
        PrometheusText.Samples(text).ToDictionary(kv => kv.Key, kv => PrometheusText.Number(kv.Value), StringComparer.Ordinal);

    /// <summary>
    /// Every counter in status --json has its metric with the same value. Keepalives move the counters every second,
    /// so the comparison is made from a metrics text taken between two equal JSON snapshots.
    /// </summary>
    private static void AssertEqualToStatusJson(TunnelFixture t)
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            Dictionary<string, double> before = Expected(t.A.Status());
            Dictionary<string, double> metrics = Samples(Get(t, "http://[::1]:9478/metrics").Body);
            Dictionary<string, double> after = Expected(t.A.Status());
            if (!before.SequenceEqual(after))
            {
                continue;
            }

            Assert.True(before.Count > 100, $"only {before.Count} values compared");
            foreach ((string series, double value) in before)
            {
                Assert.True(metrics.TryGetValue(series, out double actual), $"no metric {series}");
                Assert.True(actual == value, $"{series}: {actual} in the metrics, {value} in status --json");
            }

            return;
        }

        Assert.Fail("status --json never held still long enough to compare");
    }

    // What status --json says, as the metrics name it.
    private static Dictionary<string, double> Expected(JsonElement status)
    {
        var e = new Dictionary<string, double>(StringComparer.Ordinal);
        Group(e, status.GetProperty("tunnel").GetProperty("datapath"), "mptfast_datapath_", "");
        JsonElement control = status.GetProperty("control");
        foreach (JsonProperty p in control.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number && p.Name != "rejected_total"))
        {
            bool gauge = p.Name is "handshakes_active" or "notification_retries_pending";
            e["mptfast_control_" + p.Name + (gauge ? "" : "_total") + "{}"] = p.Value.GetDouble();
        }

        Reasons(e, control.GetProperty("rejected"), "mptfast_control_rejected_total", "");
        e["mptfast_datapath_thread_allocated_bytes{thread=\"tx\"}"] = status.GetProperty("tunnel").GetProperty("tx_thread_allocated_bytes").GetDouble();
        foreach (JsonElement c in status.GetProperty("connections").EnumerateArray())
        {
            string connection = $"connection=\"{c.GetProperty("file").GetString()}\"";
            e[$"mptfast_connection_dropped_total{{{connection},reason=\"no_path\"}}"] = c.GetProperty("dropped_no_path").GetDouble();
            Group(e, c.GetProperty("reorder"), "mptfast_connection_reorder_", connection);
            foreach (JsonElement p in c.GetProperty("paths").EnumerateArray())
            {
                string path = $"{connection},path=\"{p.GetProperty("index").GetInt32()}\"";
                foreach (string name in (string[])["tx_packets", "tx_bytes", "rx_packets", "rx_bytes", "keepalives_sent", "keepalives_received"])
                {
                    e[$"mptfast_path_{name}_total{{{path}}}"] = p.GetProperty(name).GetDouble();
                }

                Group(e, p.GetProperty("socket"), "mptfast_path_socket_", path);
                Reasons(e, p.GetProperty("drops"), "mptfast_path_dropped_total", path);
                e[$"mptfast_path_status{{{path},status=\"{p.GetProperty("status_name").GetString()}\"}}"] = 1;
                e[$"mptfast_path_up{{{path}}}"] = p.GetProperty("status").GetInt32() == 0 ? 1 : 0;
                e[$"mptfast_path_weight{{{path},direction=\"out\"}}"] = p.GetProperty("weight_out").GetDouble();
            }
        }

        return e;
    }

    // A counter list: NAME → PREFIX NAME _total, *dropped_REASON → PREFIX *dropped_total{reason}.
    private static void Group(Dictionary<string, double> e, JsonElement group, string prefix, string labels)
    {
        foreach (JsonProperty p in group.EnumerateObject())
        {
            int dropped = p.Name.IndexOf("dropped_", StringComparison.Ordinal);
            if (p.Name.EndsWith("_us", StringComparison.Ordinal))
            {
                // A sum of durations (the datapath's paused_us): a counter in seconds.
                e[$"{prefix}{p.Name[..^3]}_seconds_total{{{labels}}}"] = p.Value.GetDouble() * 1e-6;
                continue;
            }

            string series = dropped >= 0
                ? $"{prefix}{p.Name[..(dropped + 7)]}_total{{{(labels.Length > 0 ? labels + "," : "")}reason=\"{p.Name[(dropped + 8)..]}\"}}"
                : $"{prefix}{p.Name}_total{{{labels}}}";
            e[series] = p.Value.GetDouble();
        }
    }

    private static void Reasons(Dictionary<string, double> e, JsonElement group, string family, string labels)
    {
        foreach (JsonProperty p in group.EnumerateObject())
        {
            e[$"{family}{{{(labels.Length > 0 ? labels + "," : "")}reason=\"{p.Name}\"}}"] = p.Value.GetDouble();
        }
    }
}
