using MptFast.Engine.Classify;
using MptFast.Engine.Config;
using MptFast.Engine.Mapping;
using MptFast.Engine.Scheduling;

namespace MptFast.Engine.Tests.Scheduling;

public class PathSchedulerTests
{
    private const uint AllOk = uint.MaxValue;

    private static int[] Take(PathScheduler scheduler, int count, uint okMask)
    {
        var picks = new int[count];
        for (int i = 0; i < count; i++)
        {
            picks[i] = scheduler.NextWeighted(okMask);
        }

        return picks;
    }

    [Fact]
    public void Weighted_choice_walks_the_list_cyclically()
    {
        var scheduler = new PathScheduler([3, 1, 2]);
        Assert.Equal(new[] { 0, 2, 0, 0, 1, 2, 0, 2 }, Take(scheduler, 8, AllOk));
        Assert.Equal(2, scheduler.Cursor);
    }

    [Fact]
    public void Entries_of_paths_that_are_not_ok_are_skipped_in_list_order()
    {
        // §6.2: list 0 2 0 0 1 2 with path 0 down → the share of 0 goes to the next OK entries.
        var scheduler = new PathScheduler([3, 1, 2]);
        Assert.Equal(new[] { 2, 1, 2, 2, 1, 2 }, Take(scheduler, 6, 0b110));
        Assert.Equal(new[] { 0, 0, 0, 0 }, Take(scheduler, 4, 0b001));
    }

    [Fact]
    public void Skipping_matches_the_original_scan_for_random_masks()
    {
        for (int seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            int paths = random.Next(1, 6);
            int[] weights = Enumerable.Range(0, paths).Select(_ => random.Next(0, 9)).ToArray();
            var scheduler = new PathScheduler(weights);
            int[] list = SelectionList.Build(weights);
            int cursor = 0;
            for (int step = 0; step < 200; step++)
            {
                uint mask = random.Next(4) == 0 ? (uint)random.Next(1 << paths) : (1u << paths) - 1;
                int expected = ReferenceScan(list, ref cursor, mask);
                Assert.True(expected == scheduler.NextWeighted(mask), $"seed {seed} step {step} mask {mask}");
            }
        }
    }

    [Fact]
    public void No_ok_path_returns_minus_one_and_keeps_the_cursor()
    {
        var scheduler = new PathScheduler([1, 1]);
        Assert.Equal(0, scheduler.NextWeighted(AllOk));
        Assert.Equal(-1, scheduler.NextWeighted(0));
        Assert.Equal(-1, scheduler.NextWeighted(0b100)); // a bit for a path that does not exist
        Assert.Equal(1, scheduler.Cursor);
        Assert.Equal(1, scheduler.NextWeighted(AllOk));
    }

    [Fact]
    public void Weight_zero_path_is_never_chosen_by_weight()
    {
        var scheduler = new PathScheduler([0, 1]);
        Assert.All(Take(scheduler, 10, AllOk), p => Assert.Equal(1, p));
        Assert.Equal(-1, scheduler.NextWeighted(0b01));
        Assert.Equal(-1, new PathScheduler([0, 0]).NextWeighted(AllOk));
    }

    [Fact]
    public void Mapped_packet_uses_its_ok_path_and_leaves_the_cursor_alone()
    {
        PortMapTable map = PortMapTable.FromPaths([new PathConfig(), new PathConfig { TcpDst = new[] { new PortRange(443, 443) }.ToEquatableArray() }], null);
        var scheduler = new PathScheduler([1, 1]);
        var https = new FlowKey(4, 6, 40000, 443, true);
        var ssh = new FlowKey(4, 6, 40000, 22, true);

        Assert.Equal(0, scheduler.Select(ssh, map, AllOk));
        Assert.Equal(1, scheduler.Cursor);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(1, scheduler.Select(https, map, AllOk));
        }

