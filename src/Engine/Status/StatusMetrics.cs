using System.Reflection;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Runtime;
using static MptFast.Engine.Status.MetricFamilies;

namespace MptFast.Engine.Status;

/// <summary>
/// The <see cref="StatusSnapshot"/> as Prometheus metrics (text exposition format 0.0.4), for the daemon's
/// <c>/metrics</c> endpoint and <c>mptfast metrics</c> (the node_exporter textfile collector). Names follow the
/// Prometheus conventions: <c>mptfast_</c>, the part (<c>datapath</c>, <c>control</c>, <c>connection</c>,
/// <c>path</c>), base units in the name, <c>_total</c> on counters; a connection is labelled by its file name (its
/// identity, MPT-SPEC §9.10), a path by its index; drops and rejections by <c>reason</c>; a path's status is a state
/// set. Every counter list of the snapshot is rendered generically (<see cref="MetricFamilies.Snapshot"/>): a counter
/// added to its owner appears here, as in <see cref="StatusJson"/>, without an edit. docs/METRICS.md lists the names.
/// </summary>
public static class StatusMetrics
{
    /// <summary>The Content-Type of the text format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Every path status as the state set shows it (MPT-SPEC §8).</summary>
    private static readonly PathStatus[] States =
        [PathStatus.Ok, PathStatus.Down, PathStatus.InterfaceDown, PathStatus.AddressDown, PathStatus.ManualDown, PathStatus.Disabled];

    /// <summary>The version of the running program (its informational version, with the commit when the build knew it).</summary>
    public static string Version { get; } =
        (Assembly.GetEntryAssembly() ?? typeof(StatusMetrics).Assembly).GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>Renders <paramref name="status"/>; <paramref name="utcNow"/> dates the start time.</summary>
    public static string Render(StatusSnapshot status, DateTime utcNow)
    {
        ArgumentNullException.ThrowIfNull(status);
        var m = new MetricFamilies();
        Tunnel(m, status.Tunnel, utcNow);
        if (status.Control is { } control)
        {
            m.Snapshot(control.Counters, "mptfast_control_", "", "control");
            m.ByReason(control.Rejected, "mptfast_control_rejected_total", "Control datagrams rejected, by reason (control.rejected of mptfast status --json)", "");
        }

        foreach (ConnectionReport c in status.Connections)
        {
            Connection(m, c);
        }

        var sb = new StringBuilder(m.Length);
        m.WriteTo(sb);
        return sb.ToString();
    }

    private static void Tunnel(MetricFamilies m, TunnelReport t, DateTime utcNow)
    {
        m.Gauge("mptfast_build_info", "The running mptfast's version (always 1)", Labels("version", Version), 1);
        m.Gauge("mptfast_start_time_seconds", "When the daemon started, seconds since the Unix epoch",
            "", Math.Round((utcNow - t.Uptime - DateTime.UnixEpoch).TotalSeconds, 3));
        m.Gauge("mptfast_tunnel_info", "The TUN interface (always 1)", Labels("tunnel", t.Interface.TunName), 1);
        m.Gauge("mptfast_tunnel_mtu_bytes", "MTU of the TUN interface", "", t.Interface.Mtu);
        m.Snapshot(t.Datapath, "mptfast_datapath_", "", "tunnel.datapath");
        const string allocated = "Bytes the datapath thread allocated since it started: 0 in the steady state (tunnel.*_thread_allocated_bytes)";
        m.Gauge("mptfast_datapath_thread_allocated_bytes", allocated, Labels("thread", "tx"), t.TxThreadAllocatedBytes);
        m.Gauge("mptfast_datapath_thread_allocated_bytes", allocated, Labels("thread", "rx"), t.RxThreadAllocatedBytes);
        if (t.Memory is { } mem)
        {
            m.Counter("mptfast_process_allocated_bytes_total", "Bytes allocated by every thread of the daemon since it started (tunnel.memory.allocated_bytes)", "", mem.AllocatedBytes);
            m.Gauge("mptfast_gc_heap_bytes", "Size of the managed heap after the last garbage collection (tunnel.memory.gc_heap_bytes)", "", mem.HeapBytes);
            const string gc = "Garbage collections by generation (tunnel.memory.gc_gen0..2)";
            m.Counter("mptfast_gc_collections_total", gc, Labels("generation", "0"), mem.Collections.Gen0);
            m.Counter("mptfast_gc_collections_total", gc, Labels("generation", "1"), mem.Collections.Gen1);
            m.Counter("mptfast_gc_collections_total", gc, Labels("generation", "2"), mem.Collections.Gen2);
        }
    }

