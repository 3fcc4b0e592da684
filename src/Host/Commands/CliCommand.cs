using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MptFast.Engine.Config;
using MptFast.Engine.Control.Cli;
using MptFast.Engine.Wire;

namespace MptFast.Host.Commands;

/// <summary>
/// The command line of the original (<c>mpt [-6] [-PORT] COMMAND</c>, MPT-SPEC §9.10) and <c>mptfast status</c>: validates
/// the command with <see cref="CliCommandLine"/> (nothing is sent when it is malformed), sends it to the daemon's command
/// port on loopback (§4.8) and prints the reply. Exit status: 0 when the daemon answered CMD_OK; 1, 3, 4, 5 as the
/// original for an unknown command, invalid IP, invalid prefix length, wrong parameters; 6 when the daemon answered
/// CMD-ERROR; 7 when no daemon answered (B90: the original ignores the answer).
/// </summary>
internal static class CliCommand
{
    public const int ExitDaemonError = 6;
    public const int ExitNoAnswer = 7;

    public static int Status(string[] args)
    {
        var reader = new ArgReader(args);
        var target = new Target();
        bool json = false;
        WatchCommand.Options? watch = null;
        while (!reader.AtEnd)
        {
            string a = reader.Take();
            switch (a)
            {
                case "--json": json = true; break;
                case "--watch": watch ??= new WatchCommand.Options(); break;
                case "--interval": watch = (watch ?? new WatchCommand.Options()) with { IntervalSeconds = reader.IntValue(a, 1, 3600) }; break;
                case "--count": watch = (watch ?? new WatchCommand.Options()) with { Count = reader.IntValue(a, 1, int.MaxValue) }; break;
                case "-h" or "--help": Console.Out.Write(Help.Status); return Program.ExitOk;
                default:
                    if (!target.TryOption(a, reader))
                    {
                        throw new UsageException($"status: unknown argument '{a}'");
                    }

                    break;
            }
        }

        if (watch is not null)
        {
            target.MaxTimeout = TimeSpan.FromSeconds(2);
            return json ? throw new UsageException("status: --watch shows a screen, not JSON") : WatchCommand.Run(target, watch);
        }

        return Send(target, json ? "show status json" : "show status", raw: json);
    }

    /// <summary><c>mptfast metrics</c>: the daemon's Prometheus metrics once, as <c>/metrics</c> serves them (for the
    /// node_exporter textfile collector, or a look without enabling the endpoint).</summary>
    public static int Metrics(string[] args)
    {
        var reader = new ArgReader(args);
        var target = new Target();
        while (!reader.AtEnd)
        {
            string a = reader.Take();
            if (a is "-h" or "--help")
            {
                Console.Out.Write(Help.Metrics);
                return Program.ExitOk;
            }

            if (!target.TryOption(a, reader))
            {
                throw new UsageException($"metrics: unknown argument '{a}'");
            }
        }

        return Send(target, new ShowStatusCommand(StatusFormat.Metrics).ToCommandLine(), raw: true);
    }

    public static int RunAsMpt(string[] args)
    {
        var reader = new ArgReader(args);
        var target = new Target();
        while (!reader.AtEnd && reader.Peek!.StartsWith('-'))
        {
            string a = reader.Take();
            if (a is "-h" or "--help")
            {
                Console.Out.Write(Help.Main);
                Console.Out.WriteLine();
                Console.Out.WriteLine(CliHelp.All);
                return Program.ExitOk;
            }

            if (!target.TryOption(a, reader))
            {
                throw new UsageException($"unknown option '{a}'");
            }
        }

        List<string> words = [.. reader.Rest()];
        if (words.Count == 0)
        {
            throw new UsageException("no command given");
        }

        CliParseResult first = CliCommandLine.Parse(words[0]);
        CliCommandKind? kind = first.Command?.Kind ?? first.Kind;
        if (words.Skip(1).Any(w => w is "-h" or "--help"))
        {
            Console.Out.WriteLine(kind is { } k ? CliHelp.For(k) : CliHelp.All);
            return Program.ExitOk;
        }

        // `show status --json` is `show status json` (the MptFast extension); its reply is printed without the prefix.
        if (words.Count == 3 && words[0] == "show" && words[1] == "status" && words[2] == "--json")
        {
            words[2] = "json";
        }

        CliParseResult parsed = CliCommandLine.Parse(string.Join(' ', words));
        if (parsed.Command is not { } command)
        {
            Console.Error.WriteLine("mptfast: " + parsed.Message);
            if (parsed.Kind is { } pk)
            {
                Console.Error.WriteLine("usage: " + CliHelp.For(pk));
            }
            else
            {
                Console.Error.WriteLine("commands:\n" + CliHelp.All);
            }

            return (int)parsed.ExitCode;
        }

        return Send(target, command.ToCommandLine(), raw: command is ShowStatusCommand { IsData: true });
    }

    private static int Send(Target target, string commandLine, bool raw)
    {
        Reply reply = Exchange(target, commandLine, raw);
        Console.Out.Write(reply.Output);
        Console.Error.Write(reply.Error);
        return reply.ExitCode;
    }

    /// <summary>What a command brought back: the exit status, the text for standard output and for standard error.</summary>
    public readonly record struct Reply(int ExitCode, string Output, string Error);

    /// <summary>Sends <paramref name="commandLine"/> to the daemon <paramref name="target"/> names and collects the
    /// answer (also for <c>status --watch</c>, which asks once a second the way every command asks).</summary>
    public static Reply Exchange(Target target, string commandLine, bool raw)
    {
        target.Resolve();
        return target.Udp ? SendUdp(target, commandLine, raw) : LocalCli.Send(target.SocketPath, target.Timeout, commandLine, raw);
    }

