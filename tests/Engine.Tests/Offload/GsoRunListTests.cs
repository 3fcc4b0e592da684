using MptFast.Engine.Offload;

namespace MptFast.Engine.Tests.Offload;

public class GsoRunListTests
{
    private static string Runs(GsoRunList list)
    {
        var parts = new List<string>();
        for (int r = 0; r < list.Length; r++)
        {
            parts.Add($"{list.StartOf(r)}+{list.CountOf(r)}@{list.SegmentOf(r)}");
        }

        return string.Join(' ', parts);
    }

    [Theory]
    [InlineData(new[] { 1448, 1448, 1448, 700 }, 64, "0+4@1448")]
    [InlineData(new[] { 1448, 1448, 700, 1448, 1448 }, 64, "0+3@1448 3+2@1448")] // a shorter entry closes the train
    [InlineData(new[] { 60, 1448, 1448 }, 64, "0+1@60 1+2@1448")] // a longer entry opens a new train
    [InlineData(new[] { 1448, 1448, 1448 }, 1, "0+1@1448 1+1@1448 2+1@1448")] // no GSO on the socket
    [InlineData(new[] { 100, 100, 100, 100, 100 }, 2, "0+2@100 2+2@100 4+1@100")]
    [InlineData(new[] { 1448, 1448, 60, 60 }, 64, "0+3@1448 3+1@60")] // the first short one ends the train
    public void Add_groups_equal_datagrams_with_a_shorter_last_into_trains(int[] lengths, int maxSegments, string expected)
    {
        var list = new GsoRunList();
        for (int i = 0; i < lengths.Length; i++)
        {
            list.Add(i, lengths[i], maxSegments);
        }

        Assert.Equal(expected, Runs(list));
    }

    [Fact]
    public void Add_keeps_a_train_within_the_gso_byte_limit_and_consume_leaves_the_rest()
    {
        var list = new GsoRunList();
        for (int i = 0; i < 60; i++)
        {
            list.Add(i, 1500, 64);
        }

        int perTrain = GsoRunList.MaxTrainBytes / 1500;
        Assert.Equal($"0+{perTrain}@1500 {perTrain}+{60 - perTrain}@1500", Runs(list));
        list.Consume(0, 10);
        Assert.Equal(10, list.StartOf(0));
        Assert.Equal(perTrain - 10, list.CountOf(0));
        list.Clear();
        Assert.Equal(0, list.Length);
        list.Add(0, 99, 64, newTrain: true);
        list.Add(1, 99, 64, newTrain: true);
        Assert.Equal("0+1@99 1+1@99", Runs(list));
    }
}
