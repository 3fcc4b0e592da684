using System.Text.RegularExpressions;
using MptFast.Integration.Tests.Support;
using MptFast.Tests.Common;

namespace MptFast.Integration.Tests;

/// <summary>
/// The Debian package as an administrator gets it (issue 16): scripts/package.sh builds it and lintian passes it,
/// and what <c>dpkg-deb -x</c> unpacks runs — the binary and its faces, the manual pages, the systemd units (which
/// <c>systemd-analyze verify</c> accepts) and the bash completion.
/// </summary>
public class PackageTests(DebianPackage package) : IClassFixture<DebianPackage>
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(30);

    private string Sbin(string name) => package.PathOf(Path.Combine("usr", "sbin", name));

    [Fact]
    public void Package_is_named_after_the_changelog_version_and_lintian_finds_no_error_and_no_warning()
    {
        package.AssertBuilt();
        string version = DebianPackage.ChangelogVersion;
        Assert.Equal($"mptfast_{version}_amd64.deb", Path.GetFileName(package.Deb));
        Assert.Contains("== lintian", package.Build.Stdout, StringComparison.Ordinal);
        string[] findings = [.. package.Build.All.Split('\n').Where(l => Regex.IsMatch(l, "^[EW]: "))];
        Assert.True(findings.Length == 0, "lintian:\n" + string.Join('\n', findings));

        Assert.Equal("mptfast", Field("Package"));
        Assert.Equal(version, Field("Version"));
        Assert.Equal("amd64", Field("Architecture"));
        Assert.Matches(@"^libc6 \(>= [0-9.]+\), iproute2$", Field("Depends"));
    }

    [Fact]
    public void Unpacked_binary_reports_the_version_answers_as_mpt_and_mptsrv_and_checks_the_example_configuration()
    {
        package.AssertBuilt();
        ProcResult version = Proc.Run(Short, Sbin("mptfast"), "--version");
        Assert.True(version.ExitCode == 0, version.All);
        Assert.StartsWith($"mptfast {DebianPackage.ChangelogVersion}", version.Stdout, StringComparison.Ordinal);

        Assert.Equal("mptfast", new FileInfo(Sbin("mpt")).LinkTarget);
        Assert.Equal("mptfast", new FileInfo(Sbin("mptsrv")).LinkTarget);
        ProcResult mpt = Proc.Run(Short, Sbin("mpt"), "reload", "--help");
        Assert.True(mpt.ExitCode == 0 && mpt.Stdout.Contains("reload [FILE]", StringComparison.Ordinal), mpt.All);
        ProcResult mptsrv = Proc.Run(Short, Sbin("mptsrv"), "--help");
        Assert.True(mptsrv.ExitCode == 0 && mptsrv.Stdout.Contains("mptsrv [-d]", StringComparison.Ordinal), mptsrv.All);

        // The examples are init-config's files without a key: valid, and the key is the one thing check points out.
        foreach (string side in (string[])["a", "b"])
        {
            string dir = package.PathOf($"usr/share/doc/mptfast/examples/{side}");
            ProcResult check = Proc.Run(Short, Sbin("mptfast"), "check", "-c", dir);
            Assert.True(check.ExitCode == 0, check.All);
            Assert.Contains("2 connection(s), 4 path(s), 2 warning(s)", check.Stdout, StringComparison.Ordinal);
            Assert.All(check.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries),
                w => Assert.Contains(": auth_key: the default key is public", w, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Package_holds_the_units_manuals_completion_examples_copyright_and_changelog()
    {
        package.AssertBuilt();
        foreach (string file in (string[])["lib/systemd/system/mptfast.service", "lib/systemd/system/mptfast@.service",
                     "usr/share/man/man8/mptfast.8.gz", "usr/share/man/man5/mptfast.conf.5.gz",
                     "usr/share/bash-completion/completions/mptfast", "usr/share/doc/mptfast/copyright",
                     "usr/share/doc/mptfast/changelog.gz", "usr/share/doc/mptfast/examples/README",
                     "usr/share/doc/mptfast/examples/a/interface.conf", "usr/share/doc/mptfast/examples/b/connections/tunnel.conf"])
        {
            Assert.True(File.Exists(package.PathOf(file)), $"{file} is not in the package");
        }

        foreach (string link in (string[])["usr/share/man/man8/mpt.8.gz", "usr/share/man/man8/mptsrv.8.gz",
                     "usr/share/bash-completion/completions/mpt", "usr/share/bash-completion/completions/mptsrv"])
        {
            Assert.True(File.Exists(package.PathOf(link)) && new FileInfo(package.PathOf(link)).LinkTarget is not null, $"{link} is not a link into the package");
        }

        foreach (string unit in (string[])["mptfast.service", "mptfast@.service"])
        {
            Assert.Equal(File.ReadAllText(Path.Combine(SharedFiles.RepoRoot, "contrib", "systemd", unit)),
                File.ReadAllText(package.PathOf("lib/systemd/system/" + unit)));
        }
    }

    [Theory]
    [InlineData("mptfast.8.gz", "man8", new[] { "NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "SIGNALS", "SERVICE", "METRICS", "FILES", "EXIT STATUS", "EXAMPLES", "SEE ALSO" })]
    [InlineData("mptfast.conf.5.gz", "man5", new[] { "NAME", "SYNOPSIS", "DESCRIPTION", "INTERFACE.CONF", "CONNECTION FILES", "ADAPTIVE SCHEDULING", "CONF.TEMPLATE", "AUTHENTICATION", "DIFFERENCES FROM MPT", "EXAMPLES", "SEE ALSO" })]
    public void Manual_page_renders_without_groff_warnings_with_its_sections(string page, string section, string[] headings)
    {
        package.AssertBuilt();
        ProcResult man = Proc.Run(Short, "env", "MANWIDTH=80", "man", "--warnings", "-E", "UTF-8", "-l", package.PathOf($"usr/share/man/{section}/{page}"));
        Assert.True(man.ExitCode == 0 && man.Stderr.Length == 0, $"man exited {man.ExitCode}: {man.Stderr}");
        string[] found = [.. man.Stdout.Split('\n').Where(l => l.Length > 0 && !char.IsWhiteSpace(l[0])).Select(l => l.Trim())];
        Assert.Equal(headings, found[1..^1]); // between the header and the footer line
    }

    /// <summary>
    /// The units as packaged. verify checks that ExecStart= is executable and that the Documentation= pages exist, so
    /// it sees the unpacked tree: a copy of each unit with /usr/sbin/mptfast moved under it, MANPATH at its pages.
    /// The template is verified as an instance, so its specifiers are resolved.
    /// </summary>
    [Theory]
    [InlineData("mptfast.service", "mptfast.service")]
    [InlineData("mptfast@.service", "mptfast@test.service")]
    public void Unit_passes_systemd_analyze_verify_against_the_unpacked_package(string unit, string verifiedAs)
    {
        package.AssertBuilt();
        string text = File.ReadAllText(package.PathOf("lib/systemd/system/" + unit));
        Assert.Contains("ExecStart=/usr/sbin/mptfast run -c /etc/mptfast", text, StringComparison.Ordinal);
        using var dir = new TempDir();
        string copy = Path.Combine(dir.Path, verifiedAs);
        File.WriteAllText(copy, text.Replace("/usr/sbin/mptfast", Sbin("mptfast"), StringComparison.Ordinal));

        ProcResult verify = Proc.Run(Short, "env", "MANPATH=" + package.PathOf("usr/share/man"), "systemd-analyze", "verify", copy);
        Assert.True(verify.ExitCode == 0, $"systemd-analyze verify exited {verify.ExitCode}: {verify.All}");
        Assert.True(verify.All.Trim().Length == 0, "systemd-analyze verify has remarks: " + verify.All); // unknown keys are only remarks
    }

    [Fact]
    public void Bash_completion_completes_commands_options_and_connection_file_names()
    {
        package.AssertBuilt();
        using var dir = new TempDir();
        ProcResult init = Proc.Run(Short, TestEnvironment.MptfastBinary, "init-config", Path.Combine(dir.Path, "conf"));
        Assert.True(init.ExitCode == 0, init.All);
        string script = $$"""
            source '{{package.PathOf("usr/share/bash-completion/completions/mptfast")}}'
            complete -p mptfast mpt mptsrv
            t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _mptfast; echo "[$*] ${COMPREPLY[*]}"; }
            t mptfast st
            t mpt s
            t mptsrv --no
            t mptfast -c '{{dir.Path}}/conf' reload tu
            t mptfast init-config --side ''
            t mptfast int lo ''
            t mptfast show status --j
            """;
        ProcResult r = Proc.Run(Short, "bash", "--norc", "-c", script);
        Assert.True(r.ExitCode == 0 && r.Stderr.Length == 0, r.All);
        string[] lines = r.Stdout.TrimEnd().Split('\n');
        Assert.Equal(
            [
                "complete -F _mptfast mptfast", "complete -F _mptfast mpt", "complete -F _mptfast mptsrv",
                "[mptfast st] status", "[mpt s] show save", "[mptsrv --no] --no-offload",
                $"[mptfast -c {dir.Path}/conf reload tu] tunnel.conf tunnel6.conf",
                "[mptfast init-config --side ] a b", "[mptfast int lo ] up down", "[mptfast show status --j] --json",
            ],
            lines);
    }

    private string Field(string name) =>
        Proc.Check(Short, "dpkg-deb", "--field", package.Deb!, name).Trim();
}
