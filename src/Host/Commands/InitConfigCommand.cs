using System.Reflection;
using System.Text.RegularExpressions;

namespace MptFast.Host.Commands;

/// <summary>
/// <c>mptfast init-config --side a|b [--paths 1|2] DIR</c>: writes the built-in example configuration (side a is the
/// one whose port map is compiled into the binary, side b its peer) in the original's layout.
/// </summary>
internal static partial class InitConfigCommand
{
    public const string Usage = """
        Usage: mptfast init-config [--side a|b] [--paths 1|2] [--force] DIR

        Writes the built-in example configuration to DIR (DIR/interface.conf, DIR/connections/*.conf): a tunnel
        198.19.0.1 <-> 198.19.0.2 (IPv4, data port 23456) and fd00:ff::1 <-> fd00:ff::2 (IPv6, port 23457) over the
        testbed's paths veth1 (198.18.1.1 <-> 198.18.1.2) and veth2 (198.18.2.1 <-> 198.18.2.2). Side a (default) is
        the configuration compiled into this binary, side b its peer. --paths 1 keeps only path 0. Existing files
        are not overwritten unless --force is given.

        """;

    public static int Run(string[] args)
    {
        string side = "a";
        int paths = 2;
        bool force = false;
        string? dir = null;
        var reader = new ArgReader(args);
        while (!reader.AtEnd)
        {
            string a = reader.Take();
            switch (a)
            {
                case "--side": side = reader.Value(a); break;
                case "--paths": paths = reader.IntValue(a, 1, 2); break;
                case "--force": force = true; break;
                case "-h" or "--help": Console.Out.Write(Usage); return Program.ExitOk;
                default:
                    if (a.StartsWith('-') || dir is not null)
                    {
                        throw new UsageException($"init-config: unexpected argument '{a}'");
                    }

                    dir = a;
                    break;
            }
        }

        if (dir is null)
        {
            throw new UsageException("init-config: no directory given");
        }

        if (side is not ("a" or "b"))
        {
            throw new UsageException("init-config: --side must be a or b");
        }

        string prefix = side == "a" ? "defaults/conf/" : "defaults/peer/conf/";
        Assembly assembly = typeof(InitConfigCommand).Assembly;
        int written = 0;
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            string relative = name[prefix.Length..];
            string target = Path.Combine(dir, relative);
            if (File.Exists(target) && !force)
            {
                Console.Error.WriteLine($"mptfast: {target} exists (use --force to overwrite)");
                return Program.ExitFailure;
            }

            using Stream s = assembly.GetManifestResourceStream(name)!;
            using var r = new StreamReader(s);
            string text = r.ReadToEnd();
            if (paths == 1 && relative.StartsWith("connections/", StringComparison.Ordinal))
            {
                text = PathCount().Replace(text, "path_count         = 1");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, text);
            written++;
        }

        if (written == 0)
        {
            Console.Error.WriteLine("mptfast: this binary has no built-in configuration");
            return Program.ExitFailure;
        }

        Console.Out.WriteLine($"wrote {written} file(s) of the built-in configuration, side {side}, {paths} path(s), to {dir}");
        return Program.ExitOk;
    }

    [GeneratedRegex(@"path_count\s*=\s*\d+")]
    private static partial Regex PathCount();
}
