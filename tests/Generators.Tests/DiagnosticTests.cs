using Microsoft.CodeAnalysis;
using MptFast.Generators.Tests.Support;
using MptFast.Tests.Common;

namespace MptFast.Generators.Tests;

public class DiagnosticTests
{
    // Lines 1-3 are the [connection] header, name and path_count (ConfigText.Connection).
    public static TheoryData<string, int, int, string[]> Cases => new()
    {
        { "MPT0001", 5, 14, ["[path_0]", "tcp_dst = 80 abc"] },
        { "MPT0001", 5, 11, ["[path_0]", "udp_src = 0"] },
        { "MPT0001", 5, 15, ["[path_0]", "udp_dst = 53, 70000"] },
        { "MPT0001", 5, 20, ["[path_0]", "    tcp_dst =   80,abc"] },
        { "MPT0001", 5, 15, ["[path_0]", "tcp_dst = \"80 x\""] },
        { "MPT0001", 5, 19, ["[path_0]", "tcp_dst = 80:1000-"] }, // the missing last port
        { "MPT0002", 5, 16, ["[path_0]", "tcp_src = 1000 2000-1000"] },
        { "MPT0003", 7, 14, ["[path_0]", "tcp_dst = 80 443", "[path_1]", "tcp_dst = 22 443"] },
        { "MPT0003", 8, 11, ["[path_0]", "udp_dst = 1000-2000", "", "[path_1]", "udp_dst = 1500"] },
        { "MPT0004", 5, 3, ["[path_0]", "  tcp_sport = 80"] },
        { "MPT0004", 6, 1, ["[path_0]", "interface_name = veth1", "tcp-dst = 80"] },
        { "MPT0004", 5, 1, ["[path_1]", "udp_dest = 53"] },
        { "MPT0005", 5, 1, ["[path_0]", "this is not ini"] },
        { "MPT0005", 4, 1, ["[path_0", "tcp_dst = 80"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_diagnostic_is_reported_at_the_config_line_and_column(string id, int line, int column, string[] lines)
    {
        Diagnostic diagnostic = Assert.Single(Run(ConfigText.Connection(2, lines)));
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("MptFast", diagnostic.Descriptor.Category);
        FileLinePositionSpan span = diagnostic.Location.GetLineSpan();
        Assert.Equal(ConfigText.Dir + "x.conf", span.Path);
        Assert.Equal((line, column), (span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1));
        Assert.Contains($"x.conf({line},{column}): error {id}: ", diagnostic.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Conflict_message_names_both_paths_and_the_ports()
    {
        Diagnostic diagnostic = Assert.Single(Run(ConfigText.Connection(3, "[path_0]", "tcp_src = 80 100-110", "[path_2]", "tcp_src = 105-120, 80")));
        string message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("tcp_src ports 80, 105-110 are mapped to both path_0 and path_2 (a port may map to one path only)", message);
    }

    [Fact]
    public void Same_port_twice_on_one_path_is_not_a_conflict()
    {
        Assert.Empty(Run(ConfigText.Connection(1, "[path_0]", "tcp_dst = 80 80 70-90")));
    }

    [Fact]
    public void Same_port_under_different_keys_is_not_a_conflict()
    {
        Assert.Empty(Run(ConfigText.Connection(2, "[path_0]", "tcp_dst = 80", "udp_dst = 80", "[path_1]", "tcp_src = 80", "udp_src = 80")));
    }

    [Fact]
    public void Sections_at_or_above_path_count_are_not_checked()
    {
        Assert.Empty(Run(ConfigText.Connection(1, "[path_0]", "tcp_dst = 80", "[path_1]", "tcp_dst = junk", "tcp_sport = 1", "[path_2]", "udp_dst = 0")));
    }

    [Fact]
    public void Keys_that_do_not_look_like_port_maps_are_left_to_the_runtime()
    {
        Assert.Empty(Run(ConfigText.Connection(1, "[path_0]", "window_size = 4", "keepalive_time = 5", "tunnel = x")));
    }

    [Fact]
    public void Unreadable_file_is_reported_at_its_start()
    {
        Diagnostic diagnostic = Assert.Single(Run(new InMemoryAdditionalText(ConfigText.Dir + "x.conf", null)));
        Assert.Equal("MPT0005", diagnostic.Id);
        Assert.Contains("x.conf(1,1): error MPT0005", diagnostic.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Syntax_errors_in_interface_conf_are_reported_too()
    {
        Diagnostic diagnostic = Assert.Single(Run(new InMemoryAdditionalText("/cfg/conf/interface.conf", "[general]\ntunnel_num = 1\noops\n")));
        Assert.Equal("MPT0005", diagnostic.Id);
        Assert.Contains("interface.conf(3,1): error MPT0005", diagnostic.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Example_configs_have_no_diagnostics()
    {
        var files = Directory.EnumerateFiles(SharedFiles.ExampleConfigDir, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".conf", StringComparison.Ordinal) || f.EndsWith(".template", StringComparison.Ordinal))
            .Select(f => new InMemoryAdditionalText(f, File.ReadAllText(f)))
            .ToArray();
        Assert.True(files.Length >= 10, "example configs not found");
        Assert.Empty(Run(files));
    }

    private static IReadOnlyList<Diagnostic> Run(string text) => Run(ConfigText.File("x.conf", text));

    private static IReadOnlyList<Diagnostic> Run(params InMemoryAdditionalText[] files)
    {
        var (result, output, _) = GeneratorHarness.Run(files);
        // Whatever the config's errors, the emitted code itself must still compile.
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        return result.Diagnostics;
    }
}
