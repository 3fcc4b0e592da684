namespace MptFast.Host.Commands;

/// <summary>Help texts, one per command (every command answers --help).</summary>
internal static class Help
{
    public const string Main = """
        mptfast - multipath tunnel, wire-compatible with MPT (GRE-in-UDP, RFC 8086)

        Usage:
          mptfast run [-c DIR] [-d] [--metrics ADDR:PORT] [--log-format text|json] ...
                                                   run the daemon (also: mptsrv)
          mptfast check [-c DIR]                   validate a configuration directory and exit
          mptfast status [--json] [--socket PATH]  state and counters of the running daemon
          mptfast status --watch [--interval S]    a live view, refreshed every second (also: mptfast top)
          mptfast metrics [--socket PATH]          the same as Prometheus metrics (text format)
          mptfast print-portmap                    the port map compiled into this binary
          mptfast init-config [--side a|b] [--peer-dir DIR2] DIR
                                                   write the example configuration with a fresh auth_key
          mptfast [--socket PATH] COMMAND [ARGS]   the original mpt commands (also: mpt COMMAND):
              show status | path up|down LOCAL REMOTE | int IF up|down | addr add|del IP[/LEN] dev IF
              reload [FILE] | restart [FILE] | delete FILE | save [FILE] | create FILE
          mptfast help COMMAND                     help for one command (also: mptfast COMMAND --help)
          mptfast --version

        DIR is a configuration directory in the original's layout: DIR/interface.conf and
        DIR/connections/*.conf (default: ./conf when it exists, else /etc/mptfast). Commands go to the
        daemon's control socket (DIR/interface.conf control_socket, default /run/mptfast/control.sock, root
        or control_gid only; --socket PATH overrides). --udp, -6 or -p PORT use the original's UDP loopback
        channel instead, which the daemon serves only with cli_udp = 1 (port: cmdport_local, default 60456).

        Exit status of the mpt commands: 0 the daemon answered CMD_OK; 1 unknown command; 3 invalid IP
        address; 4 invalid prefix length; 5 wrong parameters (nothing sent); 6 the daemon answered
        CMD-ERROR; 7 no daemon answered.

        """;

    public static string For(string command) => command switch
    {
        "run" or "mptsrv" => Run,
        "check" => Check,
        "status" or "top" => Status,
        "metrics" => Metrics,
        "print-portmap" => PrintPortMap,
        "init-config" => InitConfigCommand.Usage,
        _ => Engine.Control.Cli.CliCommandLine.Parse(command) is var r && (r.Command?.Kind ?? r.Kind) is { } kind
            ? Engine.Control.Cli.CliHelp.For(kind) + "\n"
            : Main,
    };

    public const string Run = """
        Usage: mptfast run [-c DIR] [-d] [--log-level LEVEL] [--log-format text|json] [--no-offload]
                           [--single-thread] [--metrics ADDR:PORT] [--interface-command PROG]
               mptsrv [-d]

        Runs the tunnel daemon in the foreground: creates the TUN interface of DIR/interface.conf, sets its
        MTU and addresses, opens one UDP socket per path of every DIR/connections/*.conf, installs the
        routes the original installs, and forwards until SIGINT or SIGTERM, then removes its routes and
        interface. Needs root (CAP_NET_ADMIN) and /dev/net/tun. Logs go to stderr; the line
        "ready: ..." says the tunnel is up.

        Options:
          -c, --config DIR    configuration directory (default ./conf when it exists, else
                              /etc/mptfast)
          -d                  do not read commands from stdin (as the original's -d); the default when
                              stdin is not a terminal
          --log-level LEVEL   debug, info (default), warn, error
          --log-format FORMAT text (default): time, level, message; json: one JSON object per line
                              with time, level, event, connection, path, status, reason, message.
                              Under systemd (stderr is the journal) lines start with their syslog
                              priority (<3> error ... <7> debug) instead of the time
          --no-offload        do not use UDP GSO/GRO or TUN offloads even when the kernel has them
          --single-thread     move both directions on one thread: one wake-up per ACK instead of
                              two, for many tunnels on one machine or a small router at tens of
                              Mbit/s; at most one core for the tunnel (default: a thread each way)
          --metrics ADDR:PORT serve Prometheus metrics at http://ADDR:PORT/metrics (PORT alone:
                              127.0.0.1; [ADDR]:PORT for IPv6); overrides interface.conf's
                              metrics_listen. Off unless one of them is given
          --interface-command PROG
                              what `mpt int IF up|down` runs: PROG IF up|down (default: ip link set
                              dev IF up|down)

        SIGHUP reloads DIR/connections/*.conf and the template (as `mptfast reload`); an invalid file is
        reported with FILE:LINE and the running configuration stays.
          -h, --help          this text

        """;

    public const string Check = """
        Usage: mptfast check [-c DIR]

        Loads DIR/interface.conf and DIR/connections/*.conf exactly as the daemon would and prints every
        error as FILE:LINE: KEY: MESSAGE and every warning. Exit status 0 when the configuration is valid,
        1 when it is not. Needs no privileges and touches nothing.

        """;

    public const string Status = """
        Usage: mptfast status [--json] [-c DIR] [--socket PATH] [--udp] [-p PORT] [-6] [-t SECONDS]
               mptfast status --watch [--interval SECONDS] [--count N] [-c DIR] [--socket PATH] [--udp] [-p PORT] [-6]
               mptfast top [...]   (= status --watch)

        Asks the running daemon over its control socket (--socket, DIR/interface.conf's control_socket or
        /run/mptfast/control.sock; root or control_gid only) — or, with --udp, -p or -6, over the original's
        UDP loopback channel when the daemon enables it (cli_udp = 1) — for its state: the tunnel, every connection and every path with status, weights,
        packet/byte counters in and out, drops by reason and the time since the last keepalive.
        --json prints one JSON object instead of the report of the original's `mpt show status`.

        --watch shows a live view in 80 columns, refreshed every second (--interval): per connection
        its reorder holds, per path its status (a path not up says DOWN and why, highlighted), the
        rates out and in in Mbit/s and packets/s, the keepalive age and drops per second, and RTT and
        loss where the daemon measures them. q or Ctrl-C quits. With standard output redirected it
        prints one screen after the other; --count N stops after N screens.

        """;

    public const string Metrics = """
        Usage: mptfast metrics [-p PORT] [-6] [-c DIR]

        Prints the running daemon's metrics once in the Prometheus text format, exactly what its
        /metrics endpoint serves (which need not be enabled): for node_exporter's textfile collector,
        written to a temporary file that is then renamed into the collector's directory.

        """;

    public const string PrintPortMap = """
        Usage: mptfast print-portmap

        Prints the port map (tcp_src, tcp_dst, udp_src, udp_dst of every path) that was compiled into
        this binary at build time from the configuration given with `dotnet publish -p:MptConfig=DIR`.
        At run time a connection uses the compiled table when the loaded file's port-map rules are the
        same, and otherwise builds its table at load; the daemon logs which.

        """;
}
