using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace MptFast.Engine.Interop;

/// <summary>Reads errno after a <see cref="Libc"/> call and turns setup failures into exceptions.</summary>
public static class LinuxError
{
    /// <summary>The errno left by the last <see cref="Libc"/> call on this thread.</summary>
    public static Errno Last => (Errno)Marshal.GetLastPInvokeError();

    /// <summary>The C library's text for <paramref name="errno"/> (strerror).</summary>
    public static string Describe(Errno errno) => Marshal.GetPInvokeErrorMessage((int)errno);

    /// <summary>Throws a <see cref="LinuxErrorException"/> naming the failed operation and errno. Setup paths only.</summary>
    [DoesNotReturn]
    public static void Throw(string operation, Errno errno) => throw new LinuxErrorException(operation, errno);

    /// <summary>Throws for <see cref="Last"/>. Setup paths only.</summary>
    [DoesNotReturn]
    public static void ThrowLast(string operation) => throw new LinuxErrorException(operation, Last);
}

/// <summary>A failed system call during setup (open, bind, ioctl…), with its errno. Never thrown for packet data.</summary>
public sealed class LinuxErrorException : IOException
{
    public LinuxErrorException()
    {
    }

    public LinuxErrorException(string message)
        : base(message)
    {
    }

    public LinuxErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public LinuxErrorException(string operation, Errno errno)
        : base($"{operation}: {errno} ({LinuxError.Describe(errno)})", (int)errno)
    {
        Errno = errno;
    }

    /// <summary>The errno the call failed with.</summary>
    public Errno Errno { get; }
}
