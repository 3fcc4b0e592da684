using MptFast.Engine.Config;

namespace MptFast.Host.Commands;

/// <summary><c>mptfast check</c>: validate a configuration directory, print errors and warnings.</summary>
internal static class CheckCommand
{
    public static int Run(string[] args)
    {
        string dir = DaemonCommand.DefaultConfDir;
        var reader = new ArgReader(args);
        while (!reader.AtEnd)
        {
            string a = reader.Take();
            switch (a)
            {
                case "-c" or "--config": dir = reader.Value(a); break;
                case "-h" or "--help": Console.Out.Write(Help.Check); return Program.ExitOk;
                default: throw new UsageException($"check: unknown argument '{a}'");
            }
        }

        ConfigLoadResult result = ConfigLoader.Load(dir);
        foreach (ConfigWarning w in result.Warnings)
        {
            Console.Error.WriteLine("warning: " + w);
        }

        foreach (ConfigError e in result.Errors)
        {
            Console.Error.WriteLine("error: " + e);
        }

        if (result.Config is null || result.Errors.Count > 0)
        {
            Console.Error.WriteLine($"{dir}: {result.Errors.Count} error(s)");
            return Program.ExitFailure;
        }

        MptConfig c = result.Config;
        Console.Out.WriteLine($"{dir}: ok: tunnel {c.Interface.TunName}, {c.Connections.Count} connection(s), " +
            $"{c.Connections.Sum(x => x.Paths.Count)} path(s), {result.Warnings.Count} warning(s)");
        return Program.ExitOk;
    }
}
