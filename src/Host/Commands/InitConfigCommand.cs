using System.Reflection;
using System.Text.RegularExpressions;

namespace MptFast.Host.Commands;

/// <summary>
/// <c>mptfast init-config [--side a|b] [--paths 1|2] [--peer-dir DIR2] [--auth-key KEY|-] DIR</c>: writes the built-in
/// example configuration (side a is the one whose port map is compiled into the binary, side b its peer) in the
/// original's layout, with the control authentication we recommend: SHA-256 (auth_type 2, MPT-SPEC §4.4) and a key
/// drawn fresh for this installation. The embedded files carry no key (the port-map generator reads them at build
/// time, so anything there would be public); the marker line <c>;auth_key = …</c> is where the key goes.
/// </summary>
internal static partial class InitConfigCommand
{
    public const string Usage = """
        Usage: mptfast init-config [--side a|b] [--paths 1|2] [--peer-dir DIR2] [--auth-key KEY|-] [--force] DIR

        Writes the built-in example configuration to DIR (DIR/interface.conf, DIR/connections/*.conf): a tunnel
        198.19.0.1 <-> 198.19.0.2 (IPv4, data port 23456) and fd00:ff::1 <-> fd00:ff::2 (IPv6, port 23457) over the
        testbed's paths veth1 (198.18.1.1 <-> 198.18.1.2) and veth2 (198.18.2.1 <-> 198.18.2.2). Side a (default) is
        the configuration compiled into this binary, side b its peer. --paths 1 keeps only path 0.

        Control messages are authenticated with SHA-256 (auth_type 2) and an auth_key of 64 hex digits drawn
        fresh from the system's random source. Both sides need the same key: --peer-dir DIR2 writes the other
        side to DIR2 with the same key; --auth-key KEY uses KEY instead of a fresh one (- reads it from stdin).

        Files are created with mode 0600 and new directories with 0700 (the files hold the key). Existing
        files are not overwritten unless --force is given.

        """;

    // The original's manual asks for 64 hex digits; only the first 32 characters are used (MPT-SPEC §4.4), 128 bits.
    private const int KeyLength = 64;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static int Run(string[] args)
    {
        string side = "a";
        int paths = 2;
        bool force = false;
        string? dir = null;
        string? peerDir = null;
        string? key = null;
        var reader = new ArgReader(args);
        while (!reader.AtEnd)
        {
            string a = reader.Take();
            switch (a)
            {
                case "--side": side = reader.Value(a); break;
                case "--paths": paths = reader.IntValue(a, 1, 2); break;
                case "--peer-dir": peerDir = reader.Value(a); break;
                case "--auth-key": key = reader.Value(a); break;
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

        if (peerDir is not null && Path.GetFullPath(peerDir) == Path.GetFullPath(dir))
        {
            throw new UsageException("init-config: --peer-dir must differ from DIR");
        }

        key = key == "-" ? Console.In.ReadLine()?.Trim() ?? "" : key;
        if (key is not null && !IsAuthKey(key))
        {
            throw new UsageException($"init-config: --auth-key needs {KeyLength} hex digits (other than the original's public default key)");
        }

        key ??= System.Security.Cryptography.RandomNumberGenerator.GetHexString(KeyLength);
        List<(string Target, string Text)> files = [.. FilesOf(side, paths, dir, key)];
        if (peerDir is not null)
        {
            files.AddRange(FilesOf(side == "a" ? "b" : "a", paths, peerDir, key));
        }

        if (files.Count == 0)
        {
            Console.Error.WriteLine("mptfast: this binary has no built-in configuration");
            return Program.ExitFailure;
        }

        // Refuse before writing anything, so a refusal never leaves one side written without the other.
        if (!force && files.FirstOrDefault(f => File.Exists(f.Target)) is { Target: { } existing })
        {
            Console.Error.WriteLine($"mptfast: {existing} exists (use --force to overwrite)");
            return Program.ExitFailure;
        }

        foreach ((string target, string text) in files)
        {
            WritePrivate(target, text);
        }

        Console.Out.WriteLine($"wrote {files.Count} file(s) of the built-in configuration, {paths} path(s): side {side} to {dir}" +
            (peerDir is null ? "" : $", side {(side == "a" ? "b" : "a")} to {peerDir}") +
            (peerDir is null
                ? "; auth_type 2: the peer needs the same auth_key (mptfast init-config --side " + (side == "a" ? "b" : "a") + " --auth-key KEY DIR)"
                : "; auth_type 2, the same fresh auth_key on both sides"));
        return Program.ExitOk;
    }

    /// <summary>The embedded files of one side, with the path count and the key applied.</summary>
    private static IEnumerable<(string Target, string Text)> FilesOf(string side, int paths, string dir, string key)
    {
        string prefix = side == "a" ? "defaults/conf/" : "defaults/peer/conf/";
        Assembly assembly = typeof(InitConfigCommand).Assembly;
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            string relative = name[prefix.Length..];
            using Stream s = assembly.GetManifestResourceStream(name)!;
            using var r = new StreamReader(s);
            string text = r.ReadToEnd();
            if (relative.StartsWith("connections/", StringComparison.Ordinal))
            {
                if (paths == 1)
                {
                    // Without its section too: check warns about a [path_1] that path_count leaves unused.
                    text = PathCount().Replace(text, "path_count         = 1");
                    text = SecondPathSection().Replace(text, "");
                }

                // Every connection file of the built-in configuration has the marker; one without it would run
                // unauthenticated, so that is a build defect, not a user error.
                if (!AuthKeyMarker().IsMatch(text))
                {
                    throw new InvalidOperationException($"built-in {name} has no ';auth_key =' marker line");
                }

                text = AuthKeyMarker().Replace(text, "auth_key           = " + key, 1);
            }

            yield return (Path.Combine(dir, relative), text);
        }
    }

    /// <summary>Writes <paramref name="text"/> to a file only its owner can read, also when it already existed.</summary>
    private static void WritePrivate(string target, string text)
    {
        CreatePrivateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
        using var stream = new FileStream(target, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = PrivateFile,
        });

        // An existing file keeps its old mode on open: restrict it before the key is written into it.
        File.SetUnixFileMode(stream.SafeFileHandle, PrivateFile);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    /// <summary>Creates <paramref name="directory"/> and its missing parents with mode 0700 (CreateDirectory's mode covers only the last).</summary>
    private static void CreatePrivateDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

        if (Path.GetDirectoryName(directory) is { } parent)
        {
            CreatePrivateDirectory(parent);
        }

        Directory.CreateDirectory(directory, PrivateDirectory);
    }

    private static bool IsAuthKey(string key) =>
        key.Length == KeyLength && key.All(char.IsAsciiHexDigit)
        && !string.Equals(key, Engine.Config.ConnectionConfig.DefaultAuthKey, StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"path_count\s*=\s*\d+")]
    private static partial Regex PathCount();

    [GeneratedRegex(@"^\[path_1\][^\[]*", RegexOptions.Multiline)]
    private static partial Regex SecondPathSection();

    [GeneratedRegex(@"^;auth_key\b[^\r\n]*", RegexOptions.Multiline)]
    private static partial Regex AuthKeyMarker();
}
