using System.Diagnostics;
using System.Runtime.InteropServices;
using MptFast.Engine.Config;
using MptFast.Engine.Control;
using MptFast.Engine.Daemon;
using MptFast.Engine.Logging;
using MptFast.Engine.Status;
using MptFast.Host.PortMap;

namespace MptFast.Host.Commands;

/// <summary><c>mptfast run</c> / <c>mptsrv</c>: the daemon in the foreground until SIGINT/SIGTERM (MPT-SPEC §9.6 Required).</summary>
internal static class DaemonCommand
{
    /// <summary>Where an installed system keeps its configuration (the package's unit runs <c>-c /etc/mptfast</c>).</summary>
    public const string SystemConfDir = "/etc/mptfast";

    /// <summary>
    /// <c>./conf</c>, the original's layout relative to the working directory (MPT-SPEC §5.1), when it exists; else the
    /// installed system's <see cref="SystemConfDir"/>, so <c>mptfast status</c> and <c>check</c> find its command port and files.
    /// </summary>
    public static string DefaultConfDir => Directory.Exists("conf") ? "conf" : SystemConfDir;

    /// <summary>The original's daemon takes only <c>-d</c>; anything else is our <c>run</c> syntax.</summary>
    public static int RunAsMptsrv(string[] args) => Run(args);

    public static int Run(string[] args)
    {
        string dir = DefaultConfDir;
        bool noStdin = false;
        bool offload = true;
        bool singleThread = false;
        string? interfaceCommand = null;
        System.Net.IPEndPoint? metrics = null;
        var reader = new ArgReader(args);
        while (!reader.AtEnd)
        {
            string a = reader.Take();
            switch (a)
            {
                case "-c" or "--config": dir = reader.Value(a); break;
                case "-d": noStdin = true; break;
                case "--log-level": Program.SetLogLevel(reader.Value(a)); break;
                case "--log-format": Program.SetLogFormat(reader.Value(a)); break;
                case "--no-offload": offload = false; break;
                case "--single-thread": singleThread = true; break;
                case "--interface-command": interfaceCommand = reader.Value(a); break;
                case "--metrics":
                    string at = reader.Value(a);
                    metrics = ListenAddress.TryParse(at, out System.Net.IPEndPoint? parsed, out string why) ? parsed : throw new UsageException("--metrics " + why);
                    break;
                case "-h" or "--help": Console.Out.Write(Help.Run); return Program.ExitOk;
                default: throw new UsageException($"run: unknown argument '{a}'");
            }
        }

        // Read once and removed, so that the programs the daemon runs (ip, an interface command) do not inherit them.
        ServiceEnvironment service = ServiceEnvironment.Read(Environment.GetEnvironmentVariable, Environment.ProcessId);
        foreach (string variable in ServiceEnvironment.Variables)
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        ConfigLoadResult loaded = ConfigLoader.Load(dir);
        foreach (ConfigWarning w in loaded.Warnings)
        {
            Log.Write(LogLevel.Warning, w.ToString(), new LogFields("config_warning"));
        }

        if (loaded.Config is null || loaded.Errors.Count > 0)
        {
            foreach (ConfigError e in loaded.Errors)
            {
                Log.Write(LogLevel.Error, e.ToString(), new LogFields("config_error"));
            }

            Log.Write(LogLevel.Error, $"{dir}: configuration has {loaded.Errors.Count} error(s); not starting", new LogFields("start_failed"));
            return Program.ExitFailure;
        }

        if (Preflight() is { } problem)
        {
            Log.Write(LogLevel.Error, problem, new LogFields("start_failed"));
            return Program.ExitFailure;
        }

        using var stop = new ManualResetEventSlim();
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });

        TunnelDaemon daemon;
        try
        {
            daemon = TunnelDaemon.Start(loaded.Config, new DaemonOptions
            {
                Offload = offload,
                SingleThread = singleThread,
                BakedPortMap = CompiledPortMaps.ForFile,
                ConfigDirectory = Path.GetFullPath(dir),
                InterfaceCommand = interfaceCommand,
                Service = service,
                MetricsListen = metrics,
            });
        }
        catch (Exception e) when (e is DaemonStartException or IOException or InvalidOperationException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            Log.Write(LogLevel.Error, "cannot start: " + e.Message, new LogFields("start_failed"));
            return Program.ExitFailure;
        }

        using (daemon)
        {
            // SIGHUP = `mpt reload` (all files), executed on the control thread; an invalid file keeps the old config.
            if (InheritedSignals.ResetIgnoredHangup())
            {
                Log.Info("SIGHUP was inherited as ignored (nohup?): taken back, it reloads the configuration");
            }

            using PosixSignalRegistration sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c =>
            {
                c.Cancel = true;
                daemon.Post(() =>
                {
                    CommandReply r = daemon.Commands.Reload(null);
                    Log.Write(r.Ok ? LogLevel.Info : LogLevel.Error, "SIGHUP: " + r.Text, new LogFields("reload", Reason: "signal"));
                });
            });
            if (!noStdin && !Console.IsInputRedirected)
            {
                StartConsoleMenu(daemon, stop);
            }

            stop.Wait();
            Log.Write(LogLevel.Info, "stopping", new LogFields("stopping"));
        }

        return Program.ExitOk;
    }

    /// <summary>Clear refusals before touching anything (MPT-SPEC §9.5).</summary>
    private static string? Preflight()
    {
        if (!File.Exists("/dev/net/tun"))
        {
            return "/dev/net/tun does not exist: this kernel or container has no TUN support (modprobe tun, or run with --device /dev/net/tun)";
        }

        if (Environment.UserName != "root" && !HasNetAdmin())
        {
            return "mptfast run needs root or CAP_NET_ADMIN (TUN device, addresses, routes)";
        }

        return null;
    }

    private static bool HasNetAdmin()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                {
                    ulong caps = Convert.ToUInt64(line[7..].Trim(), 16);
                    return (caps & (1UL << 12)) != 0; // CAP_NET_ADMIN
                }
            }
        }
        catch (IOException)
        {
        }

        return false;
    }

    /// <summary>The original's console menu (MPT-SPEC §9.6): q quits, p prints the status; only on a terminal.</summary>
    private static void StartConsoleMenu(TunnelDaemon daemon, ManualResetEventSlim stop)
    {
        var t = new Thread(() =>
        {
            Console.Out.WriteLine("Commands: q = quit, p = print status, r = reload all connections");
            while (!stop.IsSet)
            {
                string? line = Console.In.ReadLine();
                if (line is null)
                {
                    return; // end of input: keep running (B87)
                }

                switch (line.Trim())
                {
                    case "q": stop.Set(); return;
                    case "p": daemon.Post(() => Console.Out.Write(StatusText.Render(daemon.Commands.Status(Stopwatch.GetTimestamp())))); break;
                    case "r": daemon.Post(() => Console.Out.WriteLine(daemon.Commands.Reload(null).Text)); break;
                    default: break;
                }
            }
        })
        { IsBackground = true, Name = "mptfast-console" };
        t.Start();
    }
}