    private static void Connection(MetricFamilies m, ConnectionReport c)
    {
        ConnectionConfig k = c.Config;
        string labels = Labels("connection", k.FileName);
        m.Gauge("mptfast_connection_info", "A running connection: name, tunnel addresses and IP version (always 1)",
            Join(labels, Labels("name", k.Name, "local", k.IpLocal.ToString(), "remote", k.IpRemote.ToString(), "ip_version", c.IpVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))), 1);
        m.Counter("mptfast_connection_dropped_total", "Packets of the connection dropped before a path, by reason (dropped_no_path)",
            labels, c.DroppedNoPath, Reason("no_path"));
        m.Gauge("mptfast_connection_reorder_window_packets", "The connection's reorder window (reorder_window; 0: no reordering)", labels, k.ReorderWindow);
        if (c.Reorder is { } reorder)
        {
            m.Snapshot(reorder, "mptfast_connection_reorder_", labels, "connections[].reorder");
        }

        foreach (PathReport p in c.Paths)
        {
            Path(m, labels, p);
        }
    }

    private static void Path(MetricFamilies m, string connection, PathReport p)
    {
        string labels = Join(connection, Labels("path", p.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        m.Gauge("mptfast_path_info", "A path: its interface and addresses (always 1)",
            Join(labels, Labels("interface", p.Config.InterfaceName, "local", p.Local.ToString(), "public", p.Public.ToString(), "remote", p.Remote.ToString())), 1);
        m.Gauge("mptfast_path_up", "1 when the path carries traffic (status 0x00), else 0", labels, p.Status == PathStatus.Ok ? 1 : 0);
        foreach (PathStatus s in States.Contains(p.Status) ? States : [.. States, p.Status])
        {
            m.Gauge("mptfast_path_status", "The path's status as a state set: 1 for the current one (status_name of mptfast status --json)",
                labels, s == p.Status ? 1 : 0, Label("status", StatusJson.StatusName(s)));
        }

        if (p.LinkUp is bool link)
        {
            m.Gauge("mptfast_path_link_up", "1 when the path's interface is up and running, 0 when not (link_up)", labels, link ? 1 : 0);
        }

        m.Gauge("mptfast_path_weight", "The path's configured weight, by direction (weight_in, weight_out)", labels, p.Config.WeightIn, Label("direction", "in"));
        m.Gauge("mptfast_path_weight", "The path's configured weight, by direction (weight_in, weight_out)", labels, p.Config.WeightOut, Label("direction", "out"));
        m.Gauge("mptfast_path_keepalive_interval_seconds", "Seconds between keepalives (keepalive_time; 0: none)", labels, p.Config.KeepaliveTime);
        m.Gauge("mptfast_path_dead_time_seconds", "Seconds without a keepalive before the path is down (dead_time; 0: never)", labels, p.Config.DeadTime);
        if (p.LastKeepaliveAge is { } age)
        {
            m.Gauge("mptfast_path_last_keepalive_age_seconds", "Seconds since the last keepalive arrived (absent before the first)",
                labels, Math.Round(age.TotalSeconds, 3));
        }

        m.Snapshot(p.Traffic, "mptfast_path_", labels, "connections[].paths[]");
        if (p.Socket is { } socket)
        {
            m.Snapshot(socket, "mptfast_path_socket_", labels, "connections[].paths[].socket");
        }

        m.ByReason(p.Drops, "mptfast_path_dropped_total", "Datagrams the path dropped or failed to send, by reason (connections[].paths[].drops)", labels);
    }
}