        Assert.Equal(1, scheduler.Cursor); // B06
        Assert.Equal(1, scheduler.Select(ssh, map, AllOk));
        Assert.Equal(0, scheduler.Select(ssh, map, AllOk));
    }

    [Theory]
    [InlineData(PathStatus.Down)]
    [InlineData(PathStatus.InterfaceDown)]
    [InlineData(PathStatus.ManualDown)]
    [InlineData(PathStatus.Disabled)]
    public void Mapped_packet_falls_back_to_weighted_choice_when_its_path_is_not_ok(PathStatus status)
    {
        // B05: the original blackholed mapped traffic on a down path.
        PortMapTable map = PortMapTable.FromPaths([new PathConfig(), new PathConfig { UdpDst = new[] { new PortRange(53, 53) }.ToEquatableArray() }], null);
        var scheduler = new PathScheduler([1, 1]);
        uint mask = PathScheduler.OkMask([PathStatus.Ok, status]);
        Assert.Equal(0b01u, mask);
        var dns = new FlowKey(4, 17, 5000, 53, true);
        Assert.Equal(0, scheduler.Select(dns, map, mask));
        Assert.Equal(0, scheduler.Select(dns, map, mask));
        Assert.Equal(-1, scheduler.Select(dns, map, 0));
    }

    [Fact]
    public void Mapped_path_is_the_one_rule_for_packets_and_bursts()
    {
        // MPT-SPEC §6.4, B05, B06: the mapped path only when it is OK, -1 otherwise (the caller's weighted choice), and
        // asking changes nothing. TxPump's offload path takes the same answer for a whole super-packet.
        PortMapTable map = PortMapTable.FromPaths([new PathConfig(), new PathConfig { TcpDst = new[] { new PortRange(443, 443) }.ToEquatableArray() }], null);
        var https = new FlowKey(4, FlowKey.Tcp, 40000, 443, true);
        Assert.Equal(1, PathScheduler.MappedPath(https, map, AllOk));
        Assert.Equal(-1, PathScheduler.MappedPath(https, map, 0b01));
        Assert.Equal(-1, PathScheduler.MappedPath(new FlowKey(4, FlowKey.Tcp, 40000, 22, true), map, AllOk));
        Assert.Equal(-1, PathScheduler.MappedPath(https, null, AllOk));
        Assert.Equal(-1, PathScheduler.MappedPath(https, PortMapTable.Empty, AllOk));

        byte[] packet = Classify.TestPackets.Ipv4(FlowKey.Tcp, 40000, 443);
        Assert.Equal(1, PathScheduler.MappedPath(packet, map, AllOk));
        Assert.Equal(-1, PathScheduler.MappedPath(packet, map, 0b01));
        Assert.Equal(-1, PathScheduler.MappedPath(packet, PortMapTable.Empty, AllOk));
        Assert.Equal(-1, PathScheduler.MappedPath([0x45, 0, 0], map, AllOk)); // truncated: no ports, never mapped
    }

    [Fact]
    public void Select_of_a_packet_equals_select_of_its_flow_key()
    {
        PortMapTable map = PortMapTable.FromPaths([new PathConfig(), new PathConfig { UdpDst = new[] { new PortRange(53, 53) }.ToEquatableArray() }], null);
        var byPacket = new PathScheduler([2, 1]);
        var byKey = new PathScheduler([2, 1]);
        foreach (ushort port in new ushort[] { 53, 54, 53, 1, 2, 53, 3, 4 })
        {
            byte[] packet = Classify.TestPackets.Ipv4(FlowKey.Udp, 5000, port);
            Assert.Equal(byKey.Select(PacketClassifier.Classify(packet), map, 0b01), byPacket.Select(packet, map, 0b01));
            Assert.Equal(byKey.Select(PacketClassifier.Classify(packet), map, AllOk), byPacket.Select(packet, map, AllOk));
            Assert.Equal(byKey.Cursor, byPacket.Cursor);
        }

        Assert.Equal(new[] { 0, 0, 1 }, new[] { byPacket.Select([], PortMapTable.Empty, AllOk), byPacket.Select([], PortMapTable.Empty, AllOk), byPacket.Select([], PortMapTable.Empty, AllOk) }.Order());
    }

    [Fact]
    public void Select_without_a_map_is_the_weighted_choice()
    {
        var scheduler = new PathScheduler([2, 1]);
        var key = new FlowKey(4, 6, 1, 2, true);
        Assert.Equal(new[] { 0, 0, 1 }, new[] { scheduler.Select(key, null, AllOk), scheduler.Select(key, PortMapTable.Empty, AllOk), scheduler.Select(key, null, AllOk) });
    }

    [Fact]
    public void Bursts_keep_byte_shares_to_the_weights()
    {
        for (int seed = 0; seed < 5; seed++)
        {
            var random = new Random(seed);
            var scheduler = new PathScheduler([3, 1]);
            long[] bytes = new long[2];
            for (int i = 0; i < 20_000; i++)
            {
                int burst = random.Next(1, 65_537);
                bytes[scheduler.NextBurst(burst, AllOk)] += burst;
            }

            double share = bytes[0] / (double)(bytes[0] + bytes[1]);
            Assert.True(Math.Abs(share - 0.75) < 0.01, $"seed {seed}: share {share}");
        }
    }

    [Theory]
    [InlineData(0, 64)]
    [InlineData(1, 1)]
    [InlineData(8, 2)]
    [InlineData(64, 16)]
    [InlineData(900, 64)]
    public void Burst_quantum_is_a_quarter_of_the_reorder_window_up_to_one_gso_train(int window, int quantum) =>
        Assert.Equal(quantum, PathScheduler.BurstSegmentsFor(window));

    [Fact]
    public void Burst_segments_follow_the_weights_with_at_least_one()
    {
        var scheduler = new PathScheduler([5, 1, 0, 100], burstSegments: 16);
        Assert.Equal([0, 0, 0, 16], new[] { 0, 1, 2, 3 }.Select(scheduler.BurstSegments).Select((q, i) => i == 3 ? q : 0));
        Assert.Equal(1, scheduler.BurstSegments(0)); // 16 · 5/100 = 0.8 → at least one
        Assert.Equal(1, scheduler.BurstSegments(1));
        Assert.Equal(0, scheduler.BurstSegments(2)); // weight 0: never scheduled by weight
        var even = new PathScheduler([5, 1], burstSegments: 16);
        Assert.Equal(16, even.BurstSegments(0));
        Assert.Equal(3, even.BurstSegments(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PathScheduler([1], burstSegments: 0));
    }

    [Fact]
    public void Peek_then_charge_is_next_burst()
    {
        var random = new Random(7);
        var a = new PathScheduler([5, 2, 1]);
        var b = new PathScheduler([5, 2, 1]);
        for (int i = 0; i < 5_000; i++)
        {
            uint mask = (uint)random.Next(1, 8);
            int bytes = random.Next(1, 70_000);
            int expected = a.NextBurst(bytes, mask);
            int peeked = b.PeekBurst(mask);
            Assert.Equal(expected, peeked);
            Assert.Equal(peeked, b.PeekBurst(mask)); // peeking twice changes nothing
            b.ChargeBurst(peeked, bytes);
        }
    }

    [Fact]
    public void Bursts_skip_paths_that_are_not_ok_and_a_returning_path_gets_no_backlog()
    {
        var scheduler = new PathScheduler([1, 1]);
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(0, scheduler.NextBurst(1500, 0b01));
        }

        // Path 1 comes back: it must not take the next 100 bursts to "catch up".
        int[] picks = new int[10];
        for (int i = 0; i < picks.Length; i++)
        {
            picks[i] = scheduler.NextBurst(1500, AllOk);
        }

        Assert.InRange(picks.Count(p => p == 1), 4, 6);
        Assert.Equal(-1, scheduler.NextBurst(1500, 0));
    }

    [Fact]
    public void Selection_does_not_allocate()
    {
        PortMapTable map = PortMapTable.FromPaths([new PathConfig { TcpDst = new[] { new PortRange(80, 80) }.ToEquatableArray() }, new PathConfig()], null);
        var scheduler = new PathScheduler([10_000, 9_999]);
        var key = new FlowKey(4, 6, 1, 80, true);
        // The same loop once before measuring: its first run is the JIT's (tier-0 code, on-stack replacement of the
        // loop), whose bookkeeping allocates on this thread (1,336 bytes in one CI run) — not the scheduler.
        long sum = Run(scheduler, key, map);
        long before = GC.GetAllocatedBytesForCurrentThread();
        sum += Run(scheduler, key, map);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sum > 0);

        static long Run(PathScheduler scheduler, FlowKey key, PortMapTable map)
        {
            long sum = 0;
            for (int i = 0; i < 1000; i++)
            {
                uint mask = (i & 64) == 0 ? AllOk : 0b10;
                sum += scheduler.NextWeighted(mask) + scheduler.Select(key, map, mask) + scheduler.NextBurst(i, mask);
            }

            return sum;
        }
    }

    // The original's loop (§6.2): from the cursor, skip non-OK entries, at most two wraps.
    private static int ReferenceScan(int[] list, ref int cursor, uint mask)
    {
        if (list.Length == 0)
        {
            return -1;
        }

        int i = cursor;
        int wraps = 0;
        while (((mask >> list[i]) & 1) == 0 && wraps < 2)
        {
            if (++i == list.Length)
            {
                i = 0;
                wraps++;
            }
        }

        if (((mask >> list[i]) & 1) == 0)
        {
            return -1;
        }

        cursor = (i + 1) % list.Length;
        return list[i];
    }
}

