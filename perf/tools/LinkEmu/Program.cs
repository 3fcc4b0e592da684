using System.Runtime.InteropServices;
using MptFast.Perf.LinkEmu;

// LinkEmu: a link emulator between two interfaces (perf/tools/LinkEmu/README.md). Usage and exit codes: Options.Usage.
const int ExitOk = 0, ExitFailed = 1, ExitUsage = 2;
const int SIGUSR1 = 10;

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
catch (SpecException e)
{
    Console.Error.WriteLine($"linkemu: {e.Message}");
    return ExitUsage;
}

if (!OperatingSystem.IsLinux() || IntPtr.Size != 8)
{
    Console.Error.WriteLine("linkemu: needs 64-bit Linux (AF_PACKET, LP64 layouts)");
    return ExitFailed;
}

Emulator emulator;
try
{
    emulator = new Emulator(options);
}
catch (NativeException e)
{
    Console.Error.WriteLine($"linkemu: {e.Message}");
    return ExitFailed;
}

using (emulator)
{
    using var stopped = new ManualResetEventSlim();
    void Stop(PosixSignalContext c)
    {
        c.Cancel = true;
        stopped.Set();
    }

    using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
    using var usr1 = PosixSignalRegistration.Create((PosixSignal)SIGUSR1, c =>
    {
        c.Cancel = true;
        Console.Out.WriteLine(emulator.StatsJson());
        Console.Out.Flush();
    });
    ControlServer? control = null;
    try
    {
        emulator.Start();
        control = options.ControlPath is { } path ? new ControlServer(path, emulator) : null;
    }
    catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"linkemu: control socket {options.ControlPath}: {e.Message}");
        emulator.Stop();
        return ExitFailed;
    }

    Console.Error.WriteLine($"linkemu: ready a={options.InterfaceA} b={options.InterfaceB} zero={emulator.Zero} " +
                            $"rx={(options.Ring ? "ring" : "mmsg")} seed={options.Seed}");
    Console.Error.Flush();
    stopped.Wait(options.Seconds > 0 ? TimeSpan.FromSeconds(options.Seconds) : Timeout.InfiniteTimeSpan);
    control?.Dispose();
    emulator.Stop();
    Console.Out.WriteLine(emulator.StatsJson());
    Console.Out.Flush();
}

return ExitOk;
