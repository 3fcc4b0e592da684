using System.Reflection;
using MptFast.Engine.Logging;
using MptFast.Host.Commands;

// The executable is built for linux-x64 only (NativeAOT, TUN, netlink): its file modes and signals are Linux ones.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace MptFast.Host;

/// <summary>
/// One binary, several faces (busybox style): <c>mptfast run</c> / <c>mptsrv</c> is the daemon, <c>mptfast COMMAND</c> /
/// <c>mpt COMMAND</c> is the command line of the original MPT.
/// </summary>
internal static class Program
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    private static int Main(string[] args)
    {
        string invokedAs = Path.GetFileName(Environment.GetCommandLineArgs().FirstOrDefault() ?? "mptfast");
        try
        {
            return invokedAs switch
            {
                "mptsrv" => DaemonCommand.RunAsMptsrv(args),
                "mpt" => CliCommand.RunAsMpt(args),
                _ => Dispatch(args),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"mptfast: {e.Message}");
            Console.Error.WriteLine("Try 'mptfast --help'.");
            return ExitUsage;
        }
    }

    private static int Dispatch(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.Write(Help.Main);
            return ExitUsage;
        }

        string command = args[0];
        string[] rest = args[1..];
        switch (command)
        {
            case "-h" or "--help" or "help":
                Console.Out.Write(rest.Length > 0 ? Help.For(rest[0]) : Help.Main);
                return ExitOk;
            case "--version" or "version":
                // The changelog's version and, where the build knew it, the commit (+sha).
                Console.Out.WriteLine("mptfast " + typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);
                return ExitOk;
            case "run":
                return DaemonCommand.Run(rest);
            case "check":
                return CheckCommand.Run(rest);
            case "status":
                return CliCommand.Status(rest);
            case "init-config":
                return InitConfigCommand.Run(rest);
            case "print-portmap" or "--print-portmap":
                return PortMapCommand.Run(rest);
            default:
                return CliCommand.RunAsMpt(args);
        }
    }

    /// <summary>Sets the log level from <c>--log-level</c>.</summary>
    public static void SetLogLevel(string text)
    {
        if (!Log.TryParseLevel(text, out LogLevel level))
        {
            throw new UsageException($"unknown log level '{text}' (debug, info, warn, error)");
        }

        Log.MinLevel = level;
    }
}
