using MptFast.Engine.Wire;
using MptFast.Tests.Common;

namespace MptFast.Engine.Tests.Wire;

public class AllocationTests
{
    [Fact]
    public void Data_and_keepalive_encode_and_decode_allocate_nothing()
    {
        byte[] vector = SharedFiles.LoadVector("data-ipv4-icmp-echo-seq1");
        byte[] inner = vector[8..];
        byte[] buffer = new byte[16 + inner.Length];
        byte[] keepalive = new byte[64];
        Address16 local = Address16.FromIPv4([198, 19, 0, 1]);
        Address16 remote = Address16.FromIPv4([198, 19, 0, 2]);

        long checksum = Run(100, buffer, inner, keepalive, local, remote); // warm-up: JIT, tiering, statics
        long before = GC.GetAllocatedBytesForCurrentThread();
        checksum += Run(10_000, buffer, inner, keepalive, local, remote);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(10_100L * (1 + 44 + 4), checksum); // every iteration decoded seq 1, a 44-byte keepalive, version 4
    }

    private static long Run(int iterations, byte[] buffer, byte[] inner, byte[] keepalive, Address16 local, Address16 remote)
    {
        long sum = 0;
        for (int i = 0; i < iterations; i++)
        {
            inner.CopyTo(buffer.AsSpan(16));
            if (GreCodec.Encapsulate(buffer, 16, inner.Length, true, 1, out int start) == GreEncodeStatus.Ok
                && GreCodec.Decode(buffer.AsSpan(start), out GreFrame frame) == GreStatus.Ok)
            {
                sum += frame.Sequence;
            }

            if (KeepaliveCodec.TryWrite(keepalive, 4, local, remote, out int written)
                && KeepaliveCodec.Decode(keepalive.AsSpan(0, written), out KeepaliveMessage message) == KeepaliveStatus.Ok
                && message.LocalTunnel == local)
            {
                sum += written + message.IpVersion;
            }
        }

        return sum;
    }
}
