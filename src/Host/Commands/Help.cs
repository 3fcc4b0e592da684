namespace MptFast.Host.Commands;

/// <summary>Help texts, one per command (every command answers --help).</summary>
internal static class Help
{
    public const string Main = """
        mptfast - multipath tunnel, wire-compatible with MPT (GRE-in-UDP, RFC 8086)

        Usage:
          mptfast run [-c DIR] [-d] [--log-level LEVEL] [--no-offload]   run the daemon (also: mptsrv)
          mptfast check [-c DIR]                   validate a configuration directory and exit
          mptfast status [--json] [-p PORT] [-6]   state and counters of the running daemon
          mptfast print-portmap                    the port map compiled into this binary
          mptfast init-config [--side a|b] [--peer-dir DIR2] DIR
                                                   write the example configuration with a fresh auth_key
          mptfast [-6] [-p PORT] COMMAND [ARGS]    the original mpt commands (also: mpt COMMAND):
              show status | path up|down LOCAL REMOTE | int IF up|down | addr add|del IP[/LEN] dev IF
              reload [FILE] | restart [FILE] | delete FILE | save [FILE] | create FILE
          mptfast help COMMAND                     help for one command (also: mptfast COMMAND --help)
          mptfast --version

        DIR is a configuration directory in the original's layout: DIR/interface.conf and
        DIR/connections/*.conf (default: ./conf when it exists, else /etc/mptfast). The command port
        comes from DIR/interface.conf ([general] cmdport_local, default 60456) or -p PORT.

        Exit status of the mpt commands: 0 the daemon answered CMD_OK; 1 unknown command; 3 invalid IP
        address; 4 invalid prefix length; 5 wrong parameters (nothing sent); 6 the daemon answered
        CMD-ERROR; 7 no daemon answered.

        """;

    public static string For(string command) => command switch
    {
        "run" or "mptsrv" => Run,
        "check" => Check,
        "status" => Status,
        "print-portmap" => PrintPortMap,
        "init-config" => InitConfigCommand.Usage,
        _ => Engine.Control.Cli.CliCommandLine.Parse(command) is var r && (r.Command?.Kind ?? r.Kind) is { } kind
            ? Engine.Control.Cli.CliHelp.For(kind) + "\n"
            : Main,
    };

    public const string Run = """
        Usage: mptfast run [-c DIR] [-d] [--log-level LEVEL] [--no-offload] [--interface-command PROG]
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
          --no-offload        do not use UDP GSO/GRO or TUN offloads even when the kernel has them
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
        Usage: mptfast status [--json] [-p PORT] [-6] [-c DIR]

        Asks the running daemon (UDP on 127.0.0.1, or ::1 with -6, command port from -p, DIR/interface.conf
        or 60456) for its state: the tunnel, every connection and every path with status, weights,
        packet/byte counters in and out, drops by reason and the time since the last keepalive.
        --json prints one JSON object instead of the report of the original's `mpt show status`.

        """;

    public const string PrintPortMap = """
        Usage: mptfast print-portmap

        Prints the port map (tcp_src, tcp_dst, udp_src, udp_dst of every path) that was compiled into
        this binary at build time from the configuration given with `dotnet publish -p:MptConfig=DIR`.
        At run time a connection uses the compiled table when the loaded file's port-map rules are the
        same, and otherwise builds its table at load; the daemon logs which.

        """;
}
