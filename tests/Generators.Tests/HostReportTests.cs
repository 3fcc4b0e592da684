using System.Reflection;
using Microsoft.CodeAnalysis;
using MptFast.Generators.Tests.Support;
using MptFast.Tests.Common;

namespace MptFast.Generators.Tests;

/// <summary>src/Host/PortMap/BakedPortMapReport.cs and CompiledPortMaps.cs compiled against generated tables (the Host itself has no test project).</summary>
public class HostReportTests
{
    [Fact]
    public void Report_lists_each_key_range_and_path_of_the_port_mapping_example()
    {
        string file = Path.Combine(SharedFiles.ExampleConfigDir, "port-mapping", "side-b", "conf", "connections", "tunnel.conf");
        string empty = ConfigText.Connection(2);
        string report = Describe(
            new InMemoryAdditionalText(file, File.ReadAllText(file)),
            ConfigText.File("zz.conf", ConfigText.Connection(2, "[path_1]", "udp_dst = 6000-6100, 7000")),
            ConfigText.File("empty.conf", empty));

        string[] lines = report.Split('\n');
        Assert.StartsWith("empty.conf (name test, path_count 2, sha256 ", lines[0], StringComparison.Ordinal);
        Assert.Equal("  (no port maps)", lines[1]);
        Assert.StartsWith("tunnel.conf (name pm_b, path_count 2, sha256 ", lines[2], StringComparison.Ordinal);
        Assert.Equal(
            [
                "  tcp_src 80 443 8080 -> path_0",
                "  tcp_src 22 -> path_1",
                "  tcp_dst 5001 -> path_1",
                "  udp_src 53 -> path_0",
                "  udp_src 123 -> path_1",
                "  udp_dst 5001 -> path_1",
            ],
            lines[3..9]);
        Assert.StartsWith("zz.conf ", lines[9], StringComparison.Ordinal);
        Assert.Equal("  udp_dst 6000-6100 7000 -> path_1", lines[10]);
    }

    [Fact]
    public void Report_says_when_nothing_was_baked()
    {
        Assert.StartsWith("no port maps baked in", Describe(), StringComparison.Ordinal);
    }

    private static string Describe(params AdditionalText[] files)
    {
        string reportSource = File.ReadAllText(Path.Combine(SharedFiles.RepoRoot, "src", "Host", "PortMap", "BakedPortMapReport.cs"));
        string compiledSource = File.ReadAllText(Path.Combine(SharedFiles.RepoRoot, "src", "Host", "PortMap", "CompiledPortMaps.cs"));
        const string HostUsings = "global using System; global using System.Collections.Generic;";
        string usage = Probe.Source + "\npublic static class Report { public static string Text() => MptFast.Host.PortMap.BakedPortMapReport.Describe(); }\n";
        var (_, output, _) = GeneratorHarness.Run(files, usage);
        output = output
            .AddSyntaxTrees(
                Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(reportSource, GeneratorHarness.ParseOptions),
                Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(compiledSource, GeneratorHarness.ParseOptions),
                Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(HostUsings, GeneratorHarness.ParseOptions))
            .AddReferences(MetadataReference.CreateFromFile(typeof(MptFast.Engine.Mapping.PortMapRules).Assembly.Location));
        using Probe probe = Probe.Load(output);
        MethodInfo text = probe.Assembly.GetType("Report", throwOnError: true)!.GetMethod("Text")!;
        return (string)text.Invoke(null, null)!;
    }
}
