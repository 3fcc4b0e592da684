using MptFast.Tests.Common;

namespace MptFast.Integration.Tests.Support;

/// <summary>
/// scripts/package.sh run once for a test class, on the binary scripts/test.sh published (no second publish), and
/// its .deb unpacked with <c>dpkg-deb -x</c> into a temporary root. A failed build is kept as a result, not thrown,
/// so each test reports the script's output.
/// </summary>
public sealed class DebianPackage : IDisposable
{
    private readonly TempDir _dir = new();

    public DebianPackage()
    {
        Build = Proc.Run(TimeSpan.FromMinutes(5), "bash", Path.Combine(SharedFiles.RepoRoot, "scripts", "package.sh"),
            "--binary", TestEnvironment.MptfastBinary, "--out", _dir.Sub("out"));
        Root = _dir.Sub("root");
        string[] debs = Directory.GetFiles(Path.Combine(_dir.Path, "out"), "*.deb");
        if (Build.ExitCode == 0 && debs.Length == 1)
        {
            Deb = debs[0];
            Unpack = Proc.Run(TimeSpan.FromSeconds(60), "dpkg-deb", "-x", Deb, Root);
        }
    }

    /// <summary>The output of scripts/package.sh (lintian's report included).</summary>
    internal ProcResult Build { get; }

    internal ProcResult? Unpack { get; }

    public string? Deb { get; }

    /// <summary>The unpacked tree: Root/usr/sbin/mptfast and so on.</summary>
    public string Root { get; }

    /// <summary>The version on line 1 of contrib/debian/changelog, which names the package.</summary>
    public static string ChangelogVersion
    {
        get
        {
            string first = File.ReadLines(Path.Combine(SharedFiles.RepoRoot, "contrib", "debian", "changelog")).First();
            return first[(first.IndexOf('(', StringComparison.Ordinal) + 1)..first.IndexOf(')', StringComparison.Ordinal)];
        }
    }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>Fails with the script's output unless the package was built and unpacked.</summary>
    public void AssertBuilt()
    {
        Assert.True(Build.ExitCode == 0 && Deb is not null, $"scripts/package.sh exited {Build.ExitCode}:\n{Build.All}");
        Assert.True(Unpack is { ExitCode: 0 }, $"dpkg-deb -x failed: {Unpack?.All}");
    }

    public void Dispose() => _dir.Dispose();
}
