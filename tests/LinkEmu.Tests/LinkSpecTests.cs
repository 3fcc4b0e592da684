using MptFast.Perf.LinkEmu;

namespace MptFast.LinkEmu.Tests;

public class LinkSpecTests
{
    [Fact]
    public void Parse_sets_only_the_keys_written()
    {
        LinkChange c = LinkSpec.Parse("delay 2.5ms jitter 300us rate 50mbit queue 64kib loss 1% dup 0.5% overhead -14");
        Assert.Equal(LinkKeys.Delay | LinkKeys.Jitter | LinkKeys.Rate | LinkKeys.Queue | LinkKeys.Loss | LinkKeys.Duplicate | LinkKeys.Overhead, c.Keys);
        LinkParams p = c.ApplyTo(LinkParams.Default with { Reorder = true });
        Assert.Equal(2_500_000, p.DelayNs);
        Assert.Equal(300_000, p.JitterNs);
        Assert.Equal(50_000_000, p.RateBitsPerSecond);
        Assert.Equal(65536, p.QueueLimitBytes);
        Assert.Equal(0.01, p.Loss, 12);
        Assert.Equal(0.005, p.Duplicate, 12);
        Assert.Equal(-14, p.OverheadBytes);
        Assert.True(p.Reorder);   // not named: kept
    }

    [Theory]
    [InlineData("rate 10mbit", 65536)]               // 50 ms × 10 Mbit/s = 62 500 B < 64 KiB
    [InlineData("rate 100mbit", 625000)]             // 50 ms × 100 Mbit/s
    [InlineData("rate 100mbit queue 20ms", 250000)]
    [InlineData("rate 100mbit queue 1500b", 1500)]
    [InlineData("rate 100mbit queue 100kb", 100000)]
    public void Queue_limit_is_explicit_or_time_at_the_rate_or_automatic(string spec, long bytes) =>
        Assert.Equal(bytes, LinkSpec.Parse(spec).ApplyTo(LinkParams.Default).QueueLimitBytes);

    [Fact]
    public void Gemodel_takes_netem_defaults()
    {
        GilbertElliott ge = LinkSpec.Parse("gemodel 1%").ApplyTo(LinkParams.Default).BurstLoss!;
        Assert.Equal(new GilbertElliott(0.01, 0.99, 1, 0), ge);
        ge = LinkSpec.Parse("gemodel 2% 20% 50% 0.1% delay 1ms").ApplyTo(LinkParams.Default).BurstLoss!;
        Assert.Equal(0.02, ge.P, 12);
        Assert.Equal(0.20, ge.R, 12);
        Assert.Equal(0.50, ge.LossBad, 12);
        Assert.Equal(0.001, ge.LossGood, 12);
        Assert.Null(LinkSpec.Parse("gemodel off").ApplyTo(LinkParams.Default with { BurstLoss = ge }).BurstLoss);
    }

    [Theory]
    [InlineData("rate 5", "rate '5'")]
    [InlineData("delay", "'delay' needs a value")]
    [InlineData("loss 120%", "loss '120%'")]
    [InlineData("order sideways", "order 'sideways'")]
    [InlineData("speed 1mbit", "unknown key 'speed'")]
    [InlineData("queue 0b", "queue '0b'")]
    public void Bad_specs_name_the_culprit(string spec, string message) =>
        Assert.Contains(message, Assert.Throws<SpecException>(() => LinkSpec.Parse(spec)).Message, StringComparison.Ordinal);

    [Fact]
    public void Options_apply_both_then_each_direction()
    {
        Options o = Options.Parse(["--a", "a1", "--b", "b1", "--both", "delay 5ms rate 10mbit", "--ba", "delay 25ms",
            "--at", "10s ab rate 5mbit", "--at", "at 20 loss 100% for 5s"]);
        Assert.Equal(5_000_000, o.AtoB.DelayNs);
        Assert.Equal(25_000_000, o.BtoA.DelayNs);
        Assert.Equal(10_000_000, o.BtoA.RateBitsPerSecond);
        Assert.Equal(2, o.Schedule.Changes.Count);
        Assert.Equal(Directions.AtoB, o.Schedule.Changes[0].Directions);
        Assert.Equal(20_000_000_000, o.Schedule.Changes[1].AtNs);
        Assert.Equal(5_000_000_000, o.Schedule.Changes[1].ForNs);
        Assert.Contains("--a and --b", Assert.Throws<SpecException>(() => Options.Parse(["--a", "x", "--b", "x"])).Message, StringComparison.Ordinal);
        Assert.Contains("--at", Assert.Throws<SpecException>(() => Options.Parse(["--a", "x", "--b", "y", "--at", "10s"])).Message, StringComparison.Ordinal);
    }
}
