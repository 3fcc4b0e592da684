using System.Runtime.InteropServices;

namespace MptFast.Engine.Interop;

/// <summary>setns(2): moves the calling OS thread into another namespace (tests and netns-aware tools).</summary>
internal static partial class Libc
{
    internal const int CLONE_NEWNET = 0x40000000;

    [LibraryImport(Name, EntryPoint = "setns", SetLastError = true)]
    internal static partial int SetNs(int fd, int namespaceType);
}
