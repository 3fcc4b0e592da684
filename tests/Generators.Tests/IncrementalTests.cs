extern alias gen;

using Microsoft.CodeAnalysis;
using MptFast.Generators.Tests.Support;
using TrackingNames = gen::MptFast.Generators.PortMapGenerator.TrackingNames;

namespace MptFast.Generators.Tests;

public class IncrementalTests
{
    private static readonly string[] s_steps =
        [TrackingNames.ConfigFiles, TrackingNames.Parsed, TrackingNames.Specs, TrackingNames.Collected, TrackingNames.Diagnostics];

    private static InMemoryAdditionalText[] Files() =>
    [
        ConfigText.File("a.conf", ConfigText.Connection(1, "[path_0]", "tcp_dst = 80")),
        ConfigText.File("b.conf", ConfigText.Connection(2, "[path_1]", "udp_dst = 53 x")),
        new InMemoryAdditionalText("/cfg/conf/interface.conf", "[general]\ntunnel_num = 1\n"),
    ];

    [Fact]
    public void Second_run_with_unchanged_input_is_cached()
    {
        Compilation compilation = GeneratorHarness.CreateCompilation("Incremental", Probe.Source);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(Files()).RunGenerators(compilation);
        GeneratorRunResult first = driver.GetRunResult().Results.Single();
        Assert.Single(first.GeneratedSources);
        Assert.Single(first.Diagnostics);

        GeneratorRunResult second = driver.RunGenerators(compilation.Clone()).GetRunResult().Results.Single();
        foreach (string step in s_steps)
        {
            Assert.True(second.TrackedSteps.ContainsKey(step), step + " not tracked");
            foreach (IncrementalGeneratorRunStep run in second.TrackedSteps[step])
            {
                foreach (var (_, reason) in run.Outputs)
                {
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {reason}");
                }
            }
        }

        Assert.Equal(
            first.GeneratedSources.Single().SourceText.ToString(),
            second.GeneratedSources.Single().SourceText.ToString());
    }

    [Fact]
    public void Changing_one_file_reparses_only_that_file()
    {
        InMemoryAdditionalText[] files = Files();
        Compilation compilation = GeneratorHarness.CreateCompilation("Incremental", Probe.Source);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(files).RunGenerators(compilation);
        string before = driver.GetRunResult().Results.Single().GeneratedSources.Single().SourceText.ToString();

        var changed = ConfigText.File("a.conf", ConfigText.Connection(1, "[path_0]", "tcp_dst = 81"));
        driver = driver.ReplaceAdditionalText(files[0], changed).RunGenerators(compilation);
        GeneratorRunResult run = driver.GetRunResult().Results.Single();

        var parsed = run.TrackedSteps[TrackingNames.Parsed].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.Equal(3, parsed.Count);
        Assert.Equal(1, parsed.Count(r => r == IncrementalStepRunReason.Modified));
        Assert.Equal(2, parsed.Count(r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));

        var collected = run.TrackedSteps[TrackingNames.Collected].SelectMany(s => s.Outputs).Select(o => o.Reason);
        Assert.Equal([IncrementalStepRunReason.Modified], collected);
        Assert.NotEqual(before, run.GeneratedSources.Single().SourceText.ToString());
    }

    [Fact]
    public void Editing_only_a_diagnostic_free_non_connection_file_leaves_the_emitted_table_cached()
    {
        InMemoryAdditionalText[] files = Files();
        Compilation compilation = GeneratorHarness.CreateCompilation("Incremental", Probe.Source);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(files).RunGenerators(compilation);

        var changed = new InMemoryAdditionalText("/cfg/conf/interface.conf", "[general]\ntunnel_num = 1\n; edited\n");
        GeneratorRunResult run = driver.ReplaceAdditionalText(files[2], changed).RunGenerators(compilation).GetRunResult().Results.Single();

        // The file is new input, but its parse result equals the old one, so nothing downstream runs.
        var read = run.TrackedSteps[TrackingNames.ConfigFiles].SelectMany(s => s.Outputs).Select(o => o.Reason);
        Assert.Contains(IncrementalStepRunReason.Modified, read);
        var parsed = run.TrackedSteps[TrackingNames.Parsed].SelectMany(s => s.Outputs).Select(o => o.Reason);
        Assert.DoesNotContain(IncrementalStepRunReason.Modified, parsed);
        var collected = run.TrackedSteps[TrackingNames.Collected].SelectMany(s => s.Outputs).Select(o => o.Reason);
        Assert.All(collected, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
    }
}
