using System.Globalization;
using System.Text.Json;
using MptFast.Integration.Tests.Support;
using MptFast.Tests.Common;

namespace MptFast.Integration.Tests;

/// <summary>
/// The performance harness (perf/run.sh) as a user runs it: a shortened quick run must exit 0, write the
/// JSON, Markdown and PNG results with the requested scenarios and loads (iperf3's tcp1 and UdpLoad's udp64mmsg),
/// and leave no namespace behind. The figures themselves are not asserted (no timing assertions in tests), only
/// that every load delivered something.
/// </summary>
public class PerfHarnessTests
{
    private static readonly string[] SmokeScenarios = ["veth", "vxlan", "mptfast-1path"];

    private static string RunScript => Path.Combine(SharedFiles.RepoRoot, "perf", "run.sh");

    [Fact]
    public void Quick_run_writes_json_markdown_and_plot_with_the_requested_scenarios_and_cleans_up()
    {
        TestEnvironment.RequireRoot();
        string binary = TestEnvironment.MptfastBinary;
        using var dir = new TempDir();
        string prefix = "mfpt" + (Environment.ProcessId % 10000).ToString(CultureInfo.InvariantCulture);
        try
        {
            ProcResult r = Proc.Run(TimeSpan.FromMinutes(5), "bash", RunScript, "--quick", "--runs", "1", "--seconds", "1",
                "--only", string.Join(',', SmokeScenarios), "--loads", "tcp1,udp64mmsg", "--out", dir.Path, "--prefix", prefix,
                "--mptfast", binary, "--profile", "mptfast-1path");

            Assert.False(File.Exists($"/run/netns/{prefix}a") || File.Exists($"/run/netns/{prefix}b"),
                $"the harness left namespace {prefix}a/b behind:\n{r.All}");
            string json = SingleFile(dir.Path, "*.json", r);
            string md = SingleFile(dir.Path, "*.md", r);
            string png = SingleFile(dir.Path, "*.png", r);
            Assert.Equal(Path.GetFileNameWithoutExtension(json), Path.GetFileNameWithoutExtension(md));
            Assert.Equal(Path.GetFileNameWithoutExtension(json), Path.GetFileNameWithoutExtension(png));

            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
            JsonElement root = doc.RootElement;
            Assert.Equal("mptfast-perf/1", root.GetProperty("schema").GetString());
            string[] names = [.. root.GetProperty("scenarios").EnumerateArray().Select(s => s.GetProperty("name").GetString()!)];
            Assert.Equal(SmokeScenarios, names);
            foreach (JsonElement s in root.GetProperty("scenarios").EnumerateArray())
            {
                Assert.True(s.GetProperty("metrics").TryGetProperty("tcp1_gbps", out _), $"{s.GetProperty("name")} has no tcp1_gbps: {s}");
                Assert.True(s.GetProperty("metrics").TryGetProperty("udp64mmsg_kpps", out JsonElement kpps)
                            && kpps.GetProperty("median").ValueKind == JsonValueKind.Number && kpps.GetProperty("median").GetDouble() > 0,
                    $"{s.GetProperty("name")} has no udp64mmsg_kpps figure: {s}");
            }

            Assert.Equal(1, root.GetProperty("options").GetProperty("runs").GetInt32());
            Assert.False(string.IsNullOrEmpty(root.GetProperty("machine").GetProperty("git_commit").GetString()));

            string table = File.ReadAllText(md);
            foreach (string name in SmokeScenarios)
            {
                Assert.Contains($"| {name} | tcp1_gbps |", table, StringComparison.Ordinal);
                Assert.Contains($"| {name} | udp64mmsg_kpps |", table, StringComparison.Ordinal);
            }

            Assert.Contains("UDP 64 B mmsg kpkt/s", table, StringComparison.Ordinal);

            // The profiled scenario has a perf breakdown where perf exists, else the reason it has none.
            JsonElement profiled = root.GetProperty("scenarios").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "mptfast-1path");
            Assert.True(profiled.TryGetProperty("profile", out JsonElement profile), $"no profile: {profiled}");
            Assert.Contains("## Profile: mptfast-1path, tcp1", table, StringComparison.Ordinal);
            if (PerfRecordWorks())
            {
                Assert.False(profile.TryGetProperty("error", out JsonElement error), $"profile failed: {error}\n{r.All}");
                double threads = profile.GetProperty("threads").EnumerateArray().Sum(t => t.GetProperty("percent").GetDouble());
                Assert.True(threads > 50, $"the per-thread shares add up to {threads} %: {profile}");
                Assert.Contains(profile.GetProperty("threads").EnumerateArray(), t => t.GetProperty("thread").GetString()!.StartsWith("mptfast", StringComparison.Ordinal));
            }
            else
            {
                Assert.False(string.IsNullOrEmpty(profile.GetProperty("error").GetString()), $"perf cannot record here, yet the profile has no reason: {profile}");
            }

            byte[] head = File.ReadAllBytes(png)[..8];
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, head);

