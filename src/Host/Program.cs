namespace MptFast.Host;

internal static class Program
{
    private static int Main(string[] args)
    {
        System.Console.Error.WriteLine("mptfast: not implemented yet");
        return args.Length == 0 ? 2 : 2;
    }
}
