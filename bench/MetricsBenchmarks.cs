using System.Net;
using BenchmarkDotNet.Attributes;
using MptFast.Engine.Config;
using MptFast.Engine.Control;
using MptFast.Engine.Runtime;
using MptFast.Engine.Status;

namespace MptFast.Bench;

/// <summary>
/// What one scrape costs off the datapath (issue 16, docs/METRICS.md): the Prometheus rendering of a status snapshot of
/// 2 connections × 2 paths with every counter list their owners publish, beside the JSON rendering of the same
/// snapshot. Runs on the metrics thread (rendering) and the control thread (the snapshot), never on a pump.
/// </summary>
[MemoryDiagnoser]
public class MetricsBenchmarks
{
    private static readonly DateTime Now = new(2026, 12, 5, 12, 0, 0, DateTimeKind.Utc);
    private StatusSnapshot _status = null!;

    [GlobalSetup]
    public void Setup()
    {
        var datapath = new CounterSnapshot();
        foreach (string name in (string[])["tx_loop_iterations", "tx_super_packets", "tx_dropped_no_connection", "tx_dropped_not_ip", "tx_dropped_bad_offload",
                     "rx_loop_iterations", "rx_gro_messages", "rx_gro_datagrams", "rx_super_packets", "rx_coalesced_segments", "reorder_repolls_closed",
                     "reorder_repolls_timed_out", "reorder_catch_up_reads", "rx_gro_slot_shortages", "rx_copied_datagrams"])
        {
            datapath.Add(name, 123456789);
        }

        var tunnel = new TunnelReport(new InterfaceConfig(), 7, 60456, TimeSpan.FromHours(5), 0, 0, 0, datapath);
        var control = new ControlReport(new CounterSnapshot().Add("answered", 12).Add("keepalives_accepted", 3).Gauge("handshakes_active", 0),
            ControlCounters.Rejections(_ => 1));
        ConnectionReport Connection(string file, byte ipVersion) => new(
            new ConnectionConfig { FileName = file, Name = "mpt_" + file, IpLocal = IPAddress.Parse("198.19.0.1"), IpRemote = IPAddress.Parse("198.19.0.2") },
            ipVersion, 0, null, [Path(0), Path(1)]);
        _status = new StatusSnapshot(tunnel, control, [Connection("tunnel.conf", 4), Connection("tunnel6.conf", 6)]);
    }

    private static PathReport Path(int index)
    {
        var counters = new PathCounters();
        counters.Tx.Packets = counters.Rx.Packets = 987654321;
        counters.Tx.Bytes = counters.Rx.Bytes = 1_234_567_890_123;
        IPAddress address = IPAddress.Parse("198.18." + (index + 1) + ".1");
        return new PathReport(index, new PathConfig { InterfaceName = "veth" + (index + 1), WeightIn = 1, WeightOut = 1, KeepaliveTime = 1, DeadTime = 3 },
            address, address, IPAddress.Parse("198.18." + (index + 1) + ".2"), PathStatus.Ok, true, TimeSpan.FromMilliseconds(420),
            counters.Traffic(), new PathSocketCounters().Snapshot(), counters.Drops());
    }

    [Benchmark(Description = "StatusMetrics.Render, 2 connections × 2 paths")]
    public int Metrics() => StatusMetrics.Render(_status, Now).Length;

    [Benchmark(Baseline = true, Description = "StatusJson.Render, same snapshot")]
    public int Json() => StatusJson.Render(_status).Length;
}