/// <summary>Tests for mutants Stryker.NET left alive in <c>Scheduling/</c> (docs/MUTATION.md): renormalisation of the
/// virtual time on a long-running connection, and which path wins a tie.</summary>
public class PathSchedulerLongRunTests
{
    [Fact]
    public void Shares_stay_exact_across_many_renormalisations_of_the_virtual_time()
    {
        // 16 MiB bursts advance a weight-1 path's tag by 2^56: the virtual time passes 2^61 every few dozen bursts and
        // would overflow 2^63 after 128 without renormalisation.
        var scheduler = new PathScheduler([1, 3]);
        var bursts = new int[2];
        for (int i = 0; i < 4000; i++)
        {
            bursts[scheduler.NextBurst(1 << 24, 0b11)]++;
        }

        Assert.Equal(1000, bursts[0]);
        Assert.Equal(3000, bursts[1]);
    }

    [Fact]
    public void A_path_that_was_down_for_long_does_not_catch_up_in_a_rush_after_renormalisation()
    {
        var scheduler = new PathScheduler([1, 1]);
        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(0, scheduler.NextBurst(1 << 24, 0b01)); // path 1 down: the virtual time runs on
        }

        var bursts = new int[2];
        for (int i = 0; i < 100; i++)
        {
            bursts[scheduler.NextBurst(1 << 24, 0b11)]++;
        }

        Assert.Equal(50, bursts[0]);
        Assert.Equal(50, bursts[1]);
    }

    [Fact]
    public void Equal_tags_go_to_the_lowest_path_index()
    {
        Assert.Equal(0, new PathScheduler([1, 1, 1]).PeekBurst(0b111));
        Assert.Equal(1, new PathScheduler([1, 1, 1]).PeekBurst(0b110));
        Assert.Equal(2, new PathScheduler([1, 1, 1]).PeekBurst(0b100));
    }
}
