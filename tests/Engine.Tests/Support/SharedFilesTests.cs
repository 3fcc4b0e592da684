using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Support;

public class SharedFilesTests
{
    [Fact]
    public void All_31_test_vectors_are_found_and_decode_to_their_annotated_sizes()
    {
        string[] names = SharedFiles.AllVectorNames().ToArray();
        Assert.Equal(31, names.Length);
        Assert.Equal(80, SharedFiles.LoadVector("ctrl-pathup-sha256-r1").Length);
        Assert.Equal(52, SharedFiles.LoadVector("data-ipv4-icmp-echo-seq1").Length);
        Assert.Equal(1222, SharedFiles.LoadVector("ctrl-create-r3").Length);
    }
}
