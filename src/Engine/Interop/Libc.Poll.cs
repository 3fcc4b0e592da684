using System.Runtime.InteropServices;

namespace MptFast.Engine.Interop;

/// <summary>poll(2).</summary>
internal static unsafe partial class Libc
{
    [LibraryImport(Name, EntryPoint = "poll", SetLastError = true)]
    internal static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);
}

/// <summary><c>struct pollfd</c> (8 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
internal struct PollFd
{
    [FieldOffset(0)] public int Fd;
    [FieldOffset(4)] public short Events;
    [FieldOffset(6)] public short ReturnedEvents;
}
