using System.Runtime.CompilerServices;
using MptFast.Engine.Datapath;
using MptFast.Engine.Runtime;

namespace MptFast.Engine.Tests.Runtime;

/// <summary>Counters: one writer thread per section, sections on separate cache lines; snapshots by name.</summary>
public sealed class CounterTests
{
    // Two fields are on different cache lines wherever the object starts when their first bytes are ≥ 64 + 8 apart
    // (the earlier field's last byte and the later field's first byte then lie ≥ 64 bytes apart).
    private const int ApartOnAnyAlignment = 64 + sizeof(long);

    [Fact]
    public void Path_counter_sections_of_different_writer_threads_never_share_a_cache_line()
    {
        var c = new PathCounters();
        Assert.True(Unsafe.ByteOffset(ref c.Tx.SendErrors, ref c.Rx.Packets) >= ApartOnAnyAlignment);
        Assert.True(Unsafe.ByteOffset(ref c.Rx.DropKeepaliveMismatch, ref c.Control.KeepalivesSent) >= ApartOnAnyAlignment);
        Assert.True(Unsafe.ByteOffset(ref c.Tx.Packets, ref c.Rx.Packets) > 0, "sections in declaration order");
    }

    [Fact]
    public void Socket_and_tun_counter_sections_never_share_a_cache_line()
    {
        var s = new PathSocketCounters();
        Assert.True(Unsafe.ByteOffset(ref s.Send.Errors, ref s.Receive.Datagrams) >= ApartOnAnyAlignment);
        var t = new TunCounters();
        Assert.True(Unsafe.ByteOffset(ref Unsafe.As<Interop.Errno, long>(ref t.Read.LastError), ref t.Write.Packets) >= ApartOnAnyAlignment);
    }

    [Fact]
    public void Path_snapshots_name_every_counter_once_and_read_the_section_fields()
    {
        var c = new PathCounters();
        c.Tx.Packets = 5;
        c.Rx.Bytes = 700;
        c.Rx.DropMalformed = 2;
        c.Tx.SendErrors = 1;
        c.Control.KeepalivesSent = 3;
        c.Control.KeepaliveSendErrors = 4;

        CounterSnapshot traffic = c.Traffic();
        CounterSnapshot drops = c.Drops();
        Assert.Equal(5, traffic["tx_packets"]);
        Assert.Equal(700, traffic["rx_bytes"]);
        Assert.Equal(3, traffic["keepalives_sent"]);
        Assert.Equal(2, drops["malformed"]);
        Assert.Equal(1, drops["send_errors"]);
        Assert.Equal(4, drops["keepalive_send_errors"]);
        Assert.Equal(traffic.Count, traffic.Select(x => x.Name).Distinct().Count());
        Assert.Equal(drops.Count, drops.Select(x => x.Name).Distinct().Count());
        Assert.Throws<KeyNotFoundException>(() => traffic["no_such_counter"]);
    }

    [Fact]
    public void Plus_adds_values_of_the_same_name_and_keeps_names_only_one_side_has()
    {
        CounterSnapshot retired = new CounterSnapshot().Add("a", 10).Add("b", 1);
        CounterSnapshot live = new CounterSnapshot().Add("b", 2).Add("c", 7);

        CounterSnapshot total = retired.Plus(live);

        Assert.Equal(["a", "b", "c"], total.Select(x => x.Name));
        Assert.Equal(10, total["a"]);
        Assert.Equal(3, total["b"]);
        Assert.Equal(7, total["c"]);
        Assert.Equal(20, total.Total);
    }
}
