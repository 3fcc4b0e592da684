namespace MptFast.Tests.Common;

/// <summary>Finds the project's shared material: <c>../shared</c> beside the repository root (or $MPTFAST_SHARED).</summary>
internal static class SharedFiles
{
    private static readonly Lazy<string> s_repoRoot = new(FindRepoRoot);

    public static string RepoRoot => s_repoRoot.Value;

    public static string SharedRoot
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("MPTFAST_SHARED");
            string dir = !string.IsNullOrEmpty(env) ? env : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
            if (!Directory.Exists(dir))
            {
                throw new DirectoryNotFoundException($"shared material not found at {dir} (set MPTFAST_SHARED)");
            }

            return dir;
        }
    }

    public static string Path_(params string[] parts) => Path.Combine([SharedRoot, .. parts]);

    public static string TestVectorDir => Path_("testvectors");

    public static string ExampleConfigDir => Path_("spec", "example-configs");

    /// <summary>Loads a test vector: drop every <c>#...</c> comment, drop all whitespace, hex-decode (testvectors/README.md).</summary>
    public static byte[] LoadVector(string name)
    {
        string file = Path.Combine(TestVectorDir, name.EndsWith(".hex", StringComparison.Ordinal) ? name : name + ".hex");
        var hex = new System.Text.StringBuilder();
        foreach (string line in File.ReadAllLines(file))
        {
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            string data = hash >= 0 ? line[..hash] : line;
            foreach (char c in data)
            {
                if (!char.IsWhiteSpace(c))
                {
                    hex.Append(c);
                }
            }
        }

        return Convert.FromHexString(hex.ToString());
    }

    public static IEnumerable<string> AllVectorNames() =>
        Directory.EnumerateFiles(TestVectorDir, "*.hex").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MptFast.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("MptFast.sln not found above " + AppContext.BaseDirectory);
    }
}