    private static Reply SendUdp(Target target, string commandLine, bool raw)
    {
        IPAddress address = target.Ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        var endpoint = new IPEndPoint(address, target.Port);
        using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        byte[] buffer = new byte[65536];
        if (CliCodec.TryWriteRequest(buffer, commandLine, out int length) != CliStatus.Ok)
        {
            throw new UsageException("command line too long");
        }

        // Connected, so a closed port (ICMP port unreachable) is reported at once instead of after the timeout.
        socket.Connect(endpoint);
        socket.Send(buffer.AsSpan(0, length));
        var sw = Stopwatch.StartNew();
        bool any = false;
        bool ok = true;
        bool refused = false;
        var output = new StringBuilder();
        while (true)
        {
            int remainingMs = (int)(target.Timeout.TotalMilliseconds - sw.Elapsed.TotalMilliseconds);
            if (remainingMs <= 0 || !socket.Poll(remainingMs * 1000, SelectMode.SelectRead))
            {
                break;
            }

            int n;
            try
            {
                n = socket.Receive(buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                refused = true;
                break;
            }

            if (AddReplyFrame(buffer.AsSpan(0, n), output, raw, ref ok, ref any) is Reply exit)
            {
                return exit;
            }

            sw.Restart();
        }

        if (any)
        {
            return new Reply(ExitNoAnswer, output.ToString(), $"mptfast: the reply from {endpoint} ended without an end marker\n");
        }

        return new Reply(ExitNoAnswer, "", $"mptfast: no answer from a daemon at {endpoint} (UDP port {target.Port}) within {target.Timeout.TotalSeconds:0.#} s" +
            $"{(refused ? " (port unreachable)" : "")} — is mptfast running, is {target.Port} its command port (cmdport_local), and does it " +
            "serve the UDP CLI (cli_udp = 1)? Without -p/-6/--udp the CLI uses the daemon's control socket.\n");
    }

    /// <summary>
    /// One reply frame (MPT-SPEC §4.8) into <paramref name="output"/>; at the end frame the whole reply (standard output
    /// when every line was CMD_OK, else standard error). Frames that do not decode are skipped.
    /// </summary>
    internal static Reply? AddReplyFrame(ReadOnlySpan<byte> frame, StringBuilder output, bool raw, ref bool ok, ref bool any)
    {
        if (CliCodec.DecodeReply(frame, out CliReplyKind kind, out ReadOnlySpan<byte> text) != CliStatus.Ok)
        {
            return null;
        }

        any = true;
        if (kind == CliReplyKind.End)
        {
            return ok ? new Reply(Program.ExitOk, output.ToString(), "") : new Reply(ExitDaemonError, "", output.ToString());
        }

        ok &= kind == CliReplyKind.Ok;
        string s = Encoding.UTF8.GetString(text);
        output.Append(raw ? StripPrefix(s) : s);
        if (!raw)
        {
            output.Append('\n');
        }

        return null;
    }

    private static string StripPrefix(string s) =>
        s.StartsWith("CMD_OK:", StringComparison.Ordinal) ? s[7..] : s.StartsWith("CMD-ERROR:", StringComparison.Ordinal) ? s[10..] : s;

    /// <summary>
    /// Where the daemon listens: its control socket (--socket PATH, else DIR/interface.conf's control_socket, else the
    /// default), or — with -p PORT / -PORT / -6 / --udp — the original's UDP command port (needs cli_udp = 1, issue 14).
    /// </summary>
    internal sealed class Target
    {
        private string _dir = DaemonCommand.DefaultConfDir;
        private int? _port;
        private TimeSpan? _timeout;
        private string? _socket;

        public bool Udp { get; private set; }

        public string SocketPath { get; private set; } = InterfaceConfig.DefaultControlSocket;

        public bool Ipv6 { get; private set; }

        public ushort Port { get; private set; } = InterfaceConfig.DefaultCommandPort;

        public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(5);

        /// <summary>The longest wait for a reply unless -t says otherwise (the live view must not freeze for cmd_timeout).</summary>
        public TimeSpan? MaxTimeout { get; set; }

        public bool TryOption(string a, ArgReader reader)
        {
            switch (a)
            {
                case "-6": Ipv6 = Udp = true; return true;
                case "-p" or "--port": _port = reader.IntValue(a, 1, 65535); Udp = true; return true;
                case "--udp": Udp = true; return true;
                case "--socket": _socket = reader.Value(a); return true;
                case "-c" or "--config": _dir = reader.Value(a); return true;
                case "-t" or "--timeout": _timeout = TimeSpan.FromSeconds(reader.IntValue(a, 1, 3600)); return true;
            }

            // The original's -PORT form (strict: digits only, B90).
            if (a.Length > 1 && a[1..].All(char.IsAsciiDigit) && int.TryParse(a[1..], NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p is > 0 and <= 65535)
            {
                _port = p;
                Udp = true;
                return true;
            }

            return false;
        }

        public void Resolve()
        {
            string file = Path.Combine(_dir, "interface.conf");
            if (File.Exists(file))
            {
                var parsed = InterfaceParser.Parse(File.ReadAllText(file), file);
                if (parsed.Value is { } i)
                {
                    Port = i.CommandPort;
                    SocketPath = i.ControlSocket;
                    Timeout = TimeSpan.FromSeconds(Math.Clamp(i.CommandTimeoutSeconds, 1, 3600));
                }
            }

            if (_port is int p)
            {
                Port = (ushort)p;
            }

            if (_socket is { } s)
            {
                SocketPath = s;
            }

            if (_timeout is { } t)
            {
                Timeout = t;
            }
            else if (MaxTimeout is { } max && Timeout > max)
            {
                Timeout = max;
            }
        }
    }
}
