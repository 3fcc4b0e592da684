using System.Text.RegularExpressions;

namespace MptFast.Integration.Tests.Support;

/// <summary>
/// What a process tree did, read from <c>strace -f -s 4096 -o FILE</c>: the system calls it made, the socket families
/// it opened, the paths it wrote to (opened for writing, created, renamed, removed), the devices it opened and the
/// memory it asked to make executable.
/// </summary>
internal sealed partial class StraceLog
{
    private StraceLog()
    {
    }

    public SortedSet<string> SystemCalls { get; } = new(StringComparer.Ordinal);

    public SortedSet<string> SocketFamilies { get; } = new(StringComparer.Ordinal);

    public SortedSet<string> WrittenPaths { get; } = new(StringComparer.Ordinal);

    public SortedSet<string> OpenedDevices { get; } = new(StringComparer.Ordinal);

    /// <summary>Calls that systemd's MemoryDenyWriteExecute= refuses: W+X mappings, or PROT_EXEC added later.</summary>
    public List<string> ExecutableMemoryRequests { get; } = [];

    public static StraceLog Parse(string file)
    {
        var log = new StraceLog();
        foreach (string line in File.ReadLines(file))
        {
            Match call = CallStart().Match(line);
            if (!call.Success)
            {
                continue; // "<... x resumed>", signals, exits: the call was counted where it started
            }

            string name = call.Groups[1].Value;
            log.SystemCalls.Add(name);
            log.Classify(name, line);
        }

        return log;
    }

    private void Classify(string name, string line)
    {
        switch (name)
        {
            case "socket" or "socketpair":
                if (Family().Match(line) is { Success: true } family)
                {
                    SocketFamilies.Add(family.Groups[1].Value);
                }

                break;
            case "open" or "openat" or "openat2" or "creat":
                string? path = QuotedPaths(line).FirstOrDefault();
                if (path is null)
                {
                    break;
                }

                if (path.StartsWith("/dev/", StringComparison.Ordinal))
                {
                    OpenedDevices.Add(path);
                }

                if (name == "creat" || WriteFlags().IsMatch(line))
                {
                    WrittenPaths.Add(path);
                }

                break;
            case "mkdir" or "mkdirat" or "rename" or "renameat" or "renameat2" or "unlink" or "unlinkat" or "rmdir"
                or "link" or "linkat" or "symlink" or "symlinkat" or "truncate" or "mknod" or "mknodat":
                foreach (string p in QuotedPaths(line))
                {
                    WrittenPaths.Add(p);
                }

                break;
            case "mprotect" or "pkey_mprotect":
                if (line.Contains("PROT_EXEC", StringComparison.Ordinal))
                {
                    ExecutableMemoryRequests.Add(line);
                }

                break;
            case "mmap" or "mmap2":
                if (line.Contains("PROT_WRITE", StringComparison.Ordinal) && line.Contains("PROT_EXEC", StringComparison.Ordinal))
                {
                    ExecutableMemoryRequests.Add(line);
                }

                break;
        }
    }

    /// <summary>The string arguments of a call line, before its result ("= ...").</summary>
    private static IEnumerable<string> QuotedPaths(string line)
    {
        int result = line.LastIndexOf(") = ", StringComparison.Ordinal);
        string args = result > 0 ? line[..result] : line;
        return Quoted().Matches(args).Select(m => m.Groups[1].Value);
    }

    [GeneratedRegex(@"^\d+\s+([a-z_0-9]+)\(")]
    private static partial Regex CallStart();

    [GeneratedRegex(@"socket(?:pair)?\((AF_[A-Z0-9]+)")]
    private static partial Regex Family();

    [GeneratedRegex(@"\bO_(?:WRONLY|RDWR|CREAT|TRUNC|APPEND)\b")]
    private static partial Regex WriteFlags();

    [GeneratedRegex("\"([^\"]*)\"")]
    private static partial Regex Quoted();
}
