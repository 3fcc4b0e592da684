using MptFast.Engine.Offload;

namespace MptFast.Engine.Tests.Offload;

public class VirtioNetHeaderTests
{
    [Fact]
    public void Read_decodes_the_little_endian_layout_of_linux_virtio_net_hdr()
    {
        // flags NEEDS_CSUM, gso TCPV4|ECN, hdr_len 66, gso_size 1448, csum_start 20, csum_offset 16
        byte[] raw = [0x01, 0x81, 0x42, 0x00, 0xA8, 0x05, 0x14, 0x00, 0x10, 0x00];
        Assert.True(VirtioNetHeader.TryRead(raw, out VirtioNetHeader h));
        Assert.Equal(new VirtioNetHeader(1, 0x81, 66, 1448, 20, 16), h);
        Assert.Equal(VirtioNetHeader.GsoTcpV4, h.GsoKind);
        Assert.True(h.IsGso);
        Assert.True(h.NeedsChecksum);
    }

    [Fact]
    public void Write_then_read_round_trips_and_short_buffers_are_refused()
    {
        var h = new VirtioNetHeader(VirtioNetHeader.FlagDataValid, VirtioNetHeader.GsoTcpV6, 74, 1428, 40, 16);
        byte[] buffer = new byte[VirtioNetHeader.Size];
        Assert.True(h.TryWrite(buffer));
        Assert.Equal([0x02, 0x04, 74, 0, 0x94, 0x05, 40, 0, 16, 0], buffer);
        Assert.True(VirtioNetHeader.TryRead(buffer, out VirtioNetHeader back));
        Assert.Equal(h, back);
        Assert.False(h.TryWrite(new byte[9]));
        Assert.False(VirtioNetHeader.TryRead(new byte[9], out _));
        Assert.False(default(VirtioNetHeader).IsGso);
    }
}
