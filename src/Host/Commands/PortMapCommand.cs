namespace MptFast.Host.Commands;

/// <summary><c>mptfast print-portmap</c>: the port map compiled into this binary.</summary>
internal static class PortMapCommand
{
    public static int Run(string[] args)
    {
        if (args.Length > 0)
        {
            if (args[0] is "-h" or "--help")
            {
                Console.Out.Write(Help.PrintPortMap);
                return Program.ExitOk;
            }

            throw new UsageException($"print-portmap: unknown argument '{args[0]}'");
        }

        Console.Out.Write(PortMap.BakedPortMapReport.Describe());
        return Program.ExitOk;
    }
}
