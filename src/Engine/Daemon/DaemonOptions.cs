namespace MptFast.Engine.Daemon;

/// <summary>How to run the tunnel daemon.</summary>
public sealed record DaemonOptions
{
    /// <summary>Use UDP GSO/GRO and TUN offloads when the kernel has them.</summary>
    public bool Offload { get; init; } = true;

    /// <summary>Both datapath directions on one thread (<c>run --single-thread</c>, <see cref="Datapath.SingleThreadDatapath"/>):
    /// one wake-up per ACK instead of two at low rates, at most one core for the tunnel.</summary>
    public bool SingleThread { get; init; }

    /// <summary>Socket send/receive buffer size per path (SO_SNDBUF/SO_RCVBUF, forced when root).</summary>
    public int SocketBufferBytes { get; init; } = 4 << 20;

    /// <summary>Bind each path socket to its interface_name (SO_BINDTODEVICE, B86) when that interface exists.</summary>
    public bool BindToDevice { get; init; } = true;

    /// <summary>Install the per-path, tunnel-peer and network routes of MPT-SPEC §9.3.</summary>
    public bool InstallRoutes { get; init; } = true;

    /// <summary>The configuration directory (<c>interface.conf</c>, <c>connections/</c>) that <c>reload</c>, <c>save</c> and
    /// <c>delete</c> work on; null = those commands are refused.</summary>
    public string? ConfigDirectory { get; init; }

    /// <summary>
    /// What <c>mpt int IF up|down</c> runs after (down) or before (up) changing the path statuses: null = <c>ip link set
    /// dev IF up|down</c>; otherwise this executable with the arguments <c>IF up|down</c> (MPT-SPEC §9.8: configurable,
    /// the original ran ifup/ifdown).
    /// </summary>
    public string? InterfaceCommand { get; init; }

    /// <summary>Where the Prometheus metrics endpoint listens, overriding interface.conf's <c>metrics_listen</c>
    /// (<c>run --metrics</c>); null = as interface.conf says.</summary>
    public System.Net.IPEndPoint? MetricsListen { get; init; }

    /// <summary>What systemd passed (NOTIFY_SOCKET, WATCHDOG_USEC): where to send sd_notify messages and whether to
    /// ping its watchdog; default: not run by a service manager.</summary>
    public ServiceEnvironment Service { get; init; }

    /// <summary>The port map compiled into the binary at build time, per connection file name (null: none); a connection
    /// uses it when its loaded rules have the same fingerprint (<see cref="Mapping.PortMapTable.ForPaths"/>).</summary>
    public Func<string, Mapping.PortMapTable?>? BakedPortMap { get; init; }
}
