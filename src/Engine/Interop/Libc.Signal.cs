using System.Runtime.InteropServices;

namespace MptFast.Engine.Interop;

/// <summary>sigaction(2), signal(2): reading and resetting one signal's disposition.</summary>
internal static unsafe partial class Libc
{
    internal const nint SIG_DFL = 0;
    internal const nint SIG_IGN = 1;

    /// <summary>Bytes of glibc's <c>struct sigaction</c> on 64-bit Linux (152), rounded up; its first field is the handler.</summary>
    internal const int SigactionSize = 256;

    [LibraryImport(Name, EntryPoint = "sigaction", SetLastError = true)]
    internal static partial int Sigaction(int signum, void* act, void* oldact);

    [LibraryImport(Name, EntryPoint = "signal", SetLastError = true)]
    internal static partial nint Signal(int signum, nint handler);
}
