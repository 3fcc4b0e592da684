using System.Text.RegularExpressions;
using MptFast.Integration.Tests.Support;
using MptFast.Tests.Common;

namespace MptFast.Integration.Tests;

/// <summary>
/// A first run without warnings (issue 16): <c>mptfast init-config</c> writes the configuration we recommend —
/// SHA-256 control authentication (auth_type 2, MPT-SPEC §4.4) with one fresh key shared by both sides, files only
/// their owner can read — and <c>mptfast check</c> has nothing to say about it. The demo runs on it.
/// </summary>
public partial class InitConfigTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(30);

    private static ProcResult Mptfast(params string[] args) => Proc.Run(Short, TestEnvironment.MptfastBinary, args);

    private static string[] ConnectionFiles(string dir) => Directory.GetFiles(Path.Combine(dir, "connections"), "*.conf");

    /// <summary>The one auth_key of a connection file (an absent or doubled key fails the test).</summary>
    private static string KeyOf(string file)
    {
        string[] keys = [.. AuthKeyLine().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value)];
        Assert.True(keys.Length == 1, $"{file} has {keys.Length} auth_key lines:\n{File.ReadAllText(file)}");
        return keys[0];
    }

    private static string WriteBothSides(TempDir dir, params string[] extra)
    {
        ProcResult r = Mptfast(["init-config", .. extra, "--peer-dir", Path.Combine(dir.Path, "b"), Path.Combine(dir.Path, "a")]);
        Assert.True(r.ExitCode == 0, $"init-config exited {r.ExitCode}: {r.All}");
        return r.Stdout;
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public void Both_sides_pass_check_without_a_warning_and_share_one_fresh_sha256_key(string paths)
    {
        using var dir = new TempDir();
        WriteBothSides(dir, "--paths", paths);

        foreach (string side in (string[])["a", "b"])
        {
            ProcResult check = Mptfast("check", "-c", Path.Combine(dir.Path, side));
            Assert.True(check.ExitCode == 0, $"check {side} exited {check.ExitCode}: {check.All}");
            Assert.DoesNotContain("warning", check.Stderr, StringComparison.OrdinalIgnoreCase);
            Assert.Contains($"{(paths == "1" ? 2 : 4)} path(s), 0 warning(s)", check.Stdout, StringComparison.Ordinal);
        }

        string[] files = [.. ConnectionFiles(dir.Sub("a")), .. ConnectionFiles(dir.Sub("b"))];
        Assert.Equal(4, files.Length);
        string[] keys = [.. files.Select(KeyOf).Distinct()];
        Assert.True(keys.Length == 1, "the sides' keys differ: " + string.Join(", ", keys));
        Assert.Matches("^[0-9A-F]{64}$", keys[0]);
        Assert.NotEqual(Engine.Config.ConnectionConfig.DefaultAuthKey, keys[0]);
        Assert.All(files, f => Assert.Matches(@"(?m)^auth_type\s*=\s*2\s*$", File.ReadAllText(f)));
    }

    [Fact]
    public void Files_are_mode_0600_and_new_directories_0700_also_when_force_overwrites_a_readable_file()
    {
        using var dir = new TempDir();
        string a = Path.Combine(dir.Path, "etc", "a");
        string readable = Path.Combine(a, "connections", "tunnel.conf");
        Directory.CreateDirectory(Path.GetDirectoryName(readable)!);
        File.WriteAllText(readable, "old");
        File.SetUnixFileMode(readable, (UnixFileMode)0b110_100_100); // 0644

        ProcResult refused = Mptfast("init-config", "--peer-dir", Path.Combine(dir.Path, "b"), a);
        Assert.True(refused.ExitCode == 1 && refused.Stderr.Contains("--force", StringComparison.Ordinal), refused.All);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "b")), "a refusal wrote the other side");

        ProcResult r = Mptfast("init-config", "--force", "--peer-dir", Path.Combine(dir.Path, "b"), a);
        Assert.True(r.ExitCode == 0, r.All);
        string[] written = [.. Directory.GetFiles(a, "*", SearchOption.AllDirectories), .. Directory.GetFiles(Path.Combine(dir.Path, "b"), "*", SearchOption.AllDirectories)];
        Assert.Equal(6, written.Length);
        Assert.All(written, f => Assert.True(File.GetUnixFileMode(f) == (UnixFileMode.UserRead | UnixFileMode.UserWrite), $"{f}: {File.GetUnixFileMode(f)}"));
        Assert.Matches("^[0-9A-F]{64}$", KeyOf(readable));

        const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(Owner, File.GetUnixFileMode(Path.Combine(dir.Path, "b")));
        Assert.Equal(Owner, File.GetUnixFileMode(Path.Combine(dir.Path, "b", "connections")));
    }

    [Fact]
    public void Two_runs_draw_different_keys()
    {
        using var one = new TempDir();
        using var two = new TempDir();
        WriteBothSides(one);
        WriteBothSides(two);
        Assert.NotEqual(KeyOf(ConnectionFiles(one.Sub("a"))[0]), KeyOf(ConnectionFiles(two.Sub("a"))[0]));
    }

    [Fact]
    public void Auth_key_option_writes_the_given_key_and_refuses_a_malformed_or_public_one()
    {
        using var dir = new TempDir();
        const string Key = "0F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C4B5A69788796A5B4C3D2E1F0";
        ProcResult r = Mptfast("init-config", "--side", "b", "--auth-key", Key, dir.Path);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.All(ConnectionFiles(dir.Path), f => Assert.Equal(Key, KeyOf(f)));
        Assert.Contains("--auth-key", r.Stdout, StringComparison.Ordinal); // tells how to give the peer the same key

        // "-" reads the key from standard input, so it need not stand on a command line (ps, shell history).
        string fromStdin = Path.Combine(dir.Path, "stdin");
        ProcResult piped = Proc.Run(Short, "bash", "-c", "printf '%s\\n' \"$2\" | \"$0\" init-config --auth-key - \"$1\"", TestEnvironment.MptfastBinary, fromStdin, Key);
        Assert.True(piped.ExitCode == 0, piped.All);
        Assert.All(ConnectionFiles(fromStdin), f => Assert.Equal(Key, KeyOf(f)));

        foreach (string bad in (string[])["0", Key[..63] + "G", Engine.Config.ConnectionConfig.DefaultAuthKey])
        {
            ProcResult refused = Mptfast("init-config", "--auth-key", bad, Path.Combine(dir.Path, "other"));
            Assert.True(refused.ExitCode == 2 && refused.Stderr.Contains("64 hex digits", StringComparison.Ordinal), $"{bad}: {refused.All}");
        }

        Assert.False(Directory.Exists(Path.Combine(dir.Path, "other")));
    }

    /// <summary>The key is not only equal on paper: a path change on a is authenticated by b (SHA-256 over that key).</summary>
    [Fact]
    public void The_two_sides_authenticate_a_path_change_with_the_shared_key()
    {
        using var dir = new TempDir();
        WriteBothSides(dir);
        using var tb = new Testbed(paths: 2, v6: false);
        using DaemonProcess a = DaemonProcess.Start(tb.A, dir.Sub("a"));
        using DaemonProcess b = DaemonProcess.Start(tb.B, dir.Sub("b"));

        ProcResult down = a.Cli("path", "down", "198.18.2.1", "198.18.2.2");
        Assert.True(down.ExitCode == 0, $"{down.All}\n{a.Log}");
        WaitUntil(() => DaemonProcess.PathOf(b.Status(), 0, 1).GetProperty("status").GetInt32() == 0x80, "b's path 1 at 0x80", b);
        WaitUntil(() => a.Status().GetProperty("control").GetProperty("notifications_acknowledged").GetInt64() >= 1, "a sees the acknowledgement", a);
        Assert.Equal(0, b.Status().GetProperty("control").GetProperty("rejected").GetProperty("auth_failed").GetInt64());
        Assert.All(b.Status().GetProperty("connections").EnumerateArray(), c => Assert.Equal(2, c.GetProperty("auth_type").GetInt32()));
    }

    [Fact]
    public void Demo_script_runs_the_tunnel_on_the_init_config_output_without_warnings()
    {
        TestEnvironment.RequireRoot();
        string prefix = "mfdemo" + (Environment.ProcessId % 10000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            ProcResult r = Proc.Run(TimeSpan.FromMinutes(3), "env", "MPTFAST_DEMO_PREFIX=" + prefix, "MPTFAST_BIN=" + TestEnvironment.MptfastBinary,
                "bash", Path.Combine(SharedFiles.RepoRoot, "scripts", "demo.sh"), "--seconds", "1");
            Assert.True(r.ExitCode == 0, $"demo.sh exited {r.ExitCode}:\n{r.All}");
            Assert.Contains("demo: ok", r.Stdout, StringComparison.Ordinal);
            Assert.Equal(2, Regex.Count(r.Stdout, @": ok: tunnel tun0, 2 connection\(s\), 4 path\(s\), 0 warning\(s\)"));
            Assert.DoesNotContain("warning:", r.All, StringComparison.Ordinal);
            Assert.Matches(@"throughput: \d+\.\d+ Gbit/s", r.Stdout);
            Assert.False(File.Exists($"/run/netns/{prefix}a") || File.Exists($"/run/netns/{prefix}b"), "the demo left its namespaces behind");
        }
        finally
        {
            Proc.Run(TimeSpan.FromSeconds(60), "bash", TestEnvironment.TestbedScript, "--prefix", prefix, "down");
        }
    }

    private static void WaitUntil(Func<bool> condition, string what, DaemonProcess d) =>
        Wait.Until(condition, TimeSpan.FromSeconds(10), what, () => d.Log, pollMs: 100);

    [GeneratedRegex(@"(?m)^auth_key\s*=\s*(\S+)")]
    private static partial Regex AuthKeyLine();
}
