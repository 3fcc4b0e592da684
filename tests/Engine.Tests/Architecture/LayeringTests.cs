namespace MptFast.Engine.Tests.Architecture;

/// <summary>
/// The engine's layering (docs/ARCHITECTURE.md): pure parts ← run-time state ← datapath / status ← control ← daemon.
/// Each namespace of src/Engine may reference only the layers listed for it; a file lies in the folder of its namespace,
/// so the rule reads the same on the folder tree.
/// </summary>
public sealed class LayeringTests
{
    // Parts without platform or thread knowledge: codecs, configuration, algorithms, plain memory.
    private static readonly string[] Pure = ["Config", "Wire", "Classify", "Mapping", "Measurement", "Scheduling", "Reorder", "Buffers", "Offload", "Logging"];

    /// <summary>Top-level engine namespace → the other top-level namespaces it may reference.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Config"] = Pure,
        ["Wire"] = Pure,
        ["Classify"] = Pure,
        ["Mapping"] = Pure,
        ["Measurement"] = Pure,
        ["Scheduling"] = Pure,
        ["Reorder"] = Pure,
        ["Buffers"] = Pure,
        ["Offload"] = Pure,
        ["Logging"] = Pure,
        ["Interop"] = [],
        ["Runtime"] = Pure,
        ["Datapath"] = [.. Pure, "Interop", "Runtime"],
        ["Status"] = [.. Pure, "Runtime"],
        ["Control"] = [.. Pure, "Runtime", "Status"],
        ["Daemon"] = [.. Pure, "Interop", "Runtime", "Datapath", "Status", "Control"],
    };

    [Fact]
    public void Every_engine_namespace_references_only_the_layers_below_it()
    {
        IReadOnlyList<Dependency> dependencies = DependencyScanner.Engine;
        Assert.NotEmpty(dependencies); // the scan bound names: an empty result would prove nothing

        string[] forbidden = [.. Forbidden(dependencies).Select(d => d.ToString())];
        Assert.True(forbidden.Length == 0, "forbidden dependencies:\n" + string.Join('\n', forbidden));
    }

    [Fact]
    public void Every_engine_file_lies_in_the_folder_of_its_namespace()
    {
        var misplaced = new List<string>();
        foreach ((string path, string text) in DependencyScanner.EngineSources())
        {
            string? ns = DependencyScanner.DeclaredNamespace(Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(text));
            string folder = Path.GetDirectoryName(path)!.Replace('\\', '/');
            string expected = "src/Engine" + (ns is null || ns == DependencyScanner.EnginePrefix ? "" : "/" + ns[(DependencyScanner.EnginePrefix.Length + 1)..].Replace('.', '/'));
            if (ns is null || !ns.StartsWith(DependencyScanner.EnginePrefix, StringComparison.Ordinal) || folder != expected)
            {
                misplaced.Add($"{path}: namespace {ns ?? "(none)"}");
            }
        }

        Assert.True(misplaced.Count == 0, "files outside the folder of their namespace:\n" + string.Join('\n', misplaced));
    }

    [Fact]
    public void Every_engine_namespace_has_a_rule()
    {
        string[] unruled = [.. DependencyScanner.Engine.SelectMany(d => new[] { d.From, d.To }).Select(Layer).Distinct()
            .Where(l => !Allowed.ContainsKey(l))];
        Assert.True(unruled.Length == 0, "namespaces without a layering rule: " + string.Join(", ", unruled));
    }

    [Fact]
    public void A_control_file_that_references_the_daemon_is_reported()
    {
        // The rule must be able to fail: a control-plane type reaching for the concrete daemon (the cycle this layering
        // removed) and a datapath type reaching for the control loop.
        (string, string)[] sources =
        [
            .. DependencyScanner.EngineSources(),
            ("src/Engine/Control/Leak.cs", """
                namespace MptFast.Engine.Control;
                internal static class Leak
                {
                    internal static object Of(MptFast.Engine.Daemon.TunnelDaemon d) => d.Connections;
                }
                """),
            ("src/Engine/Datapath/Leak.cs", """
                using MptFast.Engine.Control;
                namespace MptFast.Engine.Datapath;
                internal static class Leak
                {
                    internal static int Port(ControlLoop loop) => loop.CommandPort;
                }
                """),
        ];

        string[] forbidden = [.. Forbidden(DependencyScanner.Scan(sources)).Select(d => d.ToString()).Where(d => d.Contains("/Leak.cs:", StringComparison.Ordinal))];

        Assert.Contains("src/Engine/Control/Leak.cs:4: MptFast.Engine.Control -> MptFast.Engine.Daemon.TunnelDaemon", forbidden);
        Assert.Contains("src/Engine/Datapath/Leak.cs:5: MptFast.Engine.Datapath -> MptFast.Engine.Control.ControlLoop", forbidden);
        // TunnelDaemon and its Connections; ControlLoop and its CommandPort.
        Assert.Equal(4, forbidden.Length);
    }

    private static IEnumerable<Dependency> Forbidden(IEnumerable<Dependency> dependencies) =>
        dependencies.Where(d => Layer(d.From) != Layer(d.To)
            && !(Allowed.TryGetValue(Layer(d.From), out string[]? allowed) && allowed.Contains(Layer(d.To))));

    // "MptFast.Engine.Control.Protocol" → "Control".
    private static string Layer(string ns)
    {
        string rest = ns.Length > DependencyScanner.EnginePrefix.Length ? ns[(DependencyScanner.EnginePrefix.Length + 1)..] : "";
        int dot = rest.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? rest : rest[..dot];
    }
}
