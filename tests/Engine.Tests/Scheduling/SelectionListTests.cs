using MptFast.Engine.Scheduling;

namespace MptFast.Engine.Tests.Scheduling;

public class SelectionListTests
{
    // MPT-SPEC §6.1, verified lists.
    [Theory]
    [InlineData(new[] { 10, 10 }, new[] { 0, 1 })]
    [InlineData(new[] { 1, 2 }, new[] { 1, 0, 1 })]
    [InlineData(new[] { 3, 1 }, new[] { 0, 0, 0, 1 })]
    [InlineData(new[] { 2, 1 }, new[] { 0, 0, 1 })]
    [InlineData(new[] { 3, 1, 2 }, new[] { 0, 2, 0, 0, 1, 2 })]
    [InlineData(new[] { 5, 3 }, new[] { 0, 1, 0, 0, 1, 0, 0, 1 })]
    [InlineData(new[] { 100, 80 }, new[] { 0, 1, 0, 1, 0, 1, 0, 0, 1 })]
    [InlineData(new[] { 2, 4, 8 }, new[] { 2, 1, 2, 2, 0, 1, 2 })]
    [InlineData(new[] { 12, 18, 15 }, new[] { 1, 2, 0, 1, 2, 0, 1, 2, 1, 0, 2, 1, 0, 1, 2 })]
    [InlineData(new[] { 1 }, new[] { 0 })]
    public void Build_reproduces_the_verified_spec_lists(int[] weights, int[] expected)
    {
        Assert.Equal(expected, SelectionList.Build(weights));
    }

    [Fact]
    public void Weight_zero_paths_are_never_listed()
    {
        // B13: the original divided by zero.
        Assert.Equal(new[] { 0, 0, 0, 2 }, SelectionList.Build([3, 0, 1]));
    }

    [Fact]
    public void All_weights_zero_or_no_paths_give_an_empty_list()
    {
        Assert.Empty(SelectionList.Build([0, 0]));
        Assert.Empty(SelectionList.Build([]));
    }

    [Fact]
    public void Large_coprime_weights_give_the_full_cycle()
    {
        // B14: the original's 10 100-entry list overflowed at 10000/9999.
        int[] list = SelectionList.Build([10_000, 9_999]);
        Assert.Equal(19_999, list.Length);
        Assert.Equal(10_000, list.Count(p => p == 0));
        Assert.Equal(9_999, list.Count(p => p == 1));
    }

    [Fact]
    public void Twenty_distinct_large_weights_stay_within_the_cap()
    {
        int[] weights = Enumerable.Range(0, 20).Select(i => 10_000 - i).ToArray();
        int[] list = SelectionList.Build(weights);
        Assert.Equal(weights.Sum(), list.Length);
        Assert.True(list.Length <= 200_000);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10_001)]
    public void Out_of_range_weights_are_rejected(int weight)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SelectionList.Build([1, weight]));
    }

    [Fact]
    public void More_than_twenty_paths_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SelectionList.Build(new int[21]));
    }

    [Fact]
    public void Random_weight_vectors_give_exact_counts_and_smooth_prefixes()
    {
        // Laws: path i appears w_i/gcd times per cycle; in every prefix no path is a whole entry behind its
        // share (so, as the deviations sum to zero, none is n - 1 or more ahead).
        for (int seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            int paths = random.Next(1, 8);
            int[] weights = new int[paths];
            for (int i = 0; i < paths; i++)
            {
                weights[i] = random.Next(0, 60);
            }

            int[] list = SelectionList.Build(weights);
            int total = weights.Sum();
            if (total == 0)
            {
                Assert.Empty(list);
                continue;
            }

            int gcd = weights.Where(w => w > 0).Aggregate(Gcd);
            Assert.True(total / gcd == list.Length, $"seed {seed}: length {list.Length}");
            int[] counts = new int[paths];
            for (int n = 0; n < list.Length; n++)
            {
                counts[list[n]]++;
                for (int i = 0; i < paths; i++)
                {
                    double ideal = (n + 1) * (double)weights[i] / total;
                    Assert.True(ideal - counts[i] < 1.0, $"seed {seed}: path {i} has {counts[i]} after {n + 1}, ideal {ideal}");
                }
            }

            for (int i = 0; i < paths; i++)
            {
                Assert.True(counts[i] == weights[i] / gcd, $"seed {seed}: path {i}");
            }
        }
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);
}
