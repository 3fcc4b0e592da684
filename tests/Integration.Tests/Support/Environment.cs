using MptFast.Tests.Common;

namespace MptFast.Integration.Tests.Support;

/// <summary>What the integration tests need from the machine. They need root and netns; they never skip silently.</summary>
internal static class TestEnvironment
{
    public static bool IsRoot => Environment.UserName == "root" || Environment.GetEnvironmentVariable("EUID") == "0" || GetEuid() == 0;

    /// <summary>The published NativeAOT binary (scripts/test.sh sets MPTFAST_BIN; default artifacts/bin/mptfast).</summary>
    public static string MptfastBinary
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("MPTFAST_BIN");
            string path = !string.IsNullOrEmpty(env) ? env : Path.Combine(SharedFiles.RepoRoot, "artifacts", "bin", "mptfast");
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"mptfast binary not found at {path}: run scripts/publish.sh (scripts/test.sh does)");
            }

            return path;
        }
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    /// <summary>A perf/tools project's framework-dependent build output (built with the solution; run with `dotnet`).</summary>
    public static string PerfToolDll(string name) => Path.Combine(SharedFiles.RepoRoot, "perf", "tools", name, "bin", Configuration, "net10.0", name + ".dll");

    public static string TestbedScript => SharedFiles.Path_("testbed", "netns-testbed.sh");

    public static string ScriptsDir => Path.Combine(SharedFiles.RepoRoot, "tests", "Integration.Tests", "scripts");

    /// <summary>Fails (never skips) when the machine cannot run integration tests.</summary>
    public static void RequireRoot()
    {
        if (!IsRoot)
        {
            Assert.Fail("integration tests need root (network namespaces, TUN); run scripts/test.sh as root, or scripts/test.sh --no-integration");
        }
    }

    private static int GetEuid()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                    return int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return -1;
    }
}
