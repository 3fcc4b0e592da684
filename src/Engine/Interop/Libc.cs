namespace MptFast.Engine.Interop;

/// <summary>
/// Source-generated (<c>LibraryImport</c>, AOT-clean) bindings to the Linux C library: one file per concern
/// (<c>Libc.Socket.cs</c>, <c>Libc.Mmsg.cs</c>, <c>Libc.Ioctl.cs</c>…). Every call sets the last P/Invoke error,
/// read back as a typed <see cref="Errno"/> through <see cref="LinuxError"/>.
/// </summary>
/// <remarks>
/// No binding package: Tmds.LibC 0.5.0 lacks recvmmsg/sendmmsg/readv/writev and costs the same for the rest
/// (measured: Interop/README.md). The struct layouts are the LP64 Linux ABI (x86-64, arm64); other ABIs are refused
/// by <see cref="EnsureSupported"/>.
/// </remarks>
internal static partial class Libc
{
    /// <summary>The C library. The runtime maps the name "libc" to the platform's real libc (LIBC_SO, libc.so.6 on glibc)
    /// in SystemNative_LoadLibrary, for CoreCLR and NativeAOT alike (plain dlopen("libc.so") would hit a linker script).</summary>
    internal const string Name = "libc";

    /// <summary>Throws on platforms whose struct layouts this file does not describe.</summary>
    internal static void EnsureSupported()
    {
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8)
        {
            throw new PlatformNotSupportedException("MptFast's datapath needs 64-bit Linux.");
        }
    }
}
