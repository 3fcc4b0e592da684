using MptFast.Fuzz;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Fuzz;

/// <summary>
/// CI's part of the fuzzing (issue 14 item 1): every seed and every committed corpus file (fuzz/corpus/TARGET, what
/// AFL++ found interesting) through every target's invariant checks, without AFL. Fast: a few thousand inputs.
/// One class, so the targets' preallocated state is never used by two tests at once.
/// </summary>
public sealed class FuzzCorpusReplayTests
{
    public static TheoryData<string> Targets => [.. FuzzTargets.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Seeds_and_corpus_of_a_target_keep_its_invariants(string target)
    {
        FuzzTarget run = FuzzTargets.Find(target)!;
        var inputs = FuzzSeeds.For(target).Concat(Corpus(target)).ToList();
        Assert.NotEmpty(inputs);
        Assert.Empty(Failures(run, inputs));
    }

    [Fact]
    public void Every_corpus_file_keeps_every_targets_invariants()
    {
        var inputs = FuzzTargets.All.SelectMany(t => FuzzSeeds.For(t.Name).Concat(Corpus(t.Name))).ToList();
        foreach ((string name, FuzzTarget run) in FuzzTargets.All)
        {
            List<string> failures = Failures(run, inputs);
            Assert.True(failures.Count == 0, name + ": " + string.Join("\n", failures));
        }
    }

    [Fact]
    public void The_seeds_reach_every_targets_deep_checks()
    {
        foreach ((string name, FuzzTarget run) in FuzzTargets.All)
        {
            Failures(run, FuzzSeeds.For(name).ToList());
        }

        // Otherwise a target would only check "does not throw" on rejected inputs.
        Assert.True(FuzzReach.GreAccepted > 0, "gre: no datagram accepted");
        Assert.True(FuzzReach.KeepalivesAccepted > 0, "keepalive: none accepted");
        Assert.True(FuzzReach.ControlReplies > 0, "control: no reply checked");
        Assert.True(FuzzReach.CreatesExecuted > 0, "control: no create body reached the parser and created a connection");
        Assert.True(FuzzReach.ConfigsRoundTripped > 0, "config: no file round-tripped");
        Assert.True(FuzzReach.CliCommandsAccepted > 0, "cli: no command accepted");
        Assert.True(FuzzReach.SuperPackets > 0, "coalesce: nothing merged");
        Assert.True(FuzzReach.SegmentedPackets > 0, "segment: nothing segmented");
        Assert.True(FuzzReach.ReorderHeld > 0, "reorder: nothing held");
        Assert.True(FuzzReach.ReceivedWritten > 0, "receive: nothing reached the TUN");
    }

    private static List<string> Failures(FuzzTarget run, List<(string Name, byte[] Data)> inputs)
    {
        var failures = new List<string>();
        foreach ((string name, byte[] data) in inputs)
        {
            try
            {
                run(data);
            }
            catch (Exception e)
            {
                failures.Add($"{name}: {e.GetType().Name}: {e.Message}");
            }
        }

        return failures;
    }

    private static IEnumerable<(string, byte[])> Corpus(string target)
    {
        string dir = Path.Combine(SharedFiles.RepoRoot, "fuzz", "corpus", target);
        return Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal).Select(f => ("corpus/" + target + "/" + Path.GetFileName(f), File.ReadAllBytes(f)))
            : [];
    }
}
