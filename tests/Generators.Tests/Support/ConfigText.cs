namespace MptFast.Generators.Tests.Support;

/// <summary>Builds small connection files for tests.</summary>
internal static class ConfigText
{
    public const string Dir = "/cfg/conf/connections/";

    /// <summary>A connection file with <paramref name="pathCount"/> and the given lines appended verbatim (use <c>[path_N]</c> headers in them).</summary>
    public static string Connection(int pathCount, params string[] lines) =>
        "[connection]\nname = test\npath_count = " + pathCount + "\n" + string.Join("\n", lines) + "\n";

    public static InMemoryAdditionalText File(string name, string text) => new(Dir + name, text);
}
