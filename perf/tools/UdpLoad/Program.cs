using MptFast.Perf.UdpLoad;

// UdpLoad: the perf harness's packet-rate load (perf/README.md). Usage and exit codes: Options.Usage.
const int ExitOk = 0, ExitFailed = 1, ExitUsage = 2, ExitInterrupted = 130;

if (args.Length == 1 && args[0] is "-h" or "--help")
{
    Console.Out.Write(Options.Usage);
    return ExitOk;
}

Options options;
try
{
    options = Options.Parse(args);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"udpload: {e.Message}");
    return ExitUsage;
}

if (!OperatingSystem.IsLinux() || IntPtr.Size != 8)
{
    Console.Error.WriteLine("udpload: needs 64-bit Linux (sendmmsg/recvmmsg with LP64 layouts)");
    return ExitFailed;
}

using var stop = new StopSignal();
LoadResult result;
try
{
    result = options.Send ? Sender.Run(options, stop) : Receiver.Run(options, stop, Console.Error);
}
catch (SocketCallException e)
{
    Console.Error.WriteLine($"udpload {(options.Send ? "send" : "recv")}: {e.Message}");
    return ExitFailed;
}

using (Stream stdout = Console.OpenStandardOutput())
{
    result.Write(options, stdout);
}

if (options.Send && result.Datagrams == 0)
{
    string errors = string.Join(", ", result.Errors.Select(e => $"{e.Key} × {e.Value}"));
    Console.Error.WriteLine($"udpload send: nothing was sent to {options.Endpoint}{(errors.Length > 0 ? " (" + errors + ")" : "")}");
    return ExitFailed;
}

return result.Stopped == "signal" ? ExitInterrupted : ExitOk;