            // Last, so that a failed scenario still shows the checks above; the message carries the harness's reasons.
            Assert.True(r.ExitCode == 0, $"perf/run.sh exited {r.ExitCode}:\n{r.All}\n{table}");
        }
        finally
        {
            // Only needed when the harness itself was killed (timeout): the testbed script removes the namespaces.
            Proc.Run(TimeSpan.FromSeconds(60), "bash", TestEnvironment.TestbedScript, "--prefix", prefix, "down");
        }
    }

    [Fact]
    public void Real_links_scenarios_run_kernel_mptcp_and_mptfast_over_emulated_links_and_report_the_fraction()
    {
        TestEnvironment.RequireRoot();
        string binary = TestEnvironment.MptfastBinary;
        using var dir = new TempDir();
        string prefix = "mfrl" + (Environment.ProcessId % 10000).ToString(CultureInfo.InvariantCulture);
        string[] scenarios = ["rl-15+5-1-25:mptcp", "rl-15+5-1-25:mptfast-static"];
        try
        {
            ProcResult r = Proc.Run(TimeSpan.FromMinutes(5), "bash", RunScript, "--only", string.Join(',', scenarios), "--loads", "tcp1,short256k",
                "--runs", "1", "--seconds", "3", "--interval", "0.5", "--out", dir.Path, "--prefix", prefix, "--mptfast", binary, "--tag", "rl");

            foreach (char ns in "abe")
            {
                Assert.False(File.Exists($"/run/netns/{prefix}{ns}"), $"the harness left namespace {prefix}{ns} behind:\n{r.All}");
            }

            string json = SingleFile(dir.Path, "*-rl.json", r);
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
            foreach (JsonElement s in doc.RootElement.GetProperty("scenarios").EnumerateArray())
            {
                JsonElement fraction = s.GetProperty("metrics").GetProperty("tcp1_fraction").GetProperty("median");
                Assert.True(fraction.ValueKind == JsonValueKind.Number && fraction.GetDouble() > 0.2, $"{s.GetProperty("name")}: {s}");
                // The short transfer's completion time: 256 KiB at 20 Mbit/s take at least 100 ms, and not seconds.
                JsonElement done = s.GetProperty("metrics").GetProperty("short256k_done_ms").GetProperty("median");
                Assert.True(done.ValueKind == JsonValueKind.Number && done.GetDouble() is > 50 and < 5000, $"{s.GetProperty("name")}: {s}");
                // Both emulators carried the load's frames (the queue of path 2, 5 Mbit/s, is the automatic 64 KiB).
                foreach (string path in (string[])["1", "2"])
                {
                    JsonElement ab = s.GetProperty("linkemu").GetProperty(path).GetProperty("ab");
                    Assert.True(ab.GetProperty("forwarded").GetInt64() > 100, $"{s.GetProperty("name")} path {path}: {ab}");
                }

                // --interval 0.5: the TCP load's half-second intervals, each with the sender's window and RTT.
                JsonElement[] detailed = s.GetProperty("iperf3_cpu").EnumerateArray()
                    .Where(raw => raw.ValueKind == JsonValueKind.Object && raw.TryGetProperty("intervals_tcp", out _)).ToArray();
                Assert.True(detailed.Length == 1, $"{s.GetProperty("name")}: one TCP load with intervals_tcp expected: {s}");
                JsonElement[] intervals = detailed[0].GetProperty("intervals_tcp").EnumerateArray().ToArray();
                Assert.True(intervals.Length >= 5 && intervals.All(i => i[2].GetInt32() > 0 && i[3].GetDouble() > 0), $"{s.GetProperty("name")}: {detailed[0]}");

                Assert.Equal(65536, s.GetProperty("config").GetProperty("link_specs").GetProperty("2").GetProperty("queue_bytes").GetInt32());
            }

            string table = File.ReadAllText(SingleFile(dir.Path, "*-rl.md", r));
            Assert.Contains("## Real links", table, StringComparison.Ordinal);
            Assert.Contains("| 256 KB ms |", table, StringComparison.Ordinal);
            Assert.Contains("| rl-15+5-1-25:mptfast-static |", table, StringComparison.Ordinal);   // the targets, checked against MPTCP
            Assert.True(r.ExitCode == 0, $"perf/run.sh exited {r.ExitCode}:\n{r.All}\n{table}");
        }
        finally
        {
            Proc.Run(TimeSpan.FromSeconds(60), "bash", TestEnvironment.TestbedScript, "--prefix", prefix, "down");
            Proc.Run(TimeSpan.FromSeconds(30), "ip", "netns", "del", prefix + "e");
        }
    }

    [Fact]
    public void Unknown_scenario_is_a_usage_error_that_names_it()
    {
        TestEnvironment.RequireRoot();
        using var dir = new TempDir();
        ProcResult r = Proc.Run(TimeSpan.FromSeconds(60), "bash", RunScript, "--only", "veth,no-such-scenario", "--out", dir.Path, "--prefix", "mfptusage");
        Assert.True(r.ExitCode == 2, $"expected exit 2, got {r.ExitCode}:\n{r.All}");
        Assert.Contains("no-such-scenario", r.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir.Path));
        Assert.False(File.Exists("/run/netns/mfptusagea"), "a usage error created namespaces");
    }

    /// <summary>Whether `perf record -a` works on this machine (installed, and allowed to sample).</summary>
    private static bool PerfRecordWorks()
    {
        using var dir = new TempDir();
        try
        {
            return Proc.Run(TimeSpan.FromSeconds(30), "perf", "record", "-a", "-q", "-o", Path.Combine(dir.Path, "probe.data"), "--", "true").ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // not installed
        }
    }

    [Fact]
    public void Profiling_a_scenario_that_is_not_in_the_run_is_a_usage_error()
    {
        TestEnvironment.RequireRoot();
        using var dir = new TempDir();
        ProcResult r = Proc.Run(TimeSpan.FromSeconds(60), "bash", RunScript, "--only", "veth", "--profile", "mptfast-1path", "--out", dir.Path, "--prefix", "mfptusage");
        Assert.True(r.ExitCode == 2, $"expected exit 2, got {r.ExitCode}:\n{r.All}");
        Assert.Contains("mptfast-1path", r.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Help_lists_every_option_the_issue_asks_for()
    {
        ProcResult r = Proc.Run(TimeSpan.FromSeconds(60), "bash", RunScript, "--help");
        Assert.True(r.ExitCode == 0, $"--help exited {r.ExitCode}: {r.All}");
        foreach (string option in (string[])["--quick", "--runs", "--seconds", "--only", "--out", "--no-offload", "--help", "--matrix", "--linkemu", "--tag"])
        {
            Assert.Contains(option, r.Stdout, StringComparison.Ordinal);
        }

        foreach (string scenario in (string[])["veth", "vxlan", "mptfast-1path", "mptfast-2path", "mptfast-2path-reorder64", "mptfast-2path-default",
                     "mptfast-2path-w3-1", "mptfast-2path-shaped100-100", "mptfast-2path-shaped100-20", "rl-dsl-lte:mptcp",
                     "rl-outage:mptfast-reorder", "linkemu-20ms"])
        {
            Assert.Contains(scenario, r.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Failover_script_fails_and_heals_the_pinged_path_and_records_the_run_and_cleans_up()
    {
        TestEnvironment.RequireRoot();
        string binary = TestEnvironment.MptfastBinary;
        using var dir = new TempDir();
        string prefix = "mfpf" + (Environment.ProcessId % 10000).ToString(CultureInfo.InvariantCulture);
        ProcResult r = Proc.Run(TimeSpan.FromMinutes(2), "bash", Path.Combine(SharedFiles.RepoRoot, "perf", "failover.sh"),
            "--runs", "1", "--configs", "100-300", "--modes", "drop", "--out", dir.Path, "--prefix", prefix, "--mptfast", binary);

        Assert.True(r.ExitCode == 0, $"failover.sh exited {r.ExitCode}:\n{r.All}");
        Assert.False(File.Exists($"/run/netns/{prefix}a") || File.Exists($"/run/netns/{prefix}b"), $"namespace {prefix}a/b left behind:\n{r.All}");
        SingleFile(dir.Path, "*-failover.md", r);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(SingleFile(dir.Path, "*-failover.json", r)));
        JsonElement run = doc.RootElement.GetProperty("configs").GetProperty("100-300").GetProperty("modes").GetProperty("drop")[0];
        Assert.InRange(run.GetProperty("path").GetInt32(), 1, 2);
        Assert.True(run.GetProperty("pings_sent").GetInt32() > 200, r.All);
        foreach (string what in (string[])["down_s_per_side", "back_s_per_side"])
        {
            Assert.Equal(["a", "b"], run.GetProperty(what).EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        }
    }

    private static string SingleFile(string dir, string pattern, ProcResult r)
    {
        string[] files = Directory.GetFiles(dir, pattern);
        Assert.True(files.Length == 1, $"expected one {pattern} in {dir}, found {files.Length}; harness output:\n{r.All}");
        return files[0];
    }
}
