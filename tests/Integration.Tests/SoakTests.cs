using System.Globalization;
using System.Text.Json;
using MptFast.Integration.Tests.Support;
using MptFast.Tests.Common;

namespace MptFast.Integration.Tests;

/// <summary>
/// Issue 14 item 5: the 1-minute soak CI runs (scripts/soak.sh, 30 s warm-up + 1 min): TCP both ways and a
/// sequence-checked UDP stream through a 2-path tunnel while path 2 flaps, both daemons reload and a hostile sender
/// mutates datagrams at both ports of both daemons. The script's own checks decide (byte-exact transfers, no damaged
/// UDP datagram, daemons alive, RSS and descriptors flat, every received datagram counted); this test asserts that it
/// passed, that each part really ran, and that it cleaned up.
/// </summary>
public class SoakTests
{
    [Fact]
    public void One_minute_soak_passes_every_check_and_cleans_up()
    {
        TestEnvironment.RequireRoot();
        using var dir = new TempDir();
        string prefix = "mfsk" + (Environment.ProcessId % 10000).ToString(CultureInfo.InvariantCulture);
        ProcResult r = Proc.Run(TimeSpan.FromMinutes(5), "bash", Path.Combine(SharedFiles.RepoRoot, "scripts", "soak.sh"),
            "--minutes", "1", "--out", dir.Path, "--prefix", prefix, "--mptfast", TestEnvironment.MptfastBinary);

        Assert.False(File.Exists($"/run/netns/{prefix}a") || File.Exists($"/run/netns/{prefix}b"), $"the soak left {prefix}a/b behind:\n{r.All}");
        Assert.True(r.ExitCode == 0, $"soak.sh exited {r.ExitCode}:\n{r.All}");
        Assert.Contains("soak: pass", r.Stdout, StringComparison.Ordinal);

        string json = Directory.GetFiles(dir.Path, "*-soak-1min.json").Single();
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement root = doc.RootElement;
        Assert.Equal(0, root.GetProperty("errors").GetArrayLength());
        foreach (string direction in new[] { "a->b", "b->a" })
        {
            JsonElement tcp = root.GetProperty("tcp").GetProperty(direction);
            Assert.True(tcp.GetProperty("transfers").GetInt32() >= 2, $"too few TCP transfers {direction}: {tcp}");
        }

        Assert.True(root.GetProperty("udp").GetProperty("received").GetProperty("received").GetInt64() > 10_000);
        Assert.True(root.GetProperty("flaps_carrier").GetInt32() >= 5 && root.GetProperty("flaps_drop").GetInt32() >= 5, "path 2 did not flap both ways");
        Assert.True(root.GetProperty("reloads").GetArrayLength() >= 2, "no reload of each daemon");
        foreach (string side in new[] { "a", "b" })
        {
            JsonElement h = root.GetProperty("hostile_counted").GetProperty(side);
            Assert.True(h.GetProperty("data_sent").GetInt64() > 5_000 && h.GetProperty("data_drops").GetInt64() > 1_000, $"hostile data at {side}: {h}");
            Assert.True(h.GetProperty("control_rejected").GetInt64() > 1_000, $"hostile control at {side}: {h}");
        }
    }
}
